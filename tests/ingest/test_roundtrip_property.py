"""Property: rows written to CSV and imported come back unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from learnledger.ingest import Importer, parse_mapping
from learnledger.storage.duckdb_engine import DuckDBEngine

from .conftest import register_sources

MAPPING = parse_mapping(
    """
entity: cohorts
source: hris
read: {format: csv, delimiter: ',', quote: '"', header: true, encoding: utf-8}
columns:
  cohort_id: id
  programme_id: programme
  name: name
  start_date: {from: start, format: '%d.%m.%Y'}
  end_date: end
""",
    path="cohorts.yml",
)

texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=30
).map(str.strip)
dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 12, 31))
rows = st.lists(
    st.fixed_dictionaries(
        {
            "cohort_id": texts.filter(bool),
            "name": texts.filter(bool),
            "start_date": st.none() | dates,
            "end_date": st.none() | dates,
        }
    ),
    max_size=15,
    unique_by=lambda r: r["cohort_id"],
)


def _cell(value: Any, fmt: str = "%Y-%m-%d") -> str:
    return "" if value is None else value.strftime(fmt) if isinstance(value, dt.date) else value


@settings(max_examples=40, deadline=None)
@given(rows=rows)
def test_rows_to_csv_to_import_to_fetch_round_trip(rows: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, DuckDBEngine("duckdb://") as engine:
        register_sources(engine)
        engine.execute("INSERT INTO programmes (programme_id, name) VALUES ('PG1', 'Sales')")
        path = Path(tmp) / "cohorts.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
            writer.writerow(["id", "programme", "name", "start", "end"])
            for row in rows:
                writer.writerow(
                    [
                        row["cohort_id"],
                        "PG1",
                        row["name"],
                        _cell(row["start_date"], "%d.%m.%Y"),
                        _cell(row["end_date"]),
                    ]
                )
        report = Importer(engine).run(path, MAPPING)
        assert report.rows_rejected == 0, report.rejected_by_reason
        assert report.counts.inserted == len(rows)
        stored = engine.fetch_dicts("SELECT cohort_id, name, start_date, end_date FROM cohorts")
        key = "cohort_id"
        assert sorted(stored, key=lambda r: r[key]) == sorted(rows, key=lambda r: r[key])
        again = Importer(engine).run(path, MAPPING)
        assert (again.counts.inserted, again.counts.updated) == (0, 0)
