"""Consent per person and purpose: record decisions, decide who is excluded, report counts.

Rules:

- Each decision is one `consent_records` row; nothing is updated or deleted, so the history
  stays. The decision in force for a person and purpose at a moment ``at`` is the latest record
  with ``recorded_at <= at``; when two records share that moment, *withdrawn* wins (the
  cautious reading of a contradiction).
- For an opt-out purpose (the default) a person without a record in force is included; for an
  opt-in purpose (``consent_opt_in_purposes``) only people whose decision in force is
  *granted* are included.
- Exclusion is total from the moment of withdrawal: processing run at or after that moment
  leaves out all of the person's rows, including rows from before the withdrawal.

`exclusion_subquery` gives the excluded people as portable SQL (``?`` parameters), so other
services filter their own queries with it on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from learnledger.core.model.vocabulary import CONSENT_PURPOSES, CONSENT_STATUSES
from learnledger.errors import NotFoundError, ValidationError
from learnledger.governance.actors import Actor
from learnledger.governance.audit import AuditLog
from learnledger.storage.engine import Engine

#: The purpose the metric layer and the impact engine process people for.
ANALYTICS = "analytics"
INDIVIDUAL_REPORTING = "individual_reporting"

_INSERT_SQL = (
    "INSERT INTO consent_records "
    "(consent_id, person_id, purpose, status, recorded_at, source_id, recorded_by) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)

# A withdrawn record in force: no record of the same person and purpose after it (up to `at`).
_WITHDRAWN_SQL = """SELECT w.person_id FROM consent_records w
WHERE w.purpose = ? AND w.status = 'withdrawn' AND w.recorded_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM consent_records n
    WHERE n.person_id = w.person_id AND n.purpose = w.purpose
      AND n.recorded_at > w.recorded_at AND n.recorded_at <= ?)"""

# A grant in force: no later record, and no withdrawal at the same moment (withdrawn wins).
_GRANTED_SQL = """SELECT g.person_id FROM consent_records g
WHERE g.purpose = ? AND g.status = 'granted' AND g.recorded_at <= ?
  AND NOT EXISTS (
    SELECT 1 FROM consent_records n
    WHERE n.person_id = g.person_id AND n.purpose = g.purpose AND n.recorded_at <= ?
      AND (n.recorded_at > g.recorded_at
           OR (n.recorded_at = g.recorded_at AND n.status = 'withdrawn')))"""

# Opt-in: everyone without a grant in force.
_NOT_GRANTED_SQL = f"""SELECT x.person_id FROM people x
WHERE x.person_id NOT IN ({_GRANTED_SQL})"""


@dataclass(frozen=True)
class ConsentRecord:
    """One recorded decision."""

    consent_id: str
    person_id: str
    purpose: str
    status: str
    recorded_at: dt.datetime
    source_id: str | None
    recorded_by: str | None


@dataclass(frozen=True)
class ExclusionQuery:
    """A portable ``SELECT person_id ...`` of the excluded people and its ``?`` parameters,
    to embed as ``... NOT IN (<sql>)`` with `params` in that position."""

    sql: str
    params: tuple[Any, ...]


@dataclass(frozen=True)
class PurposeCounts:
    """How many people a purpose covers, by the decision in force; counts only, no ids."""

    purpose: str
    opt_in: bool
    people: int
    granted: int
    withdrawn: int
    no_record: int

    @property
    def excluded(self) -> int:
        """People left out of processing for this purpose."""
        return self.withdrawn + (self.no_record if self.opt_in else 0)


@dataclass(frozen=True)
class ConsentReport:
    """Exclusion counts per purpose at one moment."""

    at: dt.datetime
    purposes: list[PurposeCounts]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "at": self.at.isoformat(),
            "purposes": [
                {
                    "purpose": p.purpose,
                    "opt_in": p.opt_in,
                    "people": p.people,
                    "granted": p.granted,
                    "withdrawn": p.withdrawn,
                    "no_record": p.no_record,
                    "excluded": p.excluded,
                }
                for p in self.purposes
            ],
        }


def record_consent(
    engine: Engine,
    audit: AuditLog,
    actor: Actor,
    *,
    person_id: str,
    purpose: str,
    status: str,
    recorded_at: dt.datetime | None = None,
    source_id: str | None = None,
) -> ConsentRecord:
    """Validate and store one decision with a ``consent_recorded`` audit entry (one transaction).

    Raises ValidationError naming ``purpose``, ``status`` or ``recorded_at``, and NotFoundError
    for an unknown person or source. `recorded_at` (default: now) is when the decision took
    effect; a naive time is taken as UTC.
    """
    check_purpose(purpose)
    if status not in CONSENT_STATUSES:
        raise ValidationError("status", f"{status!r} is not one of {', '.join(CONSENT_STATUSES)}")
    moment = _utc(recorded_at) if recorded_at is not None else dt.datetime.now(dt.UTC)
    if engine.fetch_one("SELECT 1 FROM people WHERE person_id = ?", [person_id]) is None:
        raise NotFoundError(f"person {person_id!r} does not exist")
    if source_id is not None and (
        engine.fetch_one("SELECT 1 FROM data_sources WHERE source_id = ?", [source_id]) is None
    ):
        raise NotFoundError(f"data source {source_id!r} is not registered")
    record = ConsentRecord(
        consent_id=f"CON-{uuid.uuid4().hex}",
        person_id=person_id,
        purpose=purpose,
        status=status,
        recorded_at=moment,
        source_id=source_id,
        recorded_by=actor.user_id,
    )
    with audit.transaction():
        engine.execute(
            _INSERT_SQL,
            [
                record.consent_id,
                record.person_id,
                record.purpose,
                record.status,
                record.recorded_at,
                record.source_id,
                record.recorded_by,
            ],
        )
        audit.append(
            actor=actor.audit_name,
            action="consent_recorded",
            target="consent_records",
            details={
                "consent_id": record.consent_id,
                "person_id": person_id,
                "purpose": purpose,
                "status": status,
                "recorded_at": moment.isoformat(),
            },
        )
    return record


def consent_history(engine: Engine, person_id: str) -> list[ConsentRecord]:
    """Every decision recorded for `person_id`, oldest first; NotFoundError for no such person."""
    if engine.fetch_one("SELECT 1 FROM people WHERE person_id = ?", [person_id]) is None:
        raise NotFoundError(f"person {person_id!r} does not exist")
    rows = engine.fetch_all(
        "SELECT consent_id, person_id, purpose, status, recorded_at, source_id, recorded_by "
        "FROM consent_records WHERE person_id = ? ORDER BY recorded_at, purpose, consent_id",
        [person_id],
    )
    return [
        ConsentRecord(
            consent_id=str(row[0]),
            person_id=str(row[1]),
            purpose=str(row[2]),
            status=str(row[3]),
            recorded_at=row[4],
            source_id=row[5],
            recorded_by=row[6],
        )
        for row in rows
    ]


def decisions_in_force(
    history: list[ConsentRecord], at: dt.datetime, opt_in_purposes: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Purpose -> ``granted``, ``withdrawn`` or ``no record`` (``not granted`` for an opt-in
    purpose without a grant) at `at`, from one person's `history`, by the latest-record rule."""
    moment = _utc(at)
    result: dict[str, str] = {}
    for purpose in CONSENT_PURPOSES:
        in_force = [r for r in history if r.purpose == purpose and r.recorded_at <= moment]
        if in_force:
            latest = max(r.recorded_at for r in in_force)
            statuses = {r.status for r in in_force if r.recorded_at == latest}
            result[purpose] = "withdrawn" if "withdrawn" in statuses else "granted"
        else:
            result[purpose] = "not granted" if purpose in opt_in_purposes else "no record"
    return result


