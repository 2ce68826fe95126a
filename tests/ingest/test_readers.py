"""Readers: every format into text columns with source row numbers; sniffing and encodings."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from learnledger.errors import ValidationError
from learnledger.ingest.mapping import ReadOptions
from learnledger.ingest.readers import ROW, read_source
from learnledger.storage.postgres_engine import PostgresEngine


def _rows(table: pa.Table) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = table.to_pylist()
    return rows


def test_csv_sniffs_semicolon_quoting_header_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes('id;name;score\n1;José;3,5\n2;"Lee; Ann";4\n'.encode("latin-1"))
    data = read_source(str(path), ReadOptions())
    assert data.columns == ["id", "name", "score"]
    assert _rows(data.table) == [
        {"id": "1", "name": "José", "score": "3,5", ROW: 2},
        {"id": "2", "name": "Lee; Ann", "score": "4", ROW: 3},
    ]
    assert len(data.checksum) == 64


def test_csv_with_declared_utf8_but_latin1_bytes_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("id,name\n1,Ann\n2,José\n".encode("latin-1"))
    with pytest.raises(ValidationError, match=r"bad\.csv, line 3: not valid UTF-8"):
        read_source(str(path), ReadOptions(encoding="utf-8"))


def test_tsv_and_explicit_options(tmp_path: Path) -> None:
    path = tmp_path / "rows.tsv"
    path.write_text("a\tb\nx\ty\n", encoding="utf-8")
    assert _rows(read_source(str(path), ReadOptions()).table) == [{"a": "x", "b": "y", ROW: 2}]
    headerless = tmp_path / "rows.csv"
    headerless.write_text("1|2\n3|4\n", encoding="utf-8")
    data = read_source(str(headerless), ReadOptions(delimiter="|", header=False))
    assert data.table.column(ROW).to_pylist() == [1, 2]


def test_xlsx_reads_the_first_sheet_with_dates_as_iso_text(tmp_path: Path) -> None:
    import datetime as dt

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["employee_id", "hire_date", "hours"])
    sheet.append(["E1", dt.datetime(2024, 3, 1), 7.5])
    sheet.append([None, None, None])
    sheet.append(["E2", dt.datetime(2024, 4, 2), 8])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    data = read_source(str(path), ReadOptions())
    assert _rows(data.table) == [
        {"employee_id": "E1", "hire_date": "2024-03-01", "hours": "7.5", ROW: 2},
        {"employee_id": "E2", "hire_date": "2024-04-02", "hours": "8", ROW: 4},
    ]
    with pytest.raises(ValidationError, match="no sheet 'Nope'"):
        read_source(str(path), ReadOptions(sheet="Nope"))


def test_parquet_columns_become_text(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "obs.parquet"
    pq.write_table(
        pa.table({"id": [1, 2], "day": [dt.date(2024, 1, 1), None], "v": [1.5, 2.0]}), path
    )
    assert _rows(read_source(str(path), ReadOptions()).table) == [
        {"id": "1", "day": "2024-01-01", "v": "1.5", ROW: 1},
        {"id": "2", "day": None, "v": "2.0", ROW: 2},
    ]


def test_ndjson_and_json_array(tmp_path: Path) -> None:
    records = [{"id": "a", "n": 1}, {"id": "b", "n": None}]
    ndjson = tmp_path / "rows.ndjson"
    ndjson.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    array = tmp_path / "rows.json"
    array.write_text(json.dumps(records), encoding="utf-8")
    expected = [{"id": "a", "n": "1", ROW: 1}, {"id": "b", "n": None, ROW: 2}]
    assert _rows(read_source(str(ndjson), ReadOptions()).table) == expected
    assert _rows(read_source(str(array), ReadOptions()).table) == expected


def test_unknown_extension_and_missing_file_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        read_source(str(tmp_path / "nope.csv"), ReadOptions())
    odd = tmp_path / "rows.dat"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"set read\.format"):
        read_source(str(odd), ReadOptions())


@pytest.mark.postgres
def test_sql_query_from_postgresql(postgres_engine: PostgresEngine) -> None:
    postgres_engine.execute("CREATE TABLE hr_people (id TEXT, hired DATE, salary NUMERIC(10,2))")
    postgres_engine.execute(
        "INSERT INTO hr_people VALUES ('E1', DATE '2024-01-02', 10.5), ('E2', NULL, NULL)"
    )
    data = read_source(
        postgres_engine.url,
        ReadOptions(format="sql", query="SELECT id, hired, salary FROM hr_people ORDER BY id"),
    )
    assert _rows(data.table) == [
        {"id": "E1", "hired": "2024-01-02", "salary": "10.50", ROW: 1},
        {"id": "E2", "hired": None, "salary": None, ROW: 2},
    ]
    assert "SELECT id" in data.location
    with pytest.raises(ValidationError, match="needs a query"):
        read_source(postgres_engine.url, ReadOptions(format="sql"))
