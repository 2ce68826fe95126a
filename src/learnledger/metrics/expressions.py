"""The small arithmetic language of metric formulas: names, numbers, + - * / and parentheses.

It is used twice: a *measure* is an expression over the columns of a base view, compiled to
SQL that DuckDB and PostgreSQL both accept (the parsed tree is engine-neutral: another
compiler can render it for Spark); a *value* is an expression over the named
aggregates of a metric, evaluated in Python once the aggregates come back from the engine.
Division always yields a float; dividing by zero (or by a missing value) gives None.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
}


class ExpressionError(ValueError):
    """An expression does not parse or names something it may not use."""


@dataclass(frozen=True)
class Expression:
    """A parsed expression and the names it uses."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def to_sql(self, column: Callable[[str], str]) -> str:
        """SQL for the expression; `column` renders a name (e.g. quoted and qualified)."""
        return _sql(self.tree, column)

    def evaluate(self, values: Mapping[str, float | None]) -> float | None:
        """The value for `values` by name; None when an input is None or a divisor is zero."""
        return _evaluate(self.tree, values)


def parse_expression(text: str, allowed: Mapping[str, object] | None = None) -> Expression:
    """Parse `text`; raise ExpressionError for other syntax or, with `allowed`, unknown names."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expected an expression such as `completed / enrolled * 100`")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse {text!r}: {exc.msg}") from None
    names: set[str] = set()
    _check(tree, names)
    if allowed is not None:
        unknown = sorted(names - set(allowed))
        if unknown:
            raise ExpressionError(
                f"unknown name {unknown[0]!r} in {text!r}; known: {', '.join(sorted(allowed))}"
            )
    return Expression(text.strip(), tree, frozenset(names))


def _check(node: ast.expr, names: set[str]) -> None:
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        _check(node.left, names)
        _check(node.right, names)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        _check(node.operand, names)
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
        pass
    else:
        raise ExpressionError(
            f"only names, numbers, + - * / and parentheses are allowed, not {ast.unparse(node)!r}"
        )


def _sql(node: ast.expr, column: Callable[[str], str]) -> str:
    if isinstance(node, ast.BinOp):
        left, right = _sql(node.left, column), _sql(node.right, column)
        if isinstance(node.op, ast.Div):
            return f"(CAST({left} AS DOUBLE PRECISION) / NULLIF({right}, 0))"
        return f"({left} {_OPERATORS[type(node.op)]} {right})"
    if isinstance(node, ast.UnaryOp):
        return f"(-{_sql(node.operand, column)})"
    if isinstance(node, ast.Name):
        return column(node.id)
    assert isinstance(node, ast.Constant)
    return repr(node.value)


def _evaluate(node: ast.expr, values: Mapping[str, float | None]) -> float | None:
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return None if right == 0 else left / right
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, values)
        return None if operand is None else -operand
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        return None if value is None else float(value)
    assert isinstance(node, ast.Constant)
    assert isinstance(node.value, int | float)
    return float(node.value)
