"""Source reviews on both engines: recording updates the source and the audit log in one
transaction, bad input is refused naming the field, history and overdue warnings."""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from learnledger.errors import NotFoundError, StorageError, ValidationError
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.governance.reviews import (
    SourceReview,
    record_review,
    review_history,
    review_warnings,
)
from learnledger.ingest import SourceRegistry
from learnledger.storage import Engine

D = dt.date


def _record(store: Engine, audit: AuditLog, today: dt.date, **changes: object) -> SourceReview:
    values: dict[str, object] = {
        "reviewer": "DPO office",
        "reviewed_on": D(2026, 3, 10),
        "outcome": "approved",
        "next_due": D(2027, 3, 10),
        "recorded_by": "cli:ana",
        "notes": "DPA signed; EU hosting.",
        "today": today,
    }
    values.update(changes)
    source_id = str(values.pop("source_id", "hris"))
    return record_review(store, audit, source_id, **values)  # type: ignore[arg-type]


def test_recording_a_review_updates_the_source_and_audits_it(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    review = _record(store, audit, today, outcome="approved_with_conditions")
    source = sources.get("hris")
    assert source.review_status == "approved_with_conditions"
    assert source.last_reviewed_on == D(2026, 3, 10)
    assert source.next_review_due == D(2027, 3, 10)
    stored = store.fetch_dicts("SELECT * FROM source_reviews")
    assert len(stored) == 1
    assert stored[0]["reviewer"] == "DPO office"
    assert stored[0]["notes"] == "DPA signed; EU hosting."
    assert stored[0]["recorded_by"] == "cli:ana"
    entries = audit.entries(action="source_review")
    assert len(entries) == 1
    assert (entries[0].actor, entries[0].target) == ("cli:ana", "hris")
    assert entries[0].details == {
        "review_id": review.review_id,
        "outcome": "approved_with_conditions",
        "reviewed_on": "2026-03-10",
        "next_due": "2027-03-10",
        "previous_status": "not_reviewed",
        "latest": True,
    }
    assert audit.verify().intact


def test_the_audit_entry_holds_neither_reviewer_nor_notes(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    _record(store, audit, today, reviewer="Ana Lee", notes="Call Ana Lee about the DPA")
    details = orjson.dumps(audit.entries()[0].details).decode()
    assert "Ana" not in details


def test_a_back_dated_review_joins_the_history_but_the_latest_stays_in_force(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    _record(store, audit, today, reviewed_on=D(2026, 3, 10), next_due=D(2027, 3, 10))
    _record(
        store,
        audit,
        today,
        reviewed_on=D(2025, 3, 1),
        outcome="rejected",
        next_due=D(2025, 9, 1),
    )
    source = sources.get("hris")
    assert (source.review_status, source.last_reviewed_on) == ("approved", D(2026, 3, 10))
    history = review_history(store, "hris")
    assert [r.reviewed_on for r in history] == [D(2026, 3, 10), D(2025, 3, 1)]
    assert [r.outcome for r in history] == ["approved", "rejected"]
    assert audit.entries()[-1].details is not None
    assert audit.entries()[-1].details["latest"] is False  # type: ignore[index]


def test_history_is_newest_first_and_empty_for_an_unreviewed_source(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    assert review_history(store, "hris") == []
    _record(store, audit, today, reviewed_on=D(2025, 1, 5), next_due=D(2026, 1, 5))
    _record(store, audit, today, reviewed_on=D(2026, 1, 5), next_due=D(2027, 1, 5), notes=None)
    history = review_history(store, "hris")
    assert [r.reviewed_on for r in history] == [D(2026, 1, 5), D(2025, 1, 5)]
    assert history[0].notes is None
    assert history[0].as_json()["reviewed_on"] == "2026-01-05"
    assert review_history(store, "lms") == []


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"outcome": "fine"}, "outcome", "'fine' is not one of approved, "),
        ({"reviewer": "  "}, "reviewer", "must not be empty"),
        ({"reviewed_on": D(2026, 3, 16)}, "reviewed_on", "2026-03-16 is in the future"),
        ({"next_due": D(2026, 3, 10)}, "next_due", "must be after reviewed_on 2026-03-10"),
        ({"next_due": D(2026, 1, 1)}, "next_due", "2026-01-01 must be after reviewed_on"),
    ],
)
def test_bad_reviews_are_refused_naming_the_field(
    store: Engine,
    audit: AuditLog,
    sources: SourceRegistry,
    today: dt.date,
    changes: dict[str, object],
    field: str,
    reason: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        _record(store, audit, today, **changes)
    assert caught.value.path == field
    assert reason in caught.value.reason
    assert store.fetch_all("SELECT * FROM source_reviews") == []
    assert audit.entries() == []


def test_a_review_on_today_is_allowed(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    review = _record(store, audit, today, reviewed_on=today, next_due=today + dt.timedelta(1))
    assert review.reviewed_on == today


def test_an_unknown_source_is_not_found_by_name(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    with pytest.raises(NotFoundError, match="data source 'crm' is not registered"):
        _record(store, audit, today, source_id="crm")
    with pytest.raises(NotFoundError, match="'crm'"):
        review_history(store, "crm")
    assert audit.entries() == []


class _BrokenAudit(AuditLog):
    """An audit log whose writes fail, to check that a review is not kept without its entry."""

    def append(self, **_: object) -> int:  # type: ignore[override]
        raise StorageError("the audit log is unavailable")


def test_a_failing_audit_append_rolls_the_review_back(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    broken = _BrokenAudit(store, KeyRing(b"any-key-for-this-test"))
    with pytest.raises(StorageError, match="audit log is unavailable"):
        _record(store, broken, today)
    assert store.fetch_all("SELECT * FROM source_reviews") == []
    source = sources.get("hris")
    assert (source.review_status, source.last_reviewed_on) == ("not_reviewed", None)


def test_warnings_name_overdue_and_never_reviewed_personal_data_sources(
    store: Engine, sources: SourceRegistry, today: dt.date
) -> None:
    warnings = review_warnings(store, today)
    assert [(w.source_id, w.kind) for w in warnings] == [
        ("hris", "never_reviewed"),
        ("lms", "overdue"),
    ]
    overdue = warnings[1]
    assert overdue.days_overdue == 42
    assert overdue.next_due == D(2026, 2, 1)
    assert overdue.message == (
        "the review of data source 'lms' was due on 2026-02-01 (42 days overdue)"
    )
    assert warnings[0].message == ("data source 'hris' holds personal data and was never reviewed")


def test_a_review_due_today_is_not_yet_overdue(store: Engine, sources: SourceRegistry) -> None:
    kinds = {(w.source_id, w.kind) for w in review_warnings(store, D(2026, 2, 1))}
    assert ("lms", "overdue") not in kinds
    day_after = review_warnings(store, D(2026, 2, 2))
    assert [w.message for w in day_after if w.source_id == "lms"] == [
        "the review of data source 'lms' was due on 2026-02-01 (1 day overdue)"
    ]


def test_recording_reviews_clears_and_raises_warnings(
    store: Engine, audit: AuditLog, sources: SourceRegistry, today: dt.date
) -> None:
    _record(store, audit, today, source_id="hris")
    _record(store, audit, today, source_id="lms", outcome="rejected", next_due=D(2026, 9, 1))
    warnings = review_warnings(store, today)
    assert [(w.source_id, w.kind) for w in warnings] == [("lms", "rejected")]
    assert warnings[0].message == "data source 'lms' was rejected in its latest review (2026-03-10)"
