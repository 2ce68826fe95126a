"""The read-only import views (`ingest.runs`) on both engines: runs, reports, quarantine."""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path

import pytest

from learnledger.errors import NotFoundError, ValidationError
from learnledger.ingest import HRIS_ROSTER_MAPPING, Importer
from learnledger.ingest.runs import get_run, list_runs, quarantined_rows
from learnledger.storage import Engine

HEADER = (
    "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
    "hire_date,termination_date,employment_type\n"
)
ROSTER = HEADER + (
    "E1,Ann,Lee,ann@example.com,,Sales,Head of Sales,Dublin,2020-01-06,,FT\n"
    "E2,Bo,Kim,bo@example.com,E1,Sales,Account Executive,Dublin,2021-13-45,,FT\n"
    "E3,Cy,Ng,cy@example.com,E9,Support,Agent,Lisbon,2022-01-02,,PT\n"
    "E4,Di,Oh,di@example.com,E1,Support,Agent,Lisbon,someday,,PT\n"
)
DATE_REASON = "not a valid date (expected YYYY-MM-DD; or set 'format' in the mapping)"
MANAGER_REASON = "unknown people.person_id: no such row in the store or this import"


def _import(store: Engine, path: Path, source: str = "hris") -> uuid.UUID:
    return Importer(store).run(path, HRIS_ROSTER_MAPPING, source_id=source, actor="ana").run_id


def test_a_run_with_rejections_is_listed_shown_and_quarantined(store: Engine, write) -> None:  # type: ignore[no-untyped-def]
    path = write("roster.csv", ROSTER)
    run_id = _import(store, path)

    [listed] = list_runs(store)
    assert listed.run_id == str(run_id)
    run = get_run(store, str(run_id))
    assert run == listed
    assert (run.status, run.entity, run.source_id, run.actor) == (
        "succeeded",
        "people",
        "hris",
        "ana",
    )
    assert (run.rows_read, run.rows_inserted, run.rows_updated, run.rows_rejected) == (4, 1, 0, 3)
    assert run.mapping_name == "hris_roster"
    assert run.location == str(path)
    assert run.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert run.rejected_by_reason == {
        f"hire_date: {DATE_REASON}": 2,
        f"manager_id: {MANAGER_REASON}": 1,
    }
    assert run.entity_counts["people"] == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert run.entity_counts["org_units"]["inserted"] == 2
    assert run.as_json()["started_at"].endswith("+00:00")

    rows = quarantined_rows(store, run_id=run_id)
    assert [(r.row_number, r.column_name, r.value, r.reason) for r in rows] == [
        (3, "hire_date", "2021-13-45", DATE_REASON),
        (4, "manager_id", "E9", MANAGER_REASON),
        (5, "hire_date", "someday", DATE_REASON),
    ]
    assert {r.source_id for r in rows} == {"hris"}
    assert rows[1].raw["employee_id"] == "E3"
    only_dates = quarantined_rows(store, reason="NOT A VALID DATE")
    assert [r.row_number for r in only_dates] == [3, 5]
    assert quarantined_rows(store, run_id=run_id, limit=1) == rows[:1]


def test_list_filters_by_source_and_limits_newest_first(store: Engine, write) -> None:  # type: ignore[no-untyped-def]
    first = _import(store, write("a.csv", ROSTER))
    second = _import(
        store, write("b.csv", HEADER + "E7,Ed,Fox,ed@example.com,,Ops,Agent,Oslo,2020-01-01,,FT\n")
    )
    perf = _import(
        store,
        write("c.csv", HEADER + "E8,Flo,Gu,flo@example.com,,Ops,Agent,Oslo,2020-01-01,,FT\n"),
        "perf",
    )
    assert [r.run_id for r in list_runs(store)] == [str(perf), str(second), str(first)]
    assert [r.run_id for r in list_runs(store, limit=2)] == [str(perf), str(second)]
    assert [r.run_id for r in list_runs(store, source_id="hris")] == [str(second), str(first)]
    assert list_runs(store, source_id="nobody") == []
    assert [r.run_id for r in quarantined_rows(store)] == [str(first)] * 3
    with pytest.raises(ValidationError, match="--limit"):
        list_runs(store, limit=0)


def test_an_unknown_or_malformed_run_id_is_not_found(store: Engine) -> None:
    with pytest.raises(NotFoundError, match="no import run 00000000-0000-0000-0000-000000000000"):
        get_run(store, "00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError, match="a run id is a UUID"):
        get_run(store, "not-a-run")
    with pytest.raises(NotFoundError):
        quarantined_rows(store, run_id=uuid.uuid4())


def test_a_failed_run_keeps_its_error(store: Engine, write) -> None:  # type: ignore[no-untyped-def]
    importer = Importer(store)
    path = write("roster.csv", ROSTER)
    report = importer.run(path, HRIS_ROSTER_MAPPING, source_id="hris", dry_run=True)
    assert list_runs(store) == []  # a dry run records nothing
    importer.record_failure(report, ValueError("disk full"))
    [run] = list_runs(store)
    assert (run.status, run.error) == ("failed", "disk full")
