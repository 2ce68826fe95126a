"""The governance summary on both engines: every source with its facts and review status,
counts of overdue reviews, consent withdrawals in force, audit state and users per role;
rendered as JSON and Markdown without naming anyone."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from learnledger.governance.audit import AuditLog
from learnledger.governance.summary import build_summary
from learnledger.ingest import SourceRegistry
from learnledger.storage import Engine

T = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)


def _consent(
    store: Engine, n: int, person: str, purpose: str, status: str, at: dt.datetime
) -> None:
    store.execute(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [f"CON-{n}", person, purpose, status, at],
    )


def _user(store: Engine, user_id: str, role: str, *, disabled: bool = False) -> None:
    store.execute(
        "INSERT INTO app_users (user_id, username, password_hash, role, disabled, created_at) "
        "VALUES (?, ?, 'x', ?, ?, ?)",
        [user_id, f"name-{user_id}", role, disabled, T],
    )


@pytest.fixture
def governed(store: Engine, audit: AuditLog, sources: SourceRegistry) -> Engine:
    """The three test sources, consent decisions of four people, three users, two entries."""
    store.execute("UPDATE data_sources SET retention_action = 'anonymise' WHERE source_id = 'lms'")
    day = dt.timedelta(days=1)
    _consent(store, 1, "P1", "analytics", "granted", T)
    _consent(store, 2, "P1", "analytics", "withdrawn", T + day)  # withdrawn in force
    _consent(store, 3, "P2", "analytics", "withdrawn", T)
    _consent(store, 4, "P2", "analytics", "granted", T + day)  # granted again
    _consent(store, 5, "P3", "predictive_modelling", "withdrawn", T)
    _consent(store, 6, "P3", "analytics", "withdrawn", T)
    _consent(store, 7, "P4", "individual_reporting", "withdrawn", T + 100 * day)  # after as_of
    _user(store, "U1", "analyst")
    _user(store, "U2", "analyst")
    _user(store, "U3", "admin", disabled=True)
    audit.append(actor="cli:ana", action="import", target="people", details={"rows": 3})
    audit.append(actor="cli:ana", action="export", target="people", details={"rows": 3})
    return store


def test_the_summary_lists_every_source_with_its_governance_facts(
    governed: Engine, audit: AuditLog, today: dt.date
) -> None:
    summary = build_summary(governed, audit, today)
    assert [s.source_id for s in summary.sources] == ["hris", "kpi", "lms"]
    lms = summary.sources[2]
    assert (lms.owner, lms.legal_basis, lms.purpose) == (
        "L&D",
        "legitimate_interest",
        "Course completions",
    )
    assert lms.personal_data_categories == ("identification", "learning")
    assert (lms.retention_days, lms.retention_action) == (730, "anonymise")
    assert (lms.review_status, lms.last_reviewed_on, lms.next_review_due) == (
        "approved",
        dt.date(2025, 2, 1),
        dt.date(2026, 2, 1),
    )
    assert lms.review_overdue
    hris, kpi = summary.sources[0], summary.sources[1]
    assert not hris.review_overdue
    assert hris.retention_action == "delete"  # the column's default
    assert not kpi.contains_personal_data
    assert kpi.retention_days is None


def test_the_summary_counts_reviews_withdrawals_audit_and_users(
    governed: Engine, audit: AuditLog, today: dt.date
) -> None:
    summary = build_summary(governed, audit, today)
    counts = summary.counts()
    assert counts["sources"] == 3
    assert counts["sources_with_personal_data"] == 2
    assert counts["overdue_reviews"] == 1
    assert counts["review_warnings"] == 2  # lms overdue, hris never reviewed
    assert counts["consent_withdrawals"] == {
        "analytics": 2,
        "predictive_modelling": 1,
        "individual_reporting": 0,
    }
    assert counts["audit_entries"] == 2
    assert counts["users_by_role"] == {
        "admin": 0,
        "analyst": 2,
        "executive": 0,
        "programme_owner": 0,
        "manager": 0,
        "learner": 0,
        "auditor": 0,
    }
    assert counts["disabled_users"] == 1
    assert summary.audit_status() == "intact (2 entries)"


def test_later_withdrawals_count_on_a_later_day(governed: Engine, audit: AuditLog) -> None:
    later = build_summary(governed, audit, dt.date(2026, 5, 1))
    assert later.consent_withdrawals["individual_reporting"] == 1


def test_an_empty_database_summarises_to_zeros(store: Engine, audit: AuditLog) -> None:
    summary = build_summary(store, audit)
    assert summary.sources == ()
    assert summary.overdue_reviews == 0
    assert set(summary.consent_withdrawals.values()) == {0}
    assert summary.audit.intact
    assert sum(summary.users_by_role.values()) == 0


def test_a_tampered_audit_log_shows_in_the_summary(
    governed: Engine, audit: AuditLog, today: dt.date
) -> None:
    governed.execute("UPDATE audit_events SET action = 'login' WHERE seq = 1")
    summary = build_summary(governed, audit, today)
    assert summary.audit_status() == (
        "NOT INTACT: entry 1 was changed after it was written (first bad entry: 1)"
    )
    assert summary.as_json()["audit"]["first_bad_seq"] == 1


def test_json_is_complete_and_names_no_person(
    governed: Engine, audit: AuditLog, today: dt.date
) -> None:
    data = build_summary(governed, audit, today).as_json()
    text = json.dumps(data)
    for person in ("P1", "P2", "P3", "P4", "name-U1", "U1"):
        assert person not in text
    assert data["as_of"] == "2026-03-15"
    assert data["audit"]["intact"] is True
    assert data["sources"][2]["next_review_due"] == "2026-02-01"
    assert data["sources"][2]["review_overdue"] is True
    assert [w["kind"] for w in data["warnings"]] == ["never_reviewed", "overdue"]


def test_markdown_has_a_row_per_source_and_escapes_cells(
    governed: Engine, audit: AuditLog, today: dt.date
) -> None:
    governed.execute("UPDATE data_sources SET owner = 'People | Ops' WHERE source_id = 'hris'")
    text = build_summary(governed, audit, today).to_markdown()
    lines = text.splitlines()
    assert lines[0] == "# Governance summary (2026-03-15)"
    assert "- Overdue reviews: 1" in lines
    assert "- Audit chain: intact (2 entries)" in lines
    rows = [line for line in lines if line.startswith("| ")]
    assert len(rows) == 4  # header and three sources
    assert "People \\| Ops" in rows[1]
    assert "| 730 days, then anonymise |" in rows[3]
    assert "2026-02-01 **overdue**" in rows[3]
    assert "| none |" in rows[2]  # kpi holds no personal data
    governed.execute("UPDATE data_sources SET personal_data_categories = NULL")
    unlisted = build_summary(governed, audit, today).to_markdown()
    assert unlisted.count("| yes (categories not listed) |") == 2
    assert "- data source 'hris' holds personal data and was never reviewed" in lines
