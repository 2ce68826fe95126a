"""The shipped OULAD mapping end to end on the committed fixture (cut from the real dataset).

Imports go through the public paths: `learnledger import` (typer's CliRunner) and
`Importer.run`, on DuckDB and PostgreSQL. Expected counts are computed from the fixture files.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from learnledger.cli import common
from learnledger.cli.app import app
from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.ingest import (
    MAPPINGS_DIR,
    DataSource,
    Importer,
    SourceRegistry,
    rejections_of,
)
from learnledger.ingest import importer as importer_module
from learnledger.storage import Engine, Migrator, open_engine

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "oulad"
MAPPING = MAPPINGS_DIR / "oulad.yml"
ENTITIES = (
    "programmes",
    "cohorts",
    "courses",
    "course_modules",
    "people",
    "identities",
    "enrolments",
    "assessments",
    "assessment_results",
    "learning_events",
)
runner = CliRunner()


def _rows(name: str, directory: Path = FIXTURE) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _clicks(directory: Path = FIXTURE) -> list[tuple[Any, ...]]:
    return duckdb.sql(
        "SELECT id_student, id_site, date, sum_click FROM read_parquet(?, "
        "hive_partitioning = true)",
        params=[str(directory / "studentVle" / "**" / "*.parquet")],
    ).fetchall()


def expected_counts(directory: Path = FIXTURE) -> dict[str, int]:
    """Rows each entity should hold after importing `directory` (all rows valid)."""
    courses = _rows("courses.csv", directory)
    students = {r["id_student"] for r in _rows("studentInfo.csv", directory)}
    return {
        "programmes": len({r["code_module"] for r in courses}),
        "cohorts": len(courses),
        "courses": len(courses),
        "course_modules": len(_rows("vle.csv", directory)),
        "people": len(students),
        "identities": len(students),
        "enrolments": len(_rows("studentRegistration.csv", directory)),
        "assessments": len(_rows("assessments.csv", directory)),
        "assessment_results": len(_rows("studentAssessment.csv", directory)),
        "learning_events": len(_clicks(directory)),
    }


def register_oulad(engine: Engine) -> None:
    """Migrate `engine` and register the ``oulad`` source."""
    Migrator(engine).migrate()
    SourceRegistry(engine).add(
        DataSource(
            source_id="oulad",
            name="Open University Learning Analytics Dataset",
            kind="lms",
            owner="Learning Analytics",
            purpose="Training analytics on a public data set",
            legal_basis="legitimate_interest",
            personal_data_categories="pseudonymous learner ids",
        )
    )


def counts(engine: Engine) -> dict[str, int]:
    return {e: int(engine.fetch_one(f"SELECT count(*) FROM {e}")[0]) for e in ENTITIES}  # type: ignore[index]


@pytest.fixture
def oulad_store(engine: Engine) -> Engine:
    """`engine` (both kinds) migrated, with the ``oulad`` source registered."""
    register_oulad(engine)
    return engine


@pytest.fixture
def dataset(tmp_path: Path) -> Callable[[], Path]:
    """Copy the fixture into tmp_path (to be changed by a test) and return the copy."""

    def _copy() -> Path:
        target = tmp_path / "oulad"
        shutil.copytree(FIXTURE, target)
        return target

    return _copy


def test_fixture_is_small_and_attributed() -> None:
    assert (FIXTURE / "ATTRIBUTION.md").read_text(encoding="utf-8").count("CC BY 4.0") == 1
    assert "Scientific Data 4:170171" in (FIXTURE / "ATTRIBUTION.md").read_text(encoding="utf-8")
    assert 100 <= len(_clicks()) <= 1000
    assert sum(p.stat().st_size for p in FIXTURE.rglob("*") if p.is_file()) < 50_000


def test_import_writes_every_entity_with_exact_values(oulad_store: Engine) -> None:
    report = Importer(oulad_store).run(FIXTURE, MAPPING)
    assert report.status == "succeeded"
    assert report.rows_rejected == 0, report.rejected_by_reason
    expected = expected_counts()
    assert counts(oulad_store) == expected
    assert {e: c.inserted for e, c in report.entities.items()} == expected
    assert report.entity == "learning_events"
    assert sorted(report.files) == sorted(
        p.relative_to(FIXTURE).as_posix()
        for p in FIXTURE.rglob("*")
        if p.suffix in (".csv", ".parquet")
    )
    engine = oulad_store

    # A withdrawn registration: 2013J starts 2013-10-01 (the mapping's anchor); registered
    # 92 days before it, unregistered on day 12.
    enrolment = engine.fetch_dicts(
        "SELECT person_id, course_id, cohort_id, status, enrolled_at, withdrawn_at, "
        "completed_at, due_date, source_id FROM enrolments WHERE enrolment_id = ?",
        ["OULAD-AAA-2013J-30268"],
    )[0]
    assert enrolment == {
        "person_id": "OULAD-S30268",
        "course_id": "OULAD-AAA-2013J",
        "cohort_id": "OULAD-AAA-2013J",
        "status": "withdrawn",
        "enrolled_at": dt.datetime(2013, 7, 1, tzinfo=dt.UTC),
        "withdrawn_at": dt.datetime(2013, 10, 13, tzinfo=dt.UTC),
        "completed_at": None,
        "due_date": dt.date(2014, 6, 26),
        "source_id": "oulad",
    }
    statuses = dict(engine.fetch_all("SELECT enrolment_id, status FROM enrolments"))
    results = {
        f"OULAD-{r['code_module']}-{r['code_presentation']}-{r['id_student']}": r["final_result"]
        for r in _rows("studentInfo.csv")
    }
    unregistered = {
        f"OULAD-{r['code_module']}-{r['code_presentation']}-{r['id_student']}"
        for r in _rows("studentRegistration.csv")
        if r["date_unregistration"]
    }
    for key, final in results.items():
        want = {"Pass": "completed", "Distinction": "completed", "Fail": "failed"}.get(
            final, "withdrawn"
        )
        assert statuses[key] == ("withdrawn" if key in unregistered else want), key
    # A Pass completes at the end of the presentation (268 days after 2013-10-01).
    assert engine.fetch_one(
        "SELECT completed_at FROM enrolments WHERE enrolment_id = 'OULAD-AAA-2013J-11391'"
    ) == (dt.datetime(2014, 6, 26, tzinfo=dt.UTC),)
    # Student 65002 took AAA twice: one person, two enrolments.
    assert engine.fetch_one("SELECT count(*) FROM enrolments WHERE person_id = 'OULAD-S65002'") == (
        2,
    )

    cohort = engine.fetch_one(
        "SELECT programme_id, start_date, end_date FROM cohorts WHERE cohort_id = ?",
        ["OULAD-AAA-2014J"],
    )
    assert cohort == ("OULAD-AAA", dt.date(2014, 10, 1), dt.date(2015, 6, 27))

    result = engine.fetch_dicts(
        "SELECT assessment_id, person_id, enrolment_id, taken_at, score_raw, score_scaled, "
        "passed FROM assessment_results WHERE result_id = 'OULAD-R1752-11391'"
    )[0]
    assert result == {
        "assessment_id": "OULAD-A1752",
        "person_id": "OULAD-S11391",
        "enrolment_id": "OULAD-AAA-2013J-11391",
        "taken_at": dt.datetime(2013, 10, 19, tzinfo=dt.UTC),
        "score_raw": 78.0,
        "score_scaled": 0.78,
        "passed": True,
    }
    kinds = dict(engine.fetch_all("SELECT assessment_id, kind FROM assessments"))
    for row in _rows("assessments.csv"):
        want = {"TMA": "practical", "CMA": "quiz", "Exam": "exam"}[row["assessment_type"]]
        assert kinds[f"OULAD-A{row['id_assessment']}"] == want

    # Learning events: one per click row, the clicks kept, dates from the anchor.
    clicks = _clicks()
    total = engine.fetch_one("SELECT sum(interactions) FROM learning_events")
    assert total is not None
    assert int(total[0]) == int(sum(c[3] for c in clicks))
    student, site, day, clicked = clicks[0]
    event = engine.fetch_dicts(
        "SELECT person_id, actor_ifi, verb, activity_id, timestamp, interactions "
        "FROM learning_events WHERE person_id = ? AND activity_id = ? AND timestamp = ? "
        "ORDER BY interactions",
        [
            f"OULAD-S{int(student)}",
            f"https://analyse.kmi.open.ac.uk/open_dataset/vle/{int(site)}",
            dt.datetime(2013, 10, 1, tzinfo=dt.UTC) + dt.timedelta(days=int(day)),
        ],
    )
    assert event
    assert int(clicked) in {e["interactions"] for e in event}
    assert event[0]["actor_ifi"] == (
        f"account:https://analyse.kmi.open.ac.uk/open_dataset|{int(student)}"
    )
    assert engine.fetch_one(
        "SELECT count(*) FROM learning_events AS e JOIN identities AS i "
        "ON i.ifi = e.actor_ifi AND i.person_id = e.person_id"
    ) == (len(clicks),)
    assert engine.fetch_one(
        "SELECT count(*) FROM learning_events AS e JOIN enrolments AS n "
        "ON n.registration = e.registration AND n.person_id = e.person_id"
    ) == (len(clicks),)
    modules = dict(engine.fetch_all("SELECT module_id, kind FROM course_modules"))
    for row in _rows("vle.csv"):
        assert modules[f"OULAD-V{row['id_site']}"] == row["activity_type"]


def test_importing_twice_changes_nothing(oulad_store: Engine) -> None:
    Importer(oulad_store).run(FIXTURE, MAPPING)
    before = counts(oulad_store)
    events = oulad_store.fetch_all("SELECT event_id, interactions FROM learning_events")
    again = Importer(oulad_store).run(FIXTURE, MAPPING)
    assert again.status == "succeeded"
    assert all(c.inserted == 0 and c.updated == 0 for c in again.entities.values())
    assert {e: c.unchanged for e, c in again.entities.items()} == before
    assert counts(oulad_store) == before
    assert sorted(oulad_store.fetch_all("SELECT event_id, interactions FROM learning_events")) == (
        sorted(events)
    )


def _append(path: Path, *lines: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        for line in lines:
            handle.write(line + "\n")


def test_bad_rows_are_quarantined_with_file_row_column_and_reason(
    oulad_store: Engine, dataset: Callable[[], Path]
) -> None:
    directory = dataset()
    assessments = directory / "studentAssessment.csv"
    first_new_line = len(assessments.read_text(encoding="utf-8").splitlines()) + 1
    _append(assessments, "1752,999999,18,0,50", "1752,30268,18,0,abc")
    report = Importer(oulad_store).run(directory, MAPPING)
    assert report.status == "succeeded"
    assert report.rows_rejected == 2
    rejections = rejections_of(oulad_store, report.run_id)
    found = {(r.source_file, r.row_number, r.column_name, r.reason) for r in rejections}
    assert found == {
        (
            "studentAssessment.csv",
            first_new_line,
            "person_id",
            "unknown people.person_id: no such row in the store or this import",
        ),
        (
            "studentAssessment.csv",
            first_new_line,
            "enrolment_id",
            "unknown enrolments.enrolment_id: no such row in the store or this import",
        ),
        ("studentAssessment.csv", first_new_line + 1, "score", "not a valid number"),
    }
    bad = next(r for r in rejections if r.column_name == "score")
    assert bad.value == "abc"
    assert bad.raw["id_student"] == "30268"
    assert "__row" not in bad.raw
    # The good rows are all in; the bad ones are not.
    expected = expected_counts(FIXTURE)
    assert counts(oulad_store) == expected
    assert report.rejected_by_reason["assessment_results.score: not a valid number"] == 1


def test_a_bad_click_row_names_its_parquet_file_and_row(
    oulad_store: Engine, dataset: Callable[[], Path]
) -> None:
    directory = dataset()
    part = next((directory / "studentVle").rglob("*.parquet"))
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t AS FROM read_parquet('{part}', hive_partitioning = false)")
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    # A day offset that is not whole, and a negative click count.
    con.execute(
        "INSERT INTO t (id_student, id_site, date, sum_click) "
        "VALUES (11391.0, 546614.0, 3.5, 2.0), (11391.0, 546614.0, 4, -3)"
    )
    con.execute(f"COPY t TO '{part}' (FORMAT parquet)")
    con.close()
    report = Importer(oulad_store).run(directory, MAPPING)
    rejections = rejections_of(oulad_store, report.run_id)
    relative = part.relative_to(directory).as_posix()
    found = {(r.source_file, r.row_number, r.column_name, r.reason) for r in rejections}
    assert found == {
        (relative, rows + 1, "date", "not a whole number of days"),
        (relative, rows + 2, "sum_click", "below the minimum 0"),
    }
    assert counts(oulad_store)["learning_events"] == expected_counts(FIXTURE)["learning_events"]


def test_a_presentation_without_an_anchor_date_is_rejected(
    oulad_store: Engine, dataset: Callable[[], Path]
) -> None:
    directory = dataset()
    _append(directory / "courses.csv", "AAA,2015B,240")
    report = Importer(oulad_store).run(directory, MAPPING)
    rejected = rejections_of(oulad_store, report.run_id)
    assert {(r.source_file, r.row_number, r.column_name) for r in rejected} == {
        ("courses.csv", 4, "start_date"),
        ("courses.csv", 4, "module_presentation_length"),
    }
    assert all("no anchor date (days_after code_presentation): 2015B" in r.reason for r in rejected)
    # The cohort is rejected, the course of the same row is not (it has no date).
    assert oulad_store.fetch_one("SELECT count(*) FROM courses") == (3,)
    assert oulad_store.fetch_one("SELECT count(*) FROM cohorts") == (2,)


def test_a_failure_while_writing_rolls_every_entity_back(
    oulad_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert = importer_module.Importer._upsert

    def failing(self: Importer, part: Any, rows: Any, report: Any) -> Any:
        if part.entity == "learning_events":
            raise LearnLedgerError("disk full (simulated)")
        return upsert(self, part, rows, report)

    monkeypatch.setattr(importer_module.Importer, "_upsert", failing)
    with pytest.raises(LearnLedgerError, match="disk full"):
        Importer(oulad_store).run(FIXTURE, MAPPING)
    assert set(counts(oulad_store).values()) == {0}
    # Nothing of the run is kept but the failed run itself, with its error.
    runs = oulad_store.fetch_all("SELECT status, report FROM import_runs")
    assert len(runs) == 1
    assert runs[0][0] == "failed"
    assert "disk full (simulated)" in runs[0][1]
    assert oulad_store.fetch_one("SELECT count(*) FROM import_rejections") == (0,)


def test_many_new_rows_rebuild_the_indexes_in_the_transaction(
    oulad_store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer_module, "_REINDEX_MIN_ROWS", 1)
    # One stored event: the import stages and compares (no first load into an empty table).
    oulad_store.execute(
        "INSERT INTO learning_events (event_id, actor_ifi, verb_id, verb, activity_id, "
        "timestamp, stored) VALUES ('00000000-0000-0000-0000-000000000001', 'account:x|1', "
        "'http://adlnet.gov/expapi/verbs/interacted', 'interacted', 'https://x/1', "
        "TIMESTAMP '2024-01-01 00:00:00', TIMESTAMP '2024-01-01 00:00:00')"
    )
    report = Importer(oulad_store).run(FIXTURE, MAPPING)
    expected = expected_counts()
    assert counts(oulad_store) == {**expected, "learning_events": expected["learning_events"] + 1}
    assert report.entities["learning_events"].inserted == len(_clicks())
    # The indexes are back: the same import again is checked against them, and a duplicate
    # of a unique index still fails.
    again = Importer(oulad_store).run(FIXTURE, MAPPING)
    assert again.entities["learning_events"].unchanged == len(_clicks())
    with pytest.raises(LearnLedgerError):
        oulad_store.execute(
            "INSERT INTO courses (course_id, name, delivery_channel, xapi_activity_id) "
            "SELECT 'X', 'x', 'e_learning', xapi_activity_id FROM courses LIMIT 1"
        )


def test_dry_run_writes_nothing(oulad_store: Engine) -> None:
    report = Importer(oulad_store).run(FIXTURE, MAPPING, dry_run=True)
    assert report.status == "dry_run"
    assert report.entities["learning_events"].inserted == len(_clicks())
    assert set(counts(oulad_store).values()) == {0}
    assert oulad_store.fetch_one("SELECT count(*) FROM import_runs") == (0,)


def test_entity_must_be_one_the_mapping_writes(oulad_store: Engine) -> None:
    with pytest.raises(ValidationError, match="not 'kpis'"):
        Importer(oulad_store).run(FIXTURE, MAPPING, entity="kpis")
    report = Importer(oulad_store).run(FIXTURE, MAPPING, entity="enrolments")
    assert report.status == "succeeded"


def test_a_missing_file_is_refused_before_anything_is_written(
    oulad_store: Engine, dataset: Callable[[], Path]
) -> None:
    directory = dataset()
    (directory / "vle.csv").unlink()
    with pytest.raises(ValidationError, match="table vle: no such file"):
        Importer(oulad_store).run(directory, MAPPING)
    assert set(counts(oulad_store).values()) == {0}


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich tables as wide as needed, so that cells are not wrapped."""
    monkeypatch.setattr(common.console, "_width", 250)
    monkeypatch.setattr(common.error_console, "_width", 250)


