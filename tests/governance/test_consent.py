"""The consent service on DuckDB and PostgreSQL: recording decisions with validation and an
audit entry, the latest-record rule, the excluded people (opt-out and opt-in) and the counts."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import NotFoundError, ValidationError
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import (
    consent_history,
    consent_report,
    decisions_in_force,
    excluded_count,
    excluded_people,
    exclusion_subquery,
    record_consent,
)
from learnledger.governance.keys import KeyRing
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"consent-test-secret-0123456789")
ACTOR = cli_actor("tester")


def at(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def store(engine: Engine) -> Engine:
    """A migrated engine with people P1-P4 and the source hris."""
    Migrator(engine, MIGRATIONS).migrate()
    engine.execute_many(
        "INSERT INTO people (person_id, email) VALUES (?, ?)",
        [(f"P{i}", f"p{i}@example.com") for i in range(1, 5)],
    )
    engine.execute("INSERT INTO data_sources (source_id, name, kind) VALUES ('hris', 'HR', 'hris')")
    return engine


def record(engine: Engine, person: str, purpose: str, status: str, when: str) -> None:
    """Record one decision through the service."""
    record_consent(
        engine,
        AuditLog(engine, KEYS),
        ACTOR,
        person_id=person,
        purpose=purpose,
        status=status,
        recorded_at=at(when),
        source_id="hris",
    )


def test_recording_a_decision_stores_it_with_an_audit_entry_without_personal_data(
    store: Engine,
) -> None:
    record(store, "P1", "analytics", "withdrawn", "2025-05-01T10:00:00")
    history = consent_history(store, "P1")
    assert [(r.purpose, r.status, r.source_id, r.recorded_by) for r in history] == [
        ("analytics", "withdrawn", "hris", "cli:tester")
    ]
    assert history[0].recorded_at == at("2025-05-01T10:00:00")
    rows = store.fetch_all("SELECT actor, action, target, details FROM audit_events")
    assert len(rows) == 1
    actor, action, target, details = rows[0]
    assert (actor, action, target) == ("cli:tester", "consent_recorded", "consent_records")
    payload = orjson.loads(details)
    assert payload["person_id"] == "P1"
    assert (payload["purpose"], payload["status"]) == ("analytics", "withdrawn")
    assert "example.com" not in details
    assert AuditLog(store, KEYS).verify().intact


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"purpose": "marketing"}, "purpose"),
        ({"status": "maybe"}, "status"),
    ],
)
def test_a_bad_purpose_or_status_is_rejected_naming_the_field(
    store: Engine, changes: dict[str, str], field: str
) -> None:
    values = {"person_id": "P1", "purpose": "analytics", "status": "granted", **changes}
    with pytest.raises(ValidationError) as caught:
        record_consent(store, AuditLog(store, KEYS), ACTOR, **values)
    assert caught.value.path == field
    assert store.fetch_one("SELECT COUNT(*) FROM consent_records") == (0,)
    assert store.fetch_one("SELECT COUNT(*) FROM audit_events") == (0,)


def test_an_unknown_person_or_source_is_not_found(store: Engine) -> None:
    audit = AuditLog(store, KEYS)
    with pytest.raises(NotFoundError, match="P9"):
        record_consent(store, audit, ACTOR, person_id="P9", purpose="analytics", status="granted")
    with pytest.raises(NotFoundError, match="crm"):
        record_consent(
            store,
            audit,
            ACTOR,
            person_id="P1",
            purpose="analytics",
            status="granted",
            source_id="crm",
        )
    with pytest.raises(NotFoundError):
        consent_history(store, "P9")
    assert store.fetch_one("SELECT COUNT(*) FROM consent_records") == (0,)


def test_the_latest_record_at_the_moment_decides(store: Engine) -> None:
    record(store, "P1", "analytics", "withdrawn", "2025-03-01")
    record(store, "P1", "analytics", "granted", "2025-06-01")
    record(store, "P2", "analytics", "granted", "2025-01-01")
    record(store, "P2", "analytics", "withdrawn", "2025-04-01")
    record(store, "P3", "predictive_modelling", "withdrawn", "2025-01-01")
    assert excluded_people(store, "analytics", at("2025-02-01")) == frozenset()
    assert excluded_people(store, "analytics", at("2025-03-01")) == {"P1"}
    assert excluded_people(store, "analytics", at("2025-05-01")) == {"P1", "P2"}
    # Re-granting re-includes P1 from that moment on.
    assert excluded_people(store, "analytics", at("2025-06-01")) == {"P2"}
    assert excluded_people(store, "predictive_modelling", at("2025-06-01")) == {"P3"}
    assert excluded_count(store, "analytics", at("2025-05-01")) == 2


def test_withdrawn_wins_over_a_grant_recorded_at_the_same_moment(store: Engine) -> None:
    record(store, "P1", "analytics", "granted", "2025-03-01T12:00:00")
    record(store, "P1", "analytics", "withdrawn", "2025-03-01T12:00:00")
    moment = at("2025-04-01")
    assert excluded_people(store, "analytics", moment) == {"P1"}
    assert excluded_people(store, "analytics", moment, opt_in=True) == {"P1", "P2", "P3", "P4"}
    assert decisions_in_force(consent_history(store, "P1"), moment)["analytics"] == "withdrawn"


def test_opt_in_purposes_exclude_everyone_without_a_grant_in_force(store: Engine) -> None:
    record(store, "P1", "individual_reporting", "granted", "2025-01-01")
    record(store, "P2", "individual_reporting", "granted", "2025-01-01")
    record(store, "P2", "individual_reporting", "withdrawn", "2025-02-01")
    record(store, "P3", "individual_reporting", "granted", "2025-09-01")  # after the moment
    moment = at("2025-03-01")
    excluded = excluded_people(store, "individual_reporting", moment, opt_in=True)
    assert excluded == {"P2", "P3", "P4"}
    history = consent_history(store, "P4")
    assert decisions_in_force(history, moment, frozenset({"individual_reporting"})) == {
        "analytics": "no record",
        "predictive_modelling": "no record",
        "individual_reporting": "not granted",
    }


def test_the_exclusion_subquery_filters_other_queries(store: Engine) -> None:
    record(store, "P2", "analytics", "withdrawn", "2025-01-01")
    query = exclusion_subquery("analytics", at("2025-02-01"))
    rows = store.fetch_all(
        f"SELECT person_id FROM people WHERE person_id NOT IN ({query.sql}) ORDER BY person_id",
        list(query.params),
    )
    assert [r[0] for r in rows] == ["P1", "P3", "P4"]
    with pytest.raises(ValidationError, match="purpose"):
        exclusion_subquery("marketing", at("2025-02-01"))


def test_the_report_counts_people_per_purpose_and_names_nobody(store: Engine) -> None:
    record(store, "P1", "analytics", "withdrawn", "2025-01-01")
    record(store, "P2", "analytics", "granted", "2025-01-01")
    record(store, "P3", "individual_reporting", "granted", "2025-01-01")
    report = consent_report(store, at("2025-02-01"), frozenset({"individual_reporting"}))
    counts = {p.purpose: p for p in report.purposes}
    analytics = counts["analytics"]
    assert (analytics.granted, analytics.withdrawn, analytics.no_record) == (1, 1, 2)
    assert analytics.excluded == 1
    reporting = counts["individual_reporting"]
    assert (reporting.granted, reporting.withdrawn, reporting.no_record) == (1, 0, 3)
    assert reporting.excluded == 3
    text = orjson.dumps(report.as_json()).decode()
    assert "P1" not in text
    assert "example.com" not in text