def exclusion_subquery(purpose: str, at: dt.datetime, *, opt_in: bool = False) -> ExclusionQuery:
    """The people excluded from `purpose` at `at` as portable SQL: those whose decision in force
    is withdrawn or, when `opt_in`, who have no grant in force."""
    check_purpose(purpose)
    moment = _utc(at)
    if opt_in:
        return ExclusionQuery(_NOT_GRANTED_SQL, (purpose, moment, moment))
    return ExclusionQuery(_WITHDRAWN_SQL, (purpose, moment, moment))


def excluded_people(
    engine: Engine, purpose: str, at: dt.datetime, *, opt_in: bool = False
) -> frozenset[str]:
    """The ids of the people excluded from `purpose` at `at` (see `exclusion_subquery`)."""
    query = exclusion_subquery(purpose, at, opt_in=opt_in)
    return frozenset(str(row[0]) for row in engine.fetch_all(query.sql, list(query.params)))


def excluded_count(engine: Engine, purpose: str, at: dt.datetime, *, opt_in: bool = False) -> int:
    """How many people are excluded from `purpose` at `at`."""
    query = exclusion_subquery(purpose, at, opt_in=opt_in)
    row = engine.fetch_one(
        f"SELECT COUNT(DISTINCT e.person_id) FROM ({query.sql}) e", list(query.params)
    )
    return int(row[0]) if row else 0


def consent_report(
    engine: Engine, at: dt.datetime, opt_in_purposes: frozenset[str] = frozenset()
) -> ConsentReport:
    """Counts per purpose at `at`: people, granted, withdrawn, no record, and excluded."""
    moment = _utc(at)
    row = engine.fetch_one("SELECT COUNT(*) FROM people")
    people = int(row[0]) if row else 0
    purposes = []
    for purpose in CONSENT_PURPOSES:
        withdrawn = excluded_count(engine, purpose, moment)
        granted_row = engine.fetch_one(
            f"SELECT COUNT(DISTINCT g.person_id) FROM ({_GRANTED_SQL}) g",
            [purpose, moment, moment],
        )
        granted = int(granted_row[0]) if granted_row else 0
        purposes.append(
            PurposeCounts(
                purpose=purpose,
                opt_in=purpose in opt_in_purposes,
                people=people,
                granted=granted,
                withdrawn=withdrawn,
                no_record=max(people - granted - withdrawn, 0),
            )
        )
    return ConsentReport(at=moment, purposes=purposes)


def check_purpose(purpose: str) -> None:
    """Raise ValidationError naming ``purpose`` unless it is a known consent purpose."""
    if purpose not in CONSENT_PURPOSES:
        raise ValidationError("purpose", f"{purpose!r} is not one of {', '.join(CONSENT_PURPOSES)}")


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
