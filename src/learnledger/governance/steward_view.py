"""The data and governance page: sources and reviews, imports and data quality, identity
resolution, consent, retention and the audit log — each section only for the roles allowed.

Sections and who sees them (decided from `learnledger.governance.access`, not by role name):

============  ==============================================  ==========================
section       what it shows                                   needs
============  ==============================================  ==========================
summary       sources, owners, legal basis, retention, review  view governance
              status and warnings; headline counts
imports       recent import runs; rejected cells by reason     view governance and see
              (counts, never the rejected values)              person-level data
identity      statement actors linked / linkable / ambiguous   organisation-wide
              / unresolved; the identifiers themselves only
              for the roles the identity rules name
consent       people per purpose: granted, withdrawn, no
              record, excluded (counts)
retention     retention enforcement runs (counts)
audit         the audit log's state and latest entries         view audit
============  ==============================================  ==========================

So an admin sees every section, an analyst all but the audit log, an auditor the summary and
the audit log (no section derived from person-level records). ``learnledger.ingest`` and
``learnledger.identity`` sit above this package, so the caller passes their readers in
(`OperationalReaders`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from learnledger.errors import PermissionDeniedError, ValidationError
from learnledger.governance.access import Capability, ScopeKind, decide
from learnledger.governance.actors import Actor
from learnledger.governance.audit import AuditFilter, AuditLog, AuditVerification
from learnledger.governance.consent import consent_report
from learnledger.governance.summary import build_summary, personal_data_text, retention_text
from learnledger.storage.engine import Engine

SECTIONS = ("summary", "imports", "identity", "consent", "retention", "audit")
#: Import runs and audit entries listed (newest first); counts cover everything.
RECENT = 50


@dataclass(frozen=True)
class OperationalReaders:
    """Readers from the layers above governance: every import run (newest first, each as
    `learnledger.ingest.runs.ImportRun.as_json`) and the identity report for a role (as
    `learnledger.identity.report.IdentityReport.as_json`)."""

    import_runs: Callable[[], list[dict[str, Any]]]
    identity: Callable[[str], dict[str, Any]]


@dataclass
class StewardView:
    """What the governance page shows: the sections computed and their tables."""

    as_of: dt.date
    sections: tuple[str, ...]
    allowed: tuple[str, ...]
    context: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    identifiers_shown: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready context (tables separately)."""
        return {
            "as_of": self.as_of.isoformat(),
            "sections": list(self.sections),
            "allowed_sections": list(self.allowed),
            **self.context,
        }


def allowed_sections(actor: Actor) -> tuple[str, ...]:
    """The sections `actor` may see, in page order (empty: none)."""
    if not decide(actor, Capability.VIEW_GOVERNANCE).allowed:
        return ("audit",) if decide(actor, Capability.VIEW_AUDIT).allowed else ()
    individuals = decide(actor, Capability.VIEW_INDIVIDUALS)
    person_level = individuals.allowed and individuals.scope.kind is ScopeKind.ALL
    sections = ["summary"]
    if person_level:
        sections += ["imports", "identity", "consent", "retention"]
    if decide(actor, Capability.VIEW_AUDIT).allowed:
        sections.append("audit")
    return tuple(sections)


def steward_view(
    engine: Engine,
    audit: AuditLog,
    actor: Actor,
    readers: OperationalReaders,
    *,
    section: str | None = None,
    audit_action: str | None = None,
    opt_in_purposes: frozenset[str] = frozenset(),
    today: dt.date | None = None,
) -> StewardView:
    """The sections `actor` may see (or only `section`), on `today` (default: today, UTC).

    Raises ValidationError for an unknown section and PermissionDeniedError for a section (or
    the whole page) the actor may not see; `audit_action` keeps audit entries of one action.
    """
    allowed = allowed_sections(actor)
    if not allowed:
        raise PermissionDeniedError(f"the {actor.role.value} role may not view governance data")
    if section is not None and section not in SECTIONS:
        raise ValidationError("section", f"{section!r} is not one of {', '.join(SECTIONS)}")
    if section is not None and section not in allowed:
        raise PermissionDeniedError(
            f"the {actor.role.value} role may not see the {section} section"
        )
    chosen = (section,) if section else allowed
    view = StewardView(today or dt.datetime.now(dt.UTC).date(), chosen, allowed)
    verification = None
    if "summary" in chosen:
        verification = _summary(view, engine, audit)
    if "imports" in chosen:
        _imports(view, readers)
    if "identity" in chosen:
        report = readers.identity(actor.role.value)
        _identity(view, report)
    if "consent" in chosen:
        _consent(view, engine, opt_in_purposes)
    if "retention" in chosen:
        _retention(view, engine)
    if "audit" in chosen:
        _audit(view, audit, audit_action, verification or audit.verify())
    return view


