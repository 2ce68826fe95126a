"""Retention enforcement on DuckDB and PostgreSQL: which rows are past their source's period,
delete vs anonymise, dry runs, idempotence, atomicity, the run record and the audit entry.

Every source keeps rows for 365 days; the run is as of 2026-06-01, so rows dated before
2025-06-01 are past their period. P1 left in 2020 and appears only in old rows; P2 is current.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import orjson
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import StorageError
from learnledger.governance import retention
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.governance.retention import ANON_IFI_PREFIX, enforce
from learnledger.lrs.statement_store import StatementStore
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"retention-test-secret-0123456789")
ACTOR = cli_actor("tester")
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
P1_EMAIL = "ann.old@example.com"
P2_EMAIL = "bob.new@example.com"
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "k"}}
COURSE = "https://learn.example.com/courses/cs-101"


def ts(text: str) -> datetime:
    """A UTC timestamp from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def insert(engine: Engine, table: str, rows: list[dict[str, Any]]) -> None:
    """Insert dict rows."""
    names = list(rows[0])
    marks = ", ".join("?" for _ in names)
    engine.execute_many(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",
        [[row[n] for n in names] for row in rows],
    )


def statement(email: str, moment: str, instructor: str | None = None) -> dict[str, Any]:
    """A 'completed' statement by `email` at `moment`."""
    data: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": f"mailto:{email}"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": COURSE},
        "timestamp": moment,
    }
    if instructor:
        data["context"] = {"instructor": {"objectType": "Agent", "mbox": f"mailto:{instructor}"}}
    return data


