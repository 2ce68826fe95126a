"""Column-wise coercion: renames, trimming, value maps, defaults, formats, expressions, types."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from learnledger.errors import ValidationError
from learnledger.ingest.mapping import parse_mapping
from learnledger.ingest.readers import ROW, local_connection
from learnledger.ingest.transform import check_source_columns, coerce


def _coerce(columns_yaml: str, data: dict[str, list[Any]], entity: str = "people") -> list[dict]:
    mapping = parse_mapping(f"entity: {entity}\ncolumns:\n{columns_yaml}", path="m.yml")
    size = len(next(iter(data.values())))
    table = pa.table({**data, ROW: list(range(2, size + 2))})
    con = local_connection()
    try:
        con.register("src", table)
        coerce(con, mapping.main, source_table="src", result_table="typed", mapping_path="m.yml")
        targets = ", ".join(f'"{r.target}"' for r in mapping.main.columns)
        rows: list[dict] = (
            con.sql(f"SELECT {targets} FROM typed ORDER BY __row").to_arrow_table().to_pylist()
        )
        return rows
    finally:
        con.close()


def test_rename_trims_and_treats_empty_as_null() -> None:
    rows = _coerce(
        "  person_id: emp\n  location: site\n", {"emp": [" E1 ", "E2"], "site": ["", None]}
    )
    assert rows == [{"person_id": "E1", "location": None}, {"person_id": "E2", "location": None}]


def test_value_map_and_default() -> None:
    rows = _coerce(
        "  person_id: emp\n"
        "  employment_type: {from: kind, map: {FT: full_time, X: null}, default: unknown}\n",
        {"emp": ["E1", "E2", "E3", "E4"], "kind": ["FT", "PT", None, "X"]},
    )
    assert [r["employment_type"] for r in rows] == ["full_time", "PT", "unknown", "unknown"]


def test_date_with_format_and_iso_default() -> None:
    rows = _coerce(
        "  person_id: emp\n  hire_date: {from: hired, format: '%d/%m/%Y'}\n  leave_date: left\n",
        {"emp": ["E1", "E2"], "hired": ["31/01/2024", "31/02/2024"], "left": ["2025-06-30", "x"]},
    )
    import datetime as dt

    assert rows[0]["hire_date"] == dt.date(2024, 1, 31)
    assert rows[1]["hire_date"] is None  # invalid: quality reports it
    assert rows[0]["leave_date"] == dt.date(2025, 6, 30)
    assert rows[1]["leave_date"] is None


def test_derived_expression_over_source_columns() -> None:
    rows = _coerce(
        "  person_id: emp\n  email: {expr: \"lower(first) || '.' || lower(last) || '@ex.com'\"}\n",
        {"emp": ["E1"], "first": ["Ann"], "last": ["LEE"]},
    )
    assert rows[0]["email"] == "ann.lee@ex.com"


def test_decimal_integer_double_boolean_timestamp_uuid() -> None:
    import datetime as dt
    from decimal import Decimal

    rows = _coerce(
        "  person_id: emp\n  loaded_cost_per_hour: cost\n",
        {"emp": ["E1", "E2"], "cost": ["42.5", "4x"]},
    )
    assert rows[0]["loaded_cost_per_hour"] == Decimal("42.5000")
    assert rows[1]["loaded_cost_per_hour"] is None
    rows = _coerce(
        "  role_id: r\n  name: n\n  level: lvl\n  is_manager: mgr\n",
        {
            "r": ["A", "B", "C"],
            "n": ["a", "b", "c"],
            "lvl": ["2", "2.5", ""],
            "mgr": ["Yes", "0", "maybe"],
        },
        entity="roles",
    )
    assert [(r["level"], r["is_manager"]) for r in rows] == [(2, True), (None, False), (None, None)]
    rows = _coerce(
        "  run_id: id\n  entity: e\n  status: s\n  started_at: at\n  rows_read: n\n",
        {
            "id": ["1b1f7c1e-8a34-4c59-9b39-4c0f0f5b7e11", "nope"],
            "e": ["people"] * 2,
            "s": ["succeeded"] * 2,
            "at": ["2025-03-01 06:00:00+02", "2025-03-01T06:00:00"],
            "n": ["1", "1e3"],
        },
        entity="import_runs",
    )
    assert rows[0]["run_id"] == "1b1f7c1e-8a34-4c59-9b39-4c0f0f5b7e11"
    assert rows[1]["run_id"] is None
    assert rows[0]["started_at"] == dt.datetime(2025, 3, 1, 4, tzinfo=dt.UTC)
    assert rows[1]["started_at"] == dt.datetime(2025, 3, 1, 6, tzinfo=dt.UTC)


def test_invalid_expression_names_the_mapping_line() -> None:
    with pytest.raises(ValidationError, match=r"m\.yml:4: people\.email: invalid expr: .*nope"):
        _coerce("  person_id: emp\n  email: {expr: 'lower(nope)'}\n", {"emp": ["E1"]})


def test_missing_source_columns_are_named() -> None:
    mapping = parse_mapping("entity: people\ncolumns:\n  person_id: emp\n  email: mail\n")
    with pytest.raises(ValidationError, match=r"f\.csv: missing column\(s\) emp, mail"):
        check_source_columns(mapping.main, ["id", "name"], "f.csv")
