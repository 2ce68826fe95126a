"""Vendor risk / data-protection reviews of data sources: record, history, overdue warnings.

Rules:

- A review names its source, reviewer (a role or team), date, outcome (`REVIEW_OUTCOMES`), the
  date the next review is due and optional notes. It is one ``source_reviews`` row; reviews are
  never updated or deleted, so the history stays.
- Recording a review updates the source's ``review_status``, ``last_reviewed_on`` and
  ``next_review_due`` in the same transaction, unless the source already has a later review
  (a back-dated review joins the history without overriding the latest one), and appends a
  ``source_review`` audit entry (ids, dates and outcome; never the reviewer or the notes).
- A source needs attention (`review_warnings`) when its next review is due before today, when
  it holds personal data and was never reviewed, or when its latest review rejected it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from learnledger.core.model.entities.access import REVIEW_OUTCOMES
from learnledger.errors import NotFoundError, ValidationError
from learnledger.governance.audit import AuditLog
from learnledger.storage.engine import Engine

#: Kinds of `ReviewWarning`.
WARNING_KINDS = ("overdue", "never_reviewed", "rejected")

_REVIEW_COLUMNS = (
    "review_id, source_id, reviewer, reviewed_on, outcome, next_due, notes, recorded_by, "
    "recorded_at"
)


@dataclass(frozen=True)
class SourceReview:
    """One recorded review of a data source."""

    review_id: str
    source_id: str
    reviewer: str
    reviewed_on: dt.date
    outcome: str
    next_due: dt.date
    notes: str | None
    recorded_by: str | None
    recorded_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        """The review as JSON-ready data (dates in ISO 8601)."""
        return {
            "review_id": self.review_id,
            "source_id": self.source_id,
            "reviewer": self.reviewer,
            "reviewed_on": self.reviewed_on.isoformat(),
            "outcome": self.outcome,
            "next_due": self.next_due.isoformat(),
            "notes": self.notes,
            "recorded_by": self.recorded_by,
            "recorded_at": self.recorded_at.isoformat(),
        }


@dataclass(frozen=True)
class ReviewWarning:
    """A source whose review needs attention: `kind` is one of `WARNING_KINDS`."""

    source_id: str
    kind: str
    message: str
    next_due: dt.date | None = None
    days_overdue: int | None = None

    def as_json(self) -> dict[str, Any]:
        """The warning as JSON-ready data."""
        return {
            "source_id": self.source_id,
            "kind": self.kind,
            "message": self.message,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "days_overdue": self.days_overdue,
        }


def record_review(
    engine: Engine,
    audit: AuditLog,
    source_id: str,
    *,
    reviewer: str,
    reviewed_on: dt.date,
    outcome: str,
    next_due: dt.date,
    recorded_by: str,
    notes: str | None = None,
    today: dt.date | None = None,
    recorded_at: dt.datetime | None = None,
) -> SourceReview:
    """Record a review of `source_id`, update the source's review columns and audit it, in one
    transaction. Raise ValidationError naming the field that breaks a rule, NotFoundError
    when the source is not registered."""
    current_day = today or _today()
    _check_review(reviewer, reviewed_on, outcome, next_due, current_day)
    review = SourceReview(
        review_id=f"REV-{uuid.uuid4().hex[:16]}",
        source_id=source_id,
        reviewer=reviewer.strip(),
        reviewed_on=reviewed_on,
        outcome=outcome,
        next_due=next_due,
        notes=(notes or "").strip() or None,
        recorded_by=recorded_by,
        recorded_at=recorded_at or dt.datetime.now(dt.UTC),
    )
    with audit.transaction():
        # Lock the source's row first, so concurrent reviews of one source on PostgreSQL
        # decide in turn which review is the latest.
        engine.execute(
            "UPDATE data_sources SET review_status = review_status WHERE source_id = ?",
            [source_id],
        )
        source = _source_row(engine, source_id)
        engine.execute(
            f"INSERT INTO source_reviews ({_REVIEW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                review.review_id,
                review.source_id,
                review.reviewer,
                review.reviewed_on,
                review.outcome,
                review.next_due,
                review.notes,
                review.recorded_by,
                review.recorded_at,
            ],
        )
        last = source["last_reviewed_on"]
        is_latest = last is None or reviewed_on >= last
        if is_latest:
            engine.execute(
                "UPDATE data_sources SET review_status = ?, last_reviewed_on = ?, "
                "next_review_due = ? WHERE source_id = ?",
                [outcome, reviewed_on, next_due, source_id],
            )
        audit.append(
            actor=recorded_by,
            action="source_review",
            target=source_id,
            details={
                "review_id": review.review_id,
                "outcome": outcome,
                "reviewed_on": reviewed_on.isoformat(),
                "next_due": next_due.isoformat(),
                "previous_status": source["review_status"],
                "latest": is_latest,
            },
            occurred_at=review.recorded_at,
        )
    return review


def review_history(engine: Engine, source_id: str) -> list[SourceReview]:
    """Every review of `source_id`, newest first; NotFoundError when it is not registered."""
    _source_row(engine, source_id)
    rows = engine.fetch_all(
        f"SELECT {_REVIEW_COLUMNS} FROM source_reviews WHERE source_id = ? "
        "ORDER BY reviewed_on DESC, recorded_at DESC, review_id DESC",
        [source_id],
    )
    return [_review(row) for row in rows]


def review_warnings(engine: Engine, today: dt.date | None = None) -> list[ReviewWarning]:
    """The sources whose review needs attention on `today` (default: today, UTC), by source:
    next review due before today, personal data never reviewed, or rejected."""
    current_day = today or _today()
    rows = engine.fetch_all(
        "SELECT source_id, contains_personal_data, review_status, last_reviewed_on, "
        "next_review_due FROM data_sources ORDER BY source_id"
    )
    warnings: list[ReviewWarning] = []
    for source_id, personal, status, last, due in rows:
        warnings.extend(_warnings_for(source_id, bool(personal), status, last, due, current_day))
    return warnings


def is_overdue(next_review_due: dt.date | None, today: dt.date) -> bool:
    """Whether a review due on `next_review_due` is overdue on `today` (due before today)."""
    return next_review_due is not None and next_review_due < today


def _warnings_for(
    source_id: str,
    personal: bool,
    status: str | None,
    last: dt.date | None,
    due: dt.date | None,
    today: dt.date,
) -> list[ReviewWarning]:
    found: list[ReviewWarning] = []
    if due is not None and is_overdue(due, today):
        days = (today - due).days
        found.append(
            ReviewWarning(
                source_id,
                "overdue",
                f"the review of data source {source_id!r} was due on {due.isoformat()} "
                f"({days} day{'s' if days != 1 else ''} overdue)",
                next_due=due,
                days_overdue=days,
            )
        )
    if personal and last is None:
        when = f"; first review due {due.isoformat()}" if due and not is_overdue(due, today) else ""
        found.append(
            ReviewWarning(
                source_id,
                "never_reviewed",
                f"data source {source_id!r} holds personal data and was never reviewed{when}",
                next_due=due,
            )
        )
    if status == "rejected":
        found.append(
            ReviewWarning(
                source_id,
                "rejected",
                f"data source {source_id!r} was rejected in its latest review"
                + (f" ({last.isoformat()})" if last else ""),
                next_due=due,
            )
        )
    return found


def _check_review(
    reviewer: str, reviewed_on: dt.date, outcome: str, next_due: dt.date, today: dt.date
) -> None:
    if not reviewer.strip():
        raise ValidationError("reviewer", "must not be empty (name a role or team)")
    if outcome not in REVIEW_OUTCOMES:
        raise ValidationError("outcome", f"{outcome!r} is not one of {', '.join(REVIEW_OUTCOMES)}")
    if reviewed_on > today:
        raise ValidationError(
            "reviewed_on",
            f"{reviewed_on.isoformat()} is in the future (today is {today.isoformat()})",
        )
    if next_due <= reviewed_on:
        raise ValidationError(
            "next_due",
            f"{next_due.isoformat()} must be after reviewed_on {reviewed_on.isoformat()}",
        )


def _source_row(engine: Engine, source_id: str) -> dict[str, Any]:
    rows = engine.fetch_dicts(
        "SELECT source_id, review_status, last_reviewed_on FROM data_sources WHERE source_id = ?",
        [source_id],
    )
    if not rows:
        raise NotFoundError(
            f"data source {source_id!r} is not registered; register it first with "
            f"`learnledger sources add {source_id} ...`"
        )
    return rows[0]


def _review(row: tuple[Any, ...]) -> SourceReview:
    review_id, source_id, reviewer, on, outcome, due, notes, by, at = row
    return SourceReview(
        review_id=str(review_id),
        source_id=str(source_id),
        reviewer=str(reviewer),
        reviewed_on=on,
        outcome=str(outcome),
        next_due=due,
        notes=notes,
        recorded_by=by,
        recorded_at=at,
    )


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()
