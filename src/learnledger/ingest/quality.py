"""Data quality: every coerced row checked column-wise in SQL; failures become rejections.

Checks: values that do not parse as the column's type (with the expected format), required
values missing, values outside the column's choices or the rule's min/max, references to rows
that neither exist in the store nor arrive in the same import, and natural keys that appear
more than once in the file. Each rejection names the row, the column, the value and the reason.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pyarrow as pa

from learnledger.core.model.spec import Column, ColumnType
from learnledger.ingest.mapping import ColumnRule, EntityMapping
from learnledger.ingest.readers import ROW
from learnledger.ingest.transform import (
    ANCHOR_PREFIX,
    ANCHOR_RAW_PREFIX,
    OFFSET_PREFIX,
    RAW_PREFIX,
    literal,
    quote,
)

REJECTION_COLUMNS = ("row_number", "column_name", "value", "reason")
_TYPE_WORDS = {
    ColumnType.INTEGER: "a valid whole number",
    ColumnType.DOUBLE: "a valid number",
    ColumnType.DECIMAL: "a valid decimal number (at most 14 digits before the point)",
    ColumnType.BOOLEAN: "true/false (true, t, yes, y, 1, false, f, no, n, 0)",
    ColumnType.DATE: "a valid date",
    ColumnType.TIMESTAMP: "a valid timestamp",
    ColumnType.UUID: "a valid UUID",
}
_ISO_HINTS = {ColumnType.DATE: "YYYY-MM-DD", ColumnType.TIMESTAMP: "YYYY-MM-DD HH:MM:SS[+TZ]"}


def _label(rule: ColumnRule) -> str:
    return rule.source if rule.source is not None else rule.target


def find_rejections(
    con: duckdb.DuckDBPyConnection,
    mapping: EntityMapping,
    typed_table: str,
    reference_tables: dict[str, str],
    *,
    derived: bool,
    references_only: bool = False,
) -> pa.Table:
    """Return the rejections of `typed_table` as (row_number, column_name, value, reason).

    `reference_tables` maps ``"entity.column"`` to a local table with one ``key`` column of
    the keys that may be referenced. For a `derived` entity, rows without a key are skipped
    (no entity derived) and repeated keys are merged rather than rejected. With
    `references_only`, only the references are checked.
    """
    model = mapping.model
    prefix = f"{mapping.entity}." if derived else ""
    where_key = " AND ".join(f"{quote(k)} IS NOT NULL" for k in model.primary_key)
    rows = (
        f"(SELECT * FROM {quote(typed_table)} WHERE {where_key})" if derived else quote(typed_table)
    )
    parts: list[str] = []
    checks: list[str] = []
    conditions: list[str] = []

    def add(rule: ColumnRule, condition: str, reason_sql: str) -> None:
        """A field check: evaluated with all the others in one pass over the rows."""
        checks.append(
            f"CASE WHEN {condition} THEN struct_pack(column_name := {literal(_label(rule))}, "
            f"value := {quote(RAW_PREFIX + rule.target)}, "
            f"reason := {literal(prefix)} || {reason_sql}) END"
        )
        conditions.append(f"COALESCE({condition}, FALSE)")

    for rule in mapping.columns:
        column = model.column(rule.target)
        if not references_only:
            _field_checks(add, rule, column)
        keys = reference_tables.get(column.references or "")
        if keys is not None:
            typed = quote(rule.target)
            reason = f"unknown {column.references}: no such row in the store or this import"
            parts.append(
                f"SELECT {quote(ROW)} AS row_number, {literal(_label(rule))} AS column_name, "
                f"{quote(RAW_PREFIX + rule.target)} AS value, {literal(prefix + reason)} AS reason "
                f"FROM {rows} AS t WHERE {typed} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {quote(keys)} AS k WHERE k.key = CAST(t.{typed} AS VARCHAR))"
            )
    if checks:
        # One scan for every field check: the rows failing any check get the list of their
        # failures, which is then unnested (a view over millions of rows is computed once).
        found = f"list_filter([{', '.join(checks)}], lambda x: x IS NOT NULL)"
        parts.append(
            "SELECT row_number, f.column_name, f.value, f.reason FROM ("
            f"SELECT {quote(ROW)} AS row_number, unnest({found}) AS f "
            f"FROM {rows} AS t WHERE {' OR '.join(conditions)})"
        )
    if not derived and not references_only:
        parts.append(_duplicate_keys(mapping, typed_table))
    if not parts:
        parts.append(
            "SELECT CAST(NULL AS BIGINT) AS row_number, CAST(NULL AS VARCHAR) AS column_name, "
            "CAST(NULL AS VARCHAR) AS value, CAST(NULL AS VARCHAR) AS reason WHERE FALSE"
        )
    sql = " UNION ALL ".join(parts)
    return con.sql(f"SELECT * FROM ({sql}) ORDER BY row_number, column_name").to_arrow_table()


def _field_checks(
    add: Callable[[ColumnRule, str, str], None], rule: ColumnRule, column: Column
) -> None:
    """Add the type, required, choice and range checks of one column."""
    typed, raw = quote(rule.target), quote(RAW_PREFIX + rule.target)
    if rule.days_after is not None:
        anchor = rule.days_after
        label = anchor.source or anchor.expr or "the default"
        add(
            rule,
            f"{raw} IS NOT NULL AND {quote(OFFSET_PREFIX + rule.target)} IS NULL",
            literal("not a whole number of days"),
        )
        add(
            rule,
            f"{raw} IS NOT NULL AND {quote(ANCHOR_PREFIX + rule.target)} IS NULL",
            f"'no anchor date (days_after {label}): ' || "
            f"COALESCE({quote(ANCHOR_RAW_PREFIX + rule.target)}, 'empty') || ' is not a date "
            f"the mapping knows'",
        )
    elif column.type in _TYPE_WORDS:
        expected = _TYPE_WORDS[column.type]
        if rule.format:
            expected += f" (expected format {rule.format})"
        elif column.type in _ISO_HINTS:
            expected += f" (expected {_ISO_HINTS[column.type]}; or set 'format' in the mapping)"
        add(rule, f"{raw} IS NOT NULL AND {typed} IS NULL", literal(f"not {expected}"))
    if rule.required or not column.nullable:
        add(rule, f"{raw} IS NULL", literal(f"required value missing ({rule.target})"))
    choices = rule.choices or column.choices
    if choices:
        listed = ", ".join(literal(c) for c in choices)
        add(
            rule,
            f"{typed} IS NOT NULL AND CAST({typed} AS VARCHAR) NOT IN ({listed})",
            literal(f"not one of {', '.join(choices)}"),
        )
    if rule.minimum is not None:
        add(rule, f"{typed} < {rule.minimum}", literal(f"below the minimum {rule.minimum}"))
    if rule.maximum is not None:
        add(rule, f"{typed} > {rule.maximum}", literal(f"above the maximum {rule.maximum}"))


def _duplicate_keys(mapping: EntityMapping, typed_table: str) -> str:
    pk = mapping.model.primary_key
    rules = {r.target: r for r in mapping.columns}
    label = " + ".join(_label(rules[k]) for k in pk)
    value = " || '|' || ".join(f"CAST(t.{quote(k)} AS VARCHAR)" for k in pk)
    not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in pk)
    keys = ", ".join(quote(k) for k in pk)
    match = " AND ".join(f"d.{quote(k)} = t.{quote(k)}" for k in pk)
    # The repeated keys are found with a GROUP BY first, so that the window listing their rows
    # runs over those few rows only (not over millions of unique keys).
    return (
        f"SELECT {quote(ROW)} AS row_number, {literal(label)} AS column_name, value, "
        f"'duplicate key in this file (rows ' || rows || ')' AS reason FROM ("
        f"SELECT t.{quote(ROW)}, {value} AS value, "
        f"string_agg(CAST(t.{quote(ROW)} AS VARCHAR), ', ' ORDER BY t.{quote(ROW)}) OVER w AS rows "
        f"FROM {quote(typed_table)} AS t JOIN (SELECT {keys} FROM {quote(typed_table)} "
        f"WHERE {not_null} GROUP BY {keys} HAVING count(*) > 1) AS d ON {match} "
        f"WINDOW w AS ({'PARTITION BY ' + ', '.join('t.' + quote(k) for k in pk)}))"
    )


def accepted_rows(
    con: duckdb.DuckDBPyConnection,
    mapping: EntityMapping,
    typed_table: str,
    rejections: pa.Table,
    *,
    derived: bool,
) -> pa.Table:
    """The typed rows without a rejection, mapped columns only (derived: one row per key)."""
    model = mapping.model
    con.register("__rejected_rows", rejections.select(["row_number"]))
    try:
        columns = ", ".join(quote(r.target) for r in mapping.columns)
        sql = (
            f"SELECT {columns} FROM {quote(typed_table)} AS t WHERE NOT EXISTS "
            f"(SELECT 1 FROM __rejected_rows AS r WHERE r.row_number = t.{quote(ROW)})"
        )
        if derived:
            partition = ", ".join(quote(k) for k in model.primary_key)
            not_null = " AND ".join(f"{quote(k)} IS NOT NULL" for k in model.primary_key)
            sql += (
                f" AND {not_null} QUALIFY row_number() OVER "
                f"(PARTITION BY {partition} ORDER BY {quote(ROW)}) = 1"
            )
        return con.sql(sql).to_arrow_table()
    finally:
        con.unregister("__rejected_rows")
