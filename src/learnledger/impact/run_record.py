"""Impact runs leave a trace in the audit log: which programme, outcome and isolation methods.

The maturity assessment (`learnledger.insights.maturity`) reads these entries to tell whether
the organisation isolates programme effects, and with which methods. An entry holds ids and
method names only, never people.
"""

from __future__ import annotations

from learnledger.governance.audit import AuditLog
from learnledger.impact.service import ImpactReport

#: The audit action of an impact run (``audit_events.action``).
IMPACT_RUN_ACTION = "impact_run"


def record_impact_run(audit: AuditLog, actor: str, report: ImpactReport, *, roi: bool) -> int:
    """Append the run of `report` by `actor` (its audit name) to `audit`; return its seq."""
    chosen = report.chosen
    return audit.append(
        actor=actor,
        action=IMPACT_RUN_ACTION,
        target=f"programme:{report.request.programme_id}",
        details={
            "programme": report.request.programme_id,
            "outcome": report.request.metric_id,
            "methods": sorted({e.method for e in report.estimates}),
            "chosen": None if chosen is None else chosen.method,
            "isolated": chosen is not None and chosen.isolated,
            "roi": roi,
        },
    )
