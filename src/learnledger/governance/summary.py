"""The governance summary: every data source with its governance facts and review status, and
counts a data protection officer asks for (overdue reviews, consent withdrawals per purpose,
the audit chain's state, users per role). Counts only: it names no person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from learnledger.core.model.entities.access import USER_ROLES
from learnledger.core.model.vocabulary import CONSENT_PURPOSES
from learnledger.governance.audit import AuditLog, AuditVerification
from learnledger.governance.consent import excluded_count
from learnledger.governance.reviews import ReviewWarning, is_overdue, review_warnings
from learnledger.storage.engine import Engine

_SOURCE_SQL = (
    "SELECT source_id, name, kind, owner, legal_basis, purpose, personal_data_categories, "
    "contains_personal_data, vendor, dpa_status, retention_days, retention_action, "
    "review_status, last_reviewed_on, next_review_due FROM data_sources ORDER BY source_id"
)


@dataclass(frozen=True)
class SourceGovernance:
    """One data source's governance facts and review status."""

    source_id: str
    name: str
    kind: str
    owner: str | None
    legal_basis: str | None
    purpose: str | None
    personal_data_categories: tuple[str, ...]
    contains_personal_data: bool
    vendor: str | None
    dpa_status: str | None
    retention_days: int | None
    retention_action: str | None
    review_status: str
    last_reviewed_on: dt.date | None
    next_review_due: dt.date | None
    review_overdue: bool

    def as_json(self) -> dict[str, Any]:
        """The source as JSON-ready data (dates in ISO 8601)."""
        return {
            "source_id": self.source_id,
            "name": self.name,
            "kind": self.kind,
            "owner": self.owner,
            "legal_basis": self.legal_basis,
            "purpose": self.purpose,
            "personal_data_categories": list(self.personal_data_categories),
            "contains_personal_data": self.contains_personal_data,
            "vendor": self.vendor,
            "dpa_status": self.dpa_status,
            "retention_days": self.retention_days,
            "retention_action": self.retention_action,
            "review_status": self.review_status,
            "last_reviewed_on": _iso(self.last_reviewed_on),
            "next_review_due": _iso(self.next_review_due),
            "review_overdue": self.review_overdue,
        }