def _summary(view: StewardView, engine: Engine, audit: AuditLog) -> AuditVerification:
    summary = build_summary(engine, audit, view.as_of)
    view.context["summary"] = {
        "counts": summary.counts(),
        "audit_status": summary.audit_status(),
        "audit_intact": summary.audit.intact,
    }
    view.tables["sources"] = [
        {
            "source_id": s.source_id,
            "name": s.name,
            "kind": s.kind,
            "owner": s.owner,
            "legal_basis": s.legal_basis,
            "personal_data": personal_data_text(s),
            "retention": retention_text(s),
            "review_status": s.review_status,
            "last_reviewed_on": s.last_reviewed_on,
            "next_review_due": s.next_review_due,
            "review_overdue": "overdue" if s.review_overdue else "",
        }
        for s in summary.sources
    ]
    view.tables["review_warnings"] = [
        {"source_id": w.source_id, "kind": w.kind, "message": w.message} for w in summary.warnings
    ]
    return summary.audit


def _imports(view: StewardView, readers: OperationalReaders) -> None:
    runs = readers.import_runs()
    view.tables["import_runs"] = [
        {
            "started_at": run["started_at"],
            "source_id": run["source_id"],
            "entity": run["entity"],
            "status": run["status"],
            "rows_read": run["rows_read"],
            "rows_inserted": run["rows_inserted"],
            "rows_updated": run["rows_updated"],
            "rows_unchanged": run["rows_unchanged"],
            "rows_rejected": run["rows_rejected"],
            "error": run.get("error"),
        }
        for run in runs[:RECENT]
    ]
    rejected: dict[tuple[str, str, str], int] = {}
    for run in runs:
        for problem, count in (run.get("rejected_by_reason") or {}).items():
            key = (str(run["source_id"] or ""), str(run["entity"]), str(problem))
            rejected[key] = rejected.get(key, 0) + int(count)
    view.tables["rejections"] = [
        {"source_id": source, "entity": entity, "problem": problem, "cells": count}
        for (source, entity, problem), count in sorted(
            rejected.items(), key=lambda item: (-item[1], item[0])
        )
    ]
    view.context["imports"] = {
        "runs": len(runs),
        "failed_runs": sum(1 for r in runs if r["status"] != "succeeded"),
        "rows_read": sum(int(r["rows_read"]) for r in runs),
        "rows_rejected": sum(int(r["rows_rejected"]) for r in runs),
        "last_run_at": runs[0]["started_at"] if runs else None,
    }


def _identity(view: StewardView, report: dict[str, Any]) -> None:
    rows = [
        {"outcome": f"linked ({method})", "identifiers": count}
        for method, count in sorted(report["linked_by_method"].items())
    ]
    rows += [
        {"outcome": outcome, "identifiers": report[outcome]}
        for outcome in ("linkable", "ambiguous", "unresolved")
    ]
    view.tables["identity"] = rows
    view.context["identity"] = {
        "observed": report["observed"],
        "linked": report["linked"],
        "unlinked": report["linkable"] + report["ambiguous"] + report["unresolved"],
    }
    identifiers = report.get("identifiers")
    if identifiers is not None:
        view.identifiers_shown = True
        view.tables["unlinked_identifiers"] = [
            {
                "identifier": item["identifier"],
                "kind": item["kind"],
                "status": item["status"],
                "statements": item["statements"],
                "last_stored": item["last_stored"],
                "candidates": ", ".join(item["candidates"]),
            }
            for item in identifiers
        ]


def _consent(view: StewardView, engine: Engine, opt_in: frozenset[str]) -> None:
    moment = dt.datetime.combine(view.as_of, dt.time.max, tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    report = consent_report(engine, min(moment, now), opt_in)
    view.tables["consent"] = report.as_json()["purposes"]


def _retention(view: StewardView, engine: Engine) -> None:
    rows = engine.fetch_all(
        "SELECT run_id, started_at, finished_at, dry_run, actor, report FROM retention_runs "
        f"ORDER BY started_at DESC, run_id LIMIT {RECENT}"
    )
    runs = []
    for run_id, started, finished, dry_run, actor, report in rows:
        data = orjson.loads(report) if isinstance(report, str | bytes) else (report or {})
        runs.append(
            {
                "run_id": str(run_id),
                "started_at": started,
                "finished_at": finished,
                "dry_run": "dry run" if dry_run else "enforced",
                "actor": actor,
                "as_of": data.get("as_of"),
                "total_rows": int(data.get("total_rows") or 0),
            }
        )
    view.tables["retention_runs"] = runs


def _audit(
    view: StewardView, audit: AuditLog, action: str | None, verification: AuditVerification
) -> None:
    total = audit.count()
    matching = audit.count(AuditFilter(action=action))
    start = max(matching - RECENT, 0)
    latest = list(reversed(audit.entries(action=action, limit=RECENT, offset=start)))
    view.context["audit"] = {
        "intact": verification.intact,
        "entries": total,
        "problem": verification.problem,
        "first_bad_seq": verification.first_bad_seq,
        "action": action,
        "matching": matching,
    }
    view.tables["audit_log"] = [
        {
            "seq": e.seq,
            "occurred_at": e.occurred_at,
            "actor": e.actor,
            "action": e.action,
            "target": e.target,
            "details": orjson.dumps(e.details, option=orjson.OPT_SORT_KEYS).decode()
            if e.details
            else "",
        }
        for e in latest
    ]