def load(engine: Engine, action: str) -> None:
    """Migrate and write old and new rows of every kind; every source keeps rows 365 days."""
    Migrator(engine, MIGRATIONS).migrate()
    insert(engine, "data_sources", [
        {"source_id": s, "name": s, "kind": k, "retention_days": 365, "retention_action": action}
        for s, k in (("hris", "hris"), ("lms", "lms"), ("lrs", "lrs"), ("bi", "kpi"))
    ])  # fmt: skip
    insert(engine, "data_sources", [{"source_id": "finance", "name": "f", "kind": "finance"}])
    insert(engine, "people", [
        {"person_id": "P1", "hr_id": "H1", "email": P1_EMAIL, "given_name": "Ann",
         "family_name": "Old", "org_unit_id": "OU", "leave_date": date(2020, 1, 31),
         "source_id": "hris"},
        {"person_id": "P2", "hr_id": "H2", "email": P2_EMAIL, "given_name": "Bob",
         "family_name": "New", "org_unit_id": "OU", "leave_date": None, "source_id": "hris"},
    ])  # fmt: skip
    insert(engine, "identities", [
        {"ifi": f"mbox:mailto:{P1_EMAIL}", "person_id": "P1", "kind": "mbox", "source_id": "hris"},
        {"ifi": f"mbox:mailto:{P2_EMAIL}", "person_id": "P2", "kind": "mbox", "source_id": "hris"},
    ])  # fmt: skip
    insert(engine, "programmes", [{"programme_id": "PRG", "name": "Programme"}])
    insert(engine, "courses", [
        {"course_id": "C1", "programme_id": "PRG", "name": "C", "delivery_channel": "video"},
    ])  # fmt: skip
    insert(engine, "enrolments", [
        {"enrolment_id": "E-OLD", "person_id": "P1", "course_id": "C1", "status": "completed",
         "enrolled_at": ts("2019-11-01"), "completed_at": ts("2020-01-10"), "source_id": "lms"},
        # enrolled long ago but completed within the period: its latest date counts
        {"enrolment_id": "E-LONG", "person_id": "P2", "course_id": "C1", "status": "completed",
         "enrolled_at": ts("2024-01-01"), "completed_at": ts("2025-09-01"), "source_id": "lms"},
        {"enrolment_id": "E-NOSRC", "person_id": "P1", "course_id": "C1", "status": "enrolled",
         "enrolled_at": ts("2019-11-01"), "completed_at": None, "source_id": None},
        # a source without a retention period
        {"enrolment_id": "E-FIN", "person_id": "P1", "course_id": "C1", "status": "enrolled",
         "enrolled_at": ts("2019-11-01"), "completed_at": None, "source_id": "finance"},
    ])  # fmt: skip
    insert(engine, "assessments", [
        {"assessment_id": "A1", "course_id": "C1", "name": "Quiz", "kind": "quiz"},
    ])  # fmt: skip
    insert(engine, "assessment_items", [{"item_id": "I1", "assessment_id": "A1"}])
    insert(engine, "assessment_results", [
        {"result_id": "R-OLD", "assessment_id": "A1", "person_id": "P1", "enrolment_id": "E-OLD",
         "taken_at": ts("2020-01-05"), "score_scaled": 0.5, "source_id": "lms"},
        {"result_id": "R-NEW", "assessment_id": "A1", "person_id": "P2", "enrolment_id": None,
         "taken_at": ts("2026-01-05"), "score_scaled": 0.9, "source_id": "lms"},
    ])  # fmt: skip
    insert(engine, "item_responses", [
        {"result_id": "R-OLD", "item_id": "I1", "response": "a"},
        {"result_id": "R-NEW", "item_id": "I1", "response": "b"},
    ])  # fmt: skip
    insert(engine, "performance_metrics", [
        {"metric_id": "M", "name": "M", "direction": "higher_is_better"},
    ])  # fmt: skip
    insert(engine, "performance_observations", [
        {"person_id": p, "metric_id": "M", "period_start": s, "period_end": e, "value": v,
         "source_id": "hris"}
        for p, s, e, v in (
            ("P1", date(2019, 12, 1), date(2019, 12, 31), 1.0),
            ("P1", date(2020, 1, 1), date(2020, 1, 31), 2.0),
            ("P2", date(2026, 1, 1), date(2026, 1, 31), 3.0),
        )
    ])  # fmt: skip
    insert(engine, "business_kpis", [{"kpi_id": "K", "name": "K", "direction": "higher_is_better"}])
    insert(engine, "kpi_observations", [
        {"kpi_id": "K", "scope_type": "org_unit", "scope_id": "OU", "period_start": s,
         "period_end": e, "value": 1.0, "source_id": "bi"}
        for s, e in ((date(2020, 1, 1), date(2020, 1, 31)), (date(2026, 1, 1), date(2026, 1, 31)))
    ])  # fmt: skip
    old_run, new_run = uuid.uuid4(), uuid.uuid4()
    insert(engine, "import_runs", [
        {"run_id": r, "source_id": "lms", "entity": "enrolments", "status": "succeeded",
         "started_at": s}
        for r, s in ((old_run, ts("2020-01-01")), (new_run, ts("2026-01-01")))
    ])  # fmt: skip
    insert(engine, "import_rejections", [
        {"run_id": r, "rejection_no": 1, "row_number": 2, "reason": "bad",
         "raw": orjson.dumps({"email": e}).decode()}
        for r, e in ((old_run, P1_EMAIL), (new_run, P2_EMAIL))
    ])  # fmt: skip
    insert(engine, "lrs_documents", [
        {"kind": k, "activity_id": COURSE, "agent_ifi": a, "registration": "", "document_id": k,
         "content_type": "application/json", "content": "e30=", "length": 2, "etag": "x",
         "updated": u}
        for k, a, u in (
            ("state", f"mbox:mailto:{P1_EMAIL}", ts("2020-01-01")),
            ("activity_profile", "", ts("2020-01-01")),
            ("state", f"mbox:mailto:{P2_EMAIL}", ts("2026-01-01")),
        )
    ])  # fmt: skip
    StatementStore(engine).store(
        [
            statement(P1_EMAIL, "2020-01-10T10:00:00Z", instructor="teacher@example.com"),
            statement(P1_EMAIL, "2020-01-11T10:00:00Z"),
            statement(P2_EMAIL, "2026-01-10T10:00:00Z"),
        ],
        authority=AUTHORITY,
    )


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table of the model."""
    return {
        table: int(engine.fetch_one(f"SELECT COUNT(*) FROM {table}")[0])  # type: ignore[index]
        for table in sorted(engine.table_names())
        if table not in ("audit_events", "audit_chain_head", "retention_runs")
    }


def ids(engine: Engine, sql: str) -> set[Any]:
    """The first column of `sql`'s rows."""
    return {row[0] for row in engine.fetch_all(sql)}


def outcome_rows(report: retention.RetentionReport) -> dict[tuple[str, str, str], int]:
    """(source, table, action) -> rows, without zeros."""
    return {(o.source_id, o.table, o.action): o.rows for o in report.outcomes if o.rows}