@dataclass(frozen=True)
class GovernanceSummary:
    """Sources, review warnings and governance counts on one day."""

    as_of: dt.date
    sources: tuple[SourceGovernance, ...]
    warnings: tuple[ReviewWarning, ...]
    consent_withdrawals: dict[str, int]
    audit: AuditVerification
    users_by_role: dict[str, int]
    disabled_users: int

    @property
    def overdue_reviews(self) -> int:
        """How many sources' next review is due before `as_of`."""
        return sum(1 for s in self.sources if s.review_overdue)

    def counts(self) -> dict[str, Any]:
        """The headline counts."""
        return {
            "sources": len(self.sources),
            "sources_with_personal_data": sum(1 for s in self.sources if s.contains_personal_data),
            "overdue_reviews": self.overdue_reviews,
            "review_warnings": len(self.warnings),
            "consent_withdrawals": dict(self.consent_withdrawals),
            "audit_entries": self.audit.entries,
            "users_by_role": dict(self.users_by_role),
            "disabled_users": self.disabled_users,
        }

    def audit_status(self) -> str:
        """One line on the audit chain: intact with its size, or the problem found."""
        if self.audit.intact:
            return f"intact ({_entries(self.audit.entries)})"
        where = (
            f" (first bad entry: {self.audit.first_bad_seq})"
            if self.audit.first_bad_seq is not None
            else ""
        )
        return f"NOT INTACT: {self.audit.problem}{where}"

    def as_json(self) -> dict[str, Any]:
        """The whole summary as JSON-ready data."""
        return {
            "as_of": self.as_of.isoformat(),
            "counts": self.counts(),
            "audit": {
                "intact": self.audit.intact,
                "entries": self.audit.entries,
                "first_bad_seq": self.audit.first_bad_seq,
                "problem": self.audit.problem,
                "head_hash": self.audit.head_hash,
            },
            "warnings": [w.as_json() for w in self.warnings],
            "sources": [s.as_json() for s in self.sources],
        }

    def to_markdown(self) -> str:
        """The summary as a Markdown document (headings, tables, a list of warnings)."""
        lines = [
            f"# Governance summary ({self.as_of.isoformat()})",
            "",
            f"- Data sources: {len(self.sources)} "
            f"({sum(1 for s in self.sources if s.contains_personal_data)} with personal data)",
            f"- Overdue reviews: {self.overdue_reviews}",
            f"- Audit chain: {self.audit_status()}",
            f"- Users: {_counts_text(self.users_by_role)}; disabled: {self.disabled_users}",
            f"- Consent withdrawals in force: {_counts_text(self.consent_withdrawals)}",
            "",
            "## Data sources",
            "",
            "| Source | Owner | Legal basis | Purpose | Personal data | Retention | Review "
            "| Last review | Next review |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for s in self.sources:
            next_due = _iso(s.next_review_due) or ""
            if s.review_overdue:
                next_due += " **overdue**"
            cells = [
                f"{s.source_id} ({s.name})",
                s.owner or "",
                s.legal_basis or "",
                s.purpose or "",
                personal_data_text(s),
                retention_text(s),
                s.review_status,
                _iso(s.last_reviewed_on) or "never",
                next_due,
            ]
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |")
        lines += ["", "## Review warnings", ""]
        lines += [f"- {w.message}" for w in self.warnings] or ["None."]
        return "\n".join(lines) + "\n"


def build_summary(
    engine: Engine, audit: AuditLog, today: dt.date | None = None
) -> GovernanceSummary:
    """The governance summary of the database behind `engine` on `today` (default: today,
    UTC); verifies the audit chain with `audit`."""
    now = dt.datetime.now(dt.UTC)
    as_of = today or now.date()
    sources = tuple(_source(row, as_of) for row in engine.fetch_dicts(_SOURCE_SQL))
    # Consent in force at the end of `as_of` (now, when that is today).
    moment = now if as_of >= now.date() else _end_of(as_of)
    withdrawals = {p: excluded_count(engine, p, moment) for p in CONSENT_PURPOSES}
    users = dict.fromkeys(USER_ROLES, 0)
    disabled = 0
    for role, is_disabled, count in engine.fetch_all(
        "SELECT role, disabled, COUNT(*) FROM app_users GROUP BY role, disabled"
    ):
        if is_disabled:
            disabled += int(count)
        else:
            users[str(role)] = users.get(str(role), 0) + int(count)
    return GovernanceSummary(
        as_of=as_of,
        sources=sources,
        warnings=tuple(review_warnings(engine, as_of)),
        consent_withdrawals=withdrawals,
        audit=audit.verify(),
        users_by_role=users,
        disabled_users=disabled,
    )


def personal_data_text(source: SourceGovernance) -> str:
    """The personal data categories as words: the list, ``none`` or ``yes (not listed)``."""
    if not source.contains_personal_data:
        return "none"
    return ", ".join(source.personal_data_categories) or "yes (categories not listed)"


def retention_text(source: SourceGovernance) -> str:
    """Retention as words, e.g. ``1095 days, then delete``, or ``not set``."""
    if source.retention_days is None:
        return "not set"
    return f"{source.retention_days} days, then {source.retention_action or 'delete'}"


def _source(row: dict[str, Any], as_of: dt.date) -> SourceGovernance:
    categories = tuple(
        c.strip() for c in str(row["personal_data_categories"] or "").split(",") if c.strip()
    )
    return SourceGovernance(
        source_id=row["source_id"],
        name=row["name"],
        kind=row["kind"],
        owner=row["owner"],
        legal_basis=row["legal_basis"],
        purpose=row["purpose"],
        personal_data_categories=categories,
        contains_personal_data=bool(row["contains_personal_data"]),
        vendor=row["vendor"],
        dpa_status=row["dpa_status"],
        retention_days=row["retention_days"],
        retention_action=row["retention_action"],
        review_status=row["review_status"] or "not_reviewed",
        last_reviewed_on=row["last_reviewed_on"],
        next_review_due=row["next_review_due"],
        review_overdue=is_overdue(row["next_review_due"], as_of),
    )


def _entries(count: int) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.max, tzinfo=dt.UTC)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "none"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
