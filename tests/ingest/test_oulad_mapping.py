"""Dataset mappings (tables + entities) and `days_after`: strict validation, file and line."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from learnledger.errors import ValidationError
from learnledger.ingest import MAPPINGS_DIR, load_mapping, parse_mapping
from learnledger.ingest.mapping import TableSpec
from learnledger.ingest.readers import load_dataset_table

GOOD = """\
name: tiny
source: lms
tables:
  people_file: people.csv
  clicks: {path: clicks, format: parquet, hive_partitioning: true}
entities:
  - entity: people
    from: people_file
    columns:
      person_id: id
      hire_date:
        from: day
        days_after: {from: term, map: {T1: 2024-01-08}}
  - entity: learning_events
    query: SELECT c.* FROM clicks AS c
    columns:
      event_id: {expr: "CAST(md5(id) AS UUID)"}
      actor_ifi: {expr: "'account:x|' || id"}
      verb_id: {default: "http://adlnet.gov/expapi/verbs/interacted"}
      verb: {default: interacted}
      activity_id: {default: "https://x/1"}
      timestamp: {from: day, days_after: {default: 2024-01-08}}
      stored: {from: day, days_after: {default: 2024-01-08}}
"""


def test_the_shipped_oulad_mapping_is_valid() -> None:
    mapping = load_mapping(MAPPINGS_DIR / "oulad.yml")
    assert mapping.is_dataset
    assert mapping.entity == "learning_events"
    assert [p.entity for p in mapping.parts][:3] == ["programmes", "cohorts", "courses"]
    anchor = next(r for r in mapping.parts[1].columns if r.target == "start_date").days_after
    assert anchor is not None
    assert anchor.value_map == {
        "2013B": "2013-02-01",
        "2013J": "2013-10-01",
        "2014B": "2014-02-01",
        "2014J": "2014-10-01",
    }


def test_a_dataset_mapping_parses() -> None:
    mapping = parse_mapping(GOOD)
    assert mapping.entity == "learning_events"  # the last entity by default
    assert [t.name for t in mapping.tables] == ["people_file", "clicks"]
    assert mapping.tables[1] == TableSpec(
        "clicks", "clicks", mapping.tables[1].read, hive_partitioning=True, line=5
    )
    assert mapping.tables[1].read.format == "parquet"
    people = mapping.parts[0]
    assert people.table == "people_file"
    assert people.query is None
    hire = next(r for r in people.columns if r.target == "hire_date")
    assert hire.days_after is not None
    assert hire.days_after.source == "term"
    assert hire.days_after.value_map == {"T1": "2024-01-08"}
    assert people.source_columns() == {"id", "day", "term"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("  people_file: people.csv", "  people_file: {pth: people.csv}"),
            ":4: unknown key 'pth'",
        ),
        (
            ("    from: people_file", "    form: people_file"),
            ":8: unknown key 'form' in entities[0]",
        ),
        (
            ("    from: people_file", "    from: nobody"),
            ":8: entities[0].from: unknown table 'nobody'",
        ),
        (
            ("    query: SELECT c.* FROM clicks AS c", "    from: clicks\n    query: SELECT 1"),
            "either 'from' (a table) or 'query'",
        ),
        (("{from: term, map:", "{frm: term, map:"), "unknown key 'frm' in entities[0].columns"),
        (("      person_id: id", "      person_id: {from: id, days_after: x}"), "only date and"),
        (("format: parquet, hive", "format: xlsx, hive"), "'xlsx' is not one of csv, tsv, parquet"),
        (("hive_partitioning: true", "hive_partitioning: yes please"), "must be true or false"),
        (
            ("  people_file: people.csv", "  people_file: ../people.csv"),
            "must be a path inside the dataset directory",
        ),
        (("name: tiny", "name: tiny\ncolumns: {}"), "columns: not used in a dataset mapping"),
        (("source: lms", "source: lms\nentity: kpis"), "'kpis' is not one of the entities"),
    ],
)
def test_dataset_mapping_errors_name_line_and_key(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in GOOD
    with pytest.raises(ValidationError, match=re.escape(message)):
        parse_mapping(GOOD.replace(old, new, 1), path="m.yml")


def test_entities_need_tables() -> None:
    text = "entities:\n  - entity: people\n    from: x\n    columns: {person_id: id}\n"
    with pytest.raises(ValidationError, match="needs both 'tables' and 'entities'"):
        parse_mapping(text)


def test_parquet_tables_read_as_text_with_file_and_row(tmp_path: Path) -> None:
    target = tmp_path / "clicks"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT * FROM (VALUES (28400.0, 2.5, 'A'), (7.0, -1.0, 'A'), (1.0, 3.0, 'B')) "
        f"AS t(id, day, part)) TO '{target}' (FORMAT parquet, PARTITION_BY (part))"
    )
    spec = TableSpec("clicks", "clicks", hive_partitioning=True)
    files = load_dataset_table(con, tmp_path, spec, first_file_no=3)
    assert [(n, f) for n, f, _ in files] == [
        (3, f"clicks/part=A/{sorted((target / 'part=A').iterdir())[0].name}"),
        (4, f"clicks/part=B/{sorted((target / 'part=B').iterdir())[0].name}"),
    ]
    rows = con.execute(
        "SELECT id, day, part, __row, __file_no FROM clicks ORDER BY __file_no, __row"
    ).fetchall()
    assert rows == [
        ("28400", "2.5", "A", 1, 3),
        ("7", "-1", "A", 2, 3),
        ("1", "3", "B", 1, 4),
    ]


def test_a_missing_table_file_is_named(tmp_path: Path) -> None:
    con = duckdb.connect()
    with pytest.raises(ValidationError, match="table clicks: no such file or directory"):
        load_dataset_table(con, tmp_path, TableSpec("clicks", "clicks"), first_file_no=0)
    (tmp_path / "clicks").mkdir()
    with pytest.raises(ValidationError, match=r"no \.parquet files"):
        load_dataset_table(con, tmp_path, TableSpec("clicks", "clicks"), first_file_no=0)