EXPECTED_DELETE = {
    ("hris", "identities", "deleted"): 1,
    ("hris", "people", "deleted"): 1,
    ("hris", "performance_observations", "deleted"): 2,
    ("lms", "enrolments", "deleted"): 1,
    ("lms", "assessment_results", "deleted"): 1,
    ("lms", "item_responses", "deleted"): 1,
    ("lms", "import_rejections", "deleted"): 1,
    ("bi", "kpi_observations", "deleted"): 1,
    ("lrs", "xapi_statements", "deleted"): 2,
    ("lrs", "xapi_statement_agents", "deleted"): 1,  # the instructor's link
    ("lrs", "learning_events", "deleted"): 2,
    ("lrs", "lrs_documents", "deleted"): 2,
}


def test_a_dry_run_counts_and_changes_nothing_but_the_run_record(engine: Engine) -> None:
    load(engine, "delete")
    before = counts(engine)
    report = enforce(engine, KEYS, ACTOR, AS_OF, dry_run=True)
    assert counts(engine) == before
    assert outcome_rows(report) == EXPECTED_DELETE
    run = engine.fetch_one("SELECT run_id, dry_run, actor, report FROM retention_runs")
    assert run is not None
    assert (run[0], run[1], run[2]) == (report.run_id, True, "cli:tester")
    assert orjson.loads(run[3])["total_rows"] == report.total_rows
    audit = engine.fetch_all("SELECT action, target, details FROM audit_events")
    assert [(a, t) for a, t, _ in audit] == [("retention_dry_run", "retention_runs")]
    assert P1_EMAIL not in audit[0][2]


def test_delete_removes_rows_past_the_period_and_a_second_run_does_nothing(
    engine: Engine,
) -> None:
    load(engine, "delete")
    before = counts(engine)
    report = enforce(engine, KEYS, ACTOR, AS_OF)
    assert outcome_rows(report) == EXPECTED_DELETE
    after = counts(engine)
    changed = {t: before[t] - after[t] for t in before if before[t] != after[t]}
    expected: dict[str, int] = {}
    for (_, table, _), rows in EXPECTED_DELETE.items():
        expected[table] = expected.get(table, 0) + rows
    assert changed == expected
    assert ids(engine, "SELECT enrolment_id FROM enrolments") == {"E-LONG", "E-NOSRC", "E-FIN"}
    assert ids(engine, "SELECT person_id FROM people") == {"P2"}
    assert ids(engine, "SELECT result_id FROM item_responses") == {"R-NEW"}
    assert ids(engine, "SELECT activity_id FROM lrs_documents") == {COURSE}
    assert ids(engine, "SELECT actor_ifi FROM learning_events") == {f"mbox:mailto:{P2_EMAIL}"}
    audit = engine.fetch_all("SELECT action, details FROM audit_events")
    assert [a for a, _ in audit] == ["retention_enforced"]
    assert orjson.loads(audit[0][1])["total_rows"] == sum(EXPECTED_DELETE.values())
    again = enforce(engine, KEYS, ACTOR, AS_OF)
    assert again.total_rows == 0
    assert counts(engine) == after
    assert engine.fetch_one("SELECT COUNT(*) FROM retention_runs") == (2,)
    assert AuditLog(engine, KEYS).verify().intact