def _cli(db: Path, *args: str) -> str:
    result = runner.invoke(app, ["--database-url", f"duckdb:///{db}", *args], terminal_width=250)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.usefixtures("wide_console")
def test_cli_imports_the_fixture_twice(tmp_path: Path) -> None:
    db = tmp_path / "ll.duckdb"
    _cli(
        db,
        "sources",
        "add",
        "oulad",
        "--name",
        "OULAD",
        "--kind",
        "lms",
        "--owner",
        "Learning Analytics",
        "--purpose",
        "Training analytics",
        "--legal-basis",
        "legitimate_interest",
    )
    args = ("import", "learning_events", str(FIXTURE), "--mapping", "oulad", "--source", "oulad")
    first = _cli(db, *args)
    assert "succeeded" in first
    expected = expected_counts()
    for entity, count in expected.items():
        assert any(
            line.split("│")[1].strip() == entity and str(count) in line
            for line in first.splitlines()
            if line.count("│") > 2
        ), (entity, first)
    _cli(db, *args)
    with open_engine(f"duckdb:///{db}") as engine:
        assert counts(engine) == expected
        runs = engine.fetch_all(
            "SELECT status, rows_inserted, rows_unchanged FROM import_runs ORDER BY started_at"
        )
    events = expected["learning_events"]
    assert runs == [("succeeded", events, 0), ("succeeded", 0, events)]
