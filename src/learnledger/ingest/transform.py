"""Column-wise coercion: one SQL statement per entity turns the text columns into typed ones.

Each target column gets a *raw* text expression (source column or ``expr``, trimmed, empty as
NULL, value map applied, default filled in) and a *typed* expression (``TRY_CAST`` or
``TRY_STRPTIME``), so that a bad cell becomes NULL in the typed column while its raw text stays
beside it for `quality` to report. Nothing runs per row in Python.
"""

from __future__ import annotations

from typing import Any

import duckdb

from learnledger.core.model.spec import ColumnType
from learnledger.errors import ValidationError
from learnledger.ingest.mapping import ColumnRule, EntityMapping
from learnledger.ingest.readers import ROW

RAW_PREFIX = "__raw__"
#: Helper columns of a ``days_after`` rule: the whole days, the anchor date and its raw text.
OFFSET_PREFIX = "__offset__"
ANCHOR_PREFIX = "__anchor__"
ANCHOR_RAW_PREFIX = "__anchorraw__"
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")


def quote(name: str) -> str:
    """A SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A SQL literal for a YAML scalar (NULL, boolean, number or text)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    return "'" + str(value).replace("'", "''") + "'"


def raw_expression(rule: ColumnRule) -> str:
    """Text expression for a rule: trimmed, empty as NULL, mapped, defaulted."""
    if rule.source is not None:
        expr = f"NULLIF(trim(CAST(src.{quote(rule.source)} AS VARCHAR)), '')"
    elif rule.expr is not None:
        expr = f"NULLIF(trim(CAST(({rule.expr}) AS VARCHAR)), '')"
    else:
        expr = "CAST(NULL AS VARCHAR)"
    if rule.value_map:
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in rule.value_map.items())
        expr = f"(CASE {expr} {cases} ELSE {expr} END)"
    if rule.default is not None:
        expr = f"COALESCE({expr}, {literal(rule.default)})"
    return expr


def typed_expression(raw: str, ctype: ColumnType, fmt: str | None) -> str:
    """Expression coercing `raw` text to `ctype`: NULL where the text is not a valid value."""
    if ctype in (ColumnType.TEXT, ColumnType.JSON):
        return raw
    if ctype == ColumnType.INTEGER:
        # TRY_CAST would round '2.5' to 3: only whole numbers are integers.
        whole = f"regexp_full_match({raw}, '[+-]?[0-9]+')"
        return f"(CASE WHEN {whole} THEN TRY_CAST({raw} AS BIGINT) END)"
    if ctype == ColumnType.DOUBLE:
        return f"TRY_CAST({raw} AS DOUBLE)"
    if ctype == ColumnType.DECIMAL:
        return f"TRY_CAST({raw} AS DECIMAL(18, 4))"
    if ctype == ColumnType.BOOLEAN:
        true = ", ".join(literal(v) for v in _TRUE)
        false = ", ".join(literal(v) for v in _FALSE)
        return (
            f"(CASE WHEN lower({raw}) IN ({true}) THEN TRUE "
            f"WHEN lower({raw}) IN ({false}) THEN FALSE END)"
        )
    if ctype == ColumnType.UUID:
        return f"CAST(TRY_CAST({raw} AS UUID) AS VARCHAR)"
    target = "DATE" if ctype == ColumnType.DATE else "TIMESTAMPTZ"
    if fmt is not None:
        return f"CAST(TRY_STRPTIME({raw}, {literal(fmt)}) AS {target})"
    return f"TRY_CAST({raw} AS {target})"


def whole_days(raw: str) -> str:
    """Expression: `raw` text as a whole number of days (NULL when it is not one)."""
    whole = f"regexp_full_match({raw}, '[+-]?[0-9]{{1,6}}')"
    return f"(CASE WHEN {whole} THEN TRY_CAST({raw} AS INTEGER) END)"


def days_after_expression(offset: str, anchor: str, ctype: ColumnType) -> str:
    """Expression: the `anchor` date plus `offset` days, as a date or a timestamp (midnight UTC)."""
    if ctype == ColumnType.DATE:
        return f"CAST({anchor} + {offset} AS DATE)"
    return f"(CAST({anchor} AS TIMESTAMPTZ) + to_days({offset}))"


def check_source_columns(mapping: EntityMapping, columns: list[str], location: str) -> None:
    """Raise when the source lacks a column the mapping reads with ``from``."""
    missing = sorted(mapping.source_columns() - set(columns))
    if missing:
        raise ValidationError(
            location,
            f"missing column(s) {', '.join(missing)} needed by {mapping.entity} "
            f"(found: {', '.join(columns)})",
        )


def coerce(
    con: duckdb.DuckDBPyConnection,
    mapping: EntityMapping,
    *,
    source_table: str,
    result_table: str,
    mapping_path: str,
    as_view: bool = False,
) -> None:
    """Create `result_table` with ``__row``, each mapped column typed, and its raw text.

    By default every value is computed once and kept: the rows are stored in the table
    ``<result_table>__rows`` and `result_table` is a view over it. A text column's typed value
    is its raw text, so it is stored once and the view names it twice. With `as_view` nothing
    is stored: `result_table` is a view computed again by each query that reads it.
    """
    model = mapping.model
    # Two levels: the raw text of each column is computed once (inner), and the typed value
    # and the checks' helper columns read it by name (outer), so that an expensive `expr`
    # (a hash, a regexp) is not evaluated again for each use of it.
    raws = [f"src.{quote(ROW)}"]
    selects = [quote(ROW)]
    aliases: list[str] = []
    for rule in mapping.columns:
        raw_name = quote(RAW_PREFIX + rule.target)
        raws.append(f"{raw_expression(rule)} AS {raw_name}")
        ctype = model.column(rule.target).type
        if rule.days_after is not None:
            anchor_raw = quote(ANCHOR_RAW_PREFIX + rule.target)
            raws.append(f"{raw_expression(rule.days_after)} AS {anchor_raw}")
            offset = whole_days(raw_name)
            anchor = typed_expression(anchor_raw, ColumnType.DATE, rule.days_after.format)
            selects.append(
                f"{days_after_expression(offset, anchor, ctype)} AS {quote(rule.target)}"
            )
            selects.append(f"{offset} AS {quote(OFFSET_PREFIX + rule.target)}")
            selects.append(f"{anchor} AS {quote(ANCHOR_PREFIX + rule.target)}")
            selects.append(anchor_raw)
        elif ctype in (ColumnType.TEXT, ColumnType.JSON) and not as_view:
            aliases.append(f"{raw_name} AS {quote(rule.target)}")  # typed text is the raw text
        else:
            typed = typed_expression(raw_name, ctype, rule.format)
            selects.append(f"{typed} AS {quote(rule.target)}")
        selects.append(raw_name)
    query = (
        f"SELECT {', '.join(selects)} FROM (SELECT {', '.join(raws)} "
        f"FROM {quote(source_table)} AS src)"
    )
    try:
        if as_view:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {quote(result_table)} AS {query}")
            # A view is bound lazily: make a bad expr fail here, as a table would.
            con.execute(f"SELECT * FROM {quote(result_table)} LIMIT 0").fetchall()
        else:
            stored = quote(result_table + "__rows")
            con.execute(f"CREATE OR REPLACE TEMP TABLE {stored} AS {query}")
            con.execute(
                f"CREATE OR REPLACE TEMP VIEW {quote(result_table)} AS "
                f"SELECT {', '.join(['*', *aliases])} FROM {stored}"
            )
    except duckdb.Error as exc:
        # Only `expr` columns can fail here (the rest is generated): find the one that does.
        rules = [*mapping.columns, *(r.days_after for r in mapping.columns if r.days_after)]
        for rule in rules:
            if rule.expr is None:
                continue
            try:
                con.execute(f"SELECT ({rule.expr}) FROM {quote(source_table)} AS src LIMIT 0")
            except duckdb.Error as bad:
                message = " ".join(str(bad).split("\n")[:2])
                raise ValidationError(
                    f"{mapping_path}:{rule.line}",
                    f"{mapping.entity}.{rule.target}: invalid expr: {message}",
                ) from exc
        message = " ".join(str(exc).split("\n")[:2])
        raise ValidationError(mapping_path, f"{mapping.entity}: {message}") from exc