def test_anonymise_keeps_rows_for_aggregates_but_removes_who_they_were_about(
    engine: Engine,
) -> None:
    load(engine, "anonymise")
    before = counts(engine)
    report = enforce(engine, KEYS, ACTOR, AS_OF)
    assert outcome_rows(report) == {
        ("hris", "identities", "deleted"): 1,
        ("hris", "people", "anonymised"): 1,
        ("hris", "performance_observations", "anonymised"): 2,
        ("lms", "enrolments", "anonymised"): 1,
        ("lms", "assessment_results", "anonymised"): 1,
        ("lms", "import_rejections", "deleted"): 1,
        ("lrs", "xapi_statements", "anonymised"): 2,
        ("lrs", "xapi_statement_agents", "deleted"): 1,
        ("lrs", "learning_events", "anonymised"): 2,
        ("lrs", "lrs_documents", "deleted"): 1,
    }
    after = counts(engine)
    # Facts stay; identifiers, quarantined raw rows and agent documents go.
    assert {t: before[t] - after[t] for t in before if before[t] != after[t]} == {
        "identities": 1,
        "import_rejections": 1,
        "lrs_documents": 1,
        "xapi_statement_agents": 1,  # the instructor's link
    }
    enrolment = ids(engine, "SELECT person_id FROM enrolments WHERE enrolment_id = 'E-OLD'")
    result = ids(engine, "SELECT person_id FROM assessment_results WHERE result_id = 'R-OLD'")
    observations = ids(engine, "SELECT person_id FROM performance_observations WHERE value < 3")
    (placeholder,) = enrolment
    assert placeholder.startswith("anon:")
    assert result == observations == {placeholder}  # one placeholder per person in a run
    assert ids(engine, "SELECT person_id FROM enrolments WHERE enrolment_id = 'E-LONG'") == {"P2"}
    person = engine.fetch_one(
        "SELECT hr_id, email, given_name, family_name, org_unit_id FROM people "
        "WHERE person_id = 'P1'"
    )
    assert person == (None, None, None, None, "OU")
    actors = ids(engine, "SELECT actor_ifi FROM xapi_statements")
    assert actors - {f"mbox:mailto:{P2_EMAIL}"}
    assert all(a.startswith(ANON_IFI_PREFIX) for a in actors - {f"mbox:mailto:{P2_EMAIL}"})
    assert ids(engine, "SELECT person_id FROM learning_events") - {"P2"} == {placeholder}
    # Nothing anywhere still names P1 or the instructor.
    for table in engine.table_names() - {"retention_runs"}:
        for column in engine.column_names(table):
            rows = engine.fetch_all(f'SELECT CAST("{column}" AS TEXT) FROM {table}')
            text = " ".join(str(r[0]) for r in rows)
            assert P1_EMAIL not in text, (table, column)
            assert "teacher@example.com" not in text, (table, column)
            assert "Ann" not in text.split(), (table, column)
    again = enforce(engine, KEYS, ACTOR, AS_OF)
    assert again.total_rows == 0
    assert counts(engine) == after


def test_a_failing_run_changes_nothing(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    load(engine, "delete")
    before = counts(engine)

    def broken(*args: object) -> list[retention.TableOutcome]:
        raise StorageError("disk full")

    monkeypatch.setattr(retention, "_quarantine", broken)
    with pytest.raises(StorageError):
        enforce(engine, KEYS, ACTOR, AS_OF)
    assert counts(engine) == before
    assert engine.fetch_one("SELECT COUNT(*) FROM retention_runs") == (0,)
    assert engine.fetch_one("SELECT COUNT(*) FROM audit_events") == (0,)


def test_sources_without_a_period_are_untouched(engine: Engine) -> None:
    load(engine, "delete")
    engine.execute("UPDATE data_sources SET retention_days = NULL")
    before = counts(engine)
    report = enforce(engine, KEYS, ACTOR, AS_OF)
    assert report.policies == []
    assert report.total_rows == 0
    assert counts(engine) == before


def test_anonymising_many_people_gives_each_one_placeholder(engine: Engine) -> None:
    Migrator(engine, MIGRATIONS).migrate()
    insert(engine, "data_sources", [
        {"source_id": "perf", "name": "p", "kind": "performance", "retention_days": 30,
         "retention_action": "anonymise"},
    ])  # fmt: skip
    insert(engine, "performance_metrics", [
        {"metric_id": "M", "name": "M", "direction": "higher_is_better"},
    ])  # fmt: skip
    insert(engine, "performance_observations", [
        {"person_id": f"P{i:04d}", "metric_id": "M", "period_start": date(2025, m, 1),
         "period_end": date(2025, m, 28), "value": float(i), "source_id": "perf"}
        for i in range(1200) for m in (1, 2)
    ])  # fmt: skip
    report = enforce(engine, KEYS, ACTOR, AS_OF)
    assert outcome_rows(report) == {("perf", "performance_observations", "anonymised"): 2400}
    rows = engine.fetch_all("SELECT person_id, value FROM performance_observations")
    by_value: dict[float, set[str]] = {}
    for person, value in rows:
        by_value.setdefault(value, set()).add(person)
    assert len(rows) == 2400
    assert all(len(people) == 1 for people in by_value.values())  # one person, one placeholder
    assert len({p for people in by_value.values() for p in people}) == 1200
    assert all(p.startswith("anon:") for people in by_value.values() for p in people)
