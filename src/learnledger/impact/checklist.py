"""The ROI calculator checklist: each Phillips step for one programme, with its status and the
evidence found in the store, as JSON, Markdown and printable HTML.

The steps and their questions are defined once, in `CHECKLIST_ITEMS`: the filled checklist of
a programme (here) and the blank template a practitioner fills in before a programme
(`learnledger.impact.checklist_template`) are both built from them."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Literal

from learnledger.errors import NotFoundError
from learnledger.impact.costs import CATEGORIES
from learnledger.impact.roi_service import RoiReport
from learnledger.storage.engine import Engine

Status = Literal["done", "partial", "missing"]
_MARK = {"done": "[x]", "partial": "[~]", "missing": "[ ]"}


@dataclass(frozen=True)
class ChecklistItem:
    """One Phillips step as the checklist asks it: the question, and what a practitioner
    prepares before the programme so the step can be met afterwards."""

    key: str
    step: str
    question: str
    prepare: str


#: The Phillips ROI steps, in order: the one definition of the checklist's items.
CHECKLIST_ITEMS: tuple[ChecklistItem, ...] = (
    ChecklistItem(
        "objectives",
        "Objectives",
        "Are measurable objectives set at each level?",
        "Write one measurable objective per level (reaction, learning, behaviour, business, "
        "ROI) with its metric, target and date; record them as programme_objectives.",
    ),
    ChecklistItem(
        "participation",
        "Data: participation",
        "Are enrolments and completions recorded?",
        "Name the system that records enrolments and completions (LMS export or xAPI) and who "
        "imports it.",
    ),
    ChecklistItem(
        "learning",
        "Data: learning",
        "Is learning measured before and after (and later, for retention)?",
        "Plan a pre-test, a post-test and a delayed test on the same scale.",
    ),
    ChecklistItem(
        "behaviour",
        "Data: behaviour",
        "Is behaviour on the job measured for the objective's metric?",
        "Choose the on-the-job measure, its source and how often it is observed, starting "
        "before the programme (a baseline).",
    ),
    ChecklistItem(
        "business",
        "Data: business impact",
        "Are the business objectives' measures observed?",
        "Choose the business KPI, its owner and source, and observe it per person or team "
        "before and after.",
    ),
    ChecklistItem(
        "isolation",
        "Isolation",
        "Is the programme's effect isolated from other influences?",
        "Decide how the effect is isolated: a comparison group (staggered roll-out, "
        "waiting list, matching) and the people in it.",
    ),
    ChecklistItem(
        "conversion",
        "Conversion to money",
        "Is the effect converted to money by a credible method?",
        "Agree the money value of one unit of the business measure (standard value, "
        "historical cost, expert estimate) and who vouches for it.",
    ),
    ChecklistItem(
        "costs",
        "Fully loaded costs",
        "Are all cost categories included?",
        "List every cost category (" + ", ".join(c.replace("_", " ") for c in CATEGORIES) + ") "
        "with its source; record them as programme_costs.",
    ),
    ChecklistItem(
        "intangibles",
        "Intangibles",
        "Are benefits not converted to money reported as intangibles?",
        "List the benefits you expect but will not convert to money (e.g. engagement, "
        "retention) and how each is observed.",
    ),
    ChecklistItem(
        "communication",
        "Communication",
        "Are the results reported to the people who decide?",
        "Name who receives the results, when and in what form.",
    ),
)
_ITEMS = {item.key: item for item in CHECKLIST_ITEMS}


@dataclass(frozen=True)
class ChecklistStep:
    """One Phillips step: what it asks, whether it is met, and the evidence."""

    step: str
    question: str
    status: Status
    evidence: str


@dataclass(frozen=True)
class RoiChecklist:
    """The checklist of one programme."""

    programme_id: str
    programme_name: str
    steps: list[ChecklistStep]

    @property
    def complete(self) -> bool:
        """Every step done."""
        return all(step.status == "done" for step in self.steps)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready checklist."""
        return {
            "programme_id": self.programme_id,
            "programme_name": self.programme_name,
            "complete": self.complete,
            "steps": [
                {"step": s.step, "question": s.question, "status": s.status, "evidence": s.evidence}
                for s in self.steps
            ],
        }

    def as_markdown(self) -> str:
        """A Markdown checklist."""
        lines = [f"# ROI checklist: {self.programme_name} ({self.programme_id})", ""]
        for s in self.steps:
            lines.append(f"- {_MARK[s.status]} **{s.step}** — {s.question}  ")
            lines.append(f"  {s.status}: {s.evidence}")
        return "\n".join(lines) + "\n"

    def as_html(self) -> str:
        """A self-contained printable HTML page (no external assets)."""
        rows = "\n".join(
            f"<tr class='{s.status}'><td>{html.escape(s.step)}</td>"
            f"<td>{html.escape(s.question)}</td><td>{s.status}</td>"
            f"<td>{html.escape(s.evidence)}</td></tr>"
            for s in self.steps
        )
        title = html.escape(f"ROI checklist: {self.programme_name} ({self.programme_id})")
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title><style>"
            "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#1a1a1a}"
            "table{border-collapse:collapse;width:100%}td,th{border:1px solid #999;"
            "padding:.4em;vertical-align:top;text-align:left}"
            ".done td:nth-child(3){color:#0a5c2f}.partial td:nth-child(3){color:#7a4b00}"
            ".missing td:nth-child(3){color:#a00000;font-weight:bold}"
            "@media print{body{margin:0}}</style></head><body>"
            f"<h1>{title}</h1><table><thead><tr><th>Step</th><th>Question</th><th>Status</th>"
            f"<th>Evidence</th></tr></thead><tbody>{rows}</tbody></table></body></html>"
        )


def _step(key: str, status: Status, evidence: str) -> ChecklistStep:
    item = _ITEMS[key]
    return ChecklistStep(item.step, item.question, status, evidence)


def roi_checklist(engine: Engine, programme_id: str, roi: RoiReport | None = None) -> RoiChecklist:
    """Check each Phillips step against the store; `roi` (from `programme_roi`) supplies the
    isolation, conversion and intangibles steps, which are missing without it."""
    row = engine.fetch_one("SELECT name FROM programmes WHERE programme_id = ?", [programme_id])
    if row is None:
        raise NotFoundError(f"programme {programme_id!r} does not exist")
    steps = [
        _objectives(engine, programme_id),
        *_data_steps(engine, programme_id),
        _isolation(roi),
        _conversion(roi),
        _costs(engine, programme_id),
        _intangibles(roi),
        _step(
            "communication",
            "partial" if roi is not None else "missing",
            "this checklist and the ROI report can be exported; sharing them is up to you"
            if roi is not None
            else "no ROI computed yet",
        ),
    ]
    return RoiChecklist(programme_id, str(row[0]), steps)


def _objectives(engine: Engine, programme_id: str) -> ChecklistStep:
    rows = engine.fetch_all(
        "SELECT level, metric_id, target_value FROM programme_objectives WHERE programme_id = ?",
        [programme_id],
    )
    levels = sorted({str(r[0]) for r in rows})
    wanted = {"learning", "behaviour", "business", "roi"}
    status: Status = "done" if wanted <= set(levels) else "partial" if rows else "missing"
    evidence = (
        f"{len(rows)} objectives at {', '.join(levels)}"
        + (f"; none at {', '.join(sorted(wanted - set(levels)))}" if wanted - set(levels) else "")
        if rows
        else "no objectives recorded before training"
    )
    return _step("objectives", status, evidence)


def _count(engine: Engine, sql: str, programme_id: str) -> int:
    row = engine.fetch_one(sql, [programme_id])
    return int(row[0]) if row and row[0] is not None else 0


def _data_steps(engine: Engine, programme_id: str) -> list[ChecklistStep]:
    enrolled = _count(
        engine,
        "SELECT COUNT(*) FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
        "WHERE c.programme_id = ?",
        programme_id,
    )
    results = engine.fetch_all(
        "SELECT a.kind, COUNT(*) FROM assessment_results r "
        "JOIN assessments a ON a.assessment_id = r.assessment_id "
        "WHERE a.programme_id = ? GROUP BY a.kind",
        [programme_id],
    )
    kinds = {str(k): int(n) for k, n in results}
    behaviour = _count(
        engine,
        "SELECT COUNT(*) FROM programme_objectives o JOIN performance_observations p "
        "ON p.metric_id = o.metric_id WHERE o.programme_id = ? AND o.level = 'behaviour'",
        programme_id,
    )
    business = _count(
        engine,
        "SELECT COUNT(*) FROM programme_objectives o WHERE o.programme_id = ? "
        "AND o.level = 'business' AND (o.metric_id IN (SELECT metric_id FROM "
        "performance_observations) OR o.metric_id IN (SELECT kpi_id FROM kpi_observations))",
        programme_id,
    )
    learning_status: Status = (
        "done" if {"pre", "post"} <= set(kinds) else "partial" if kinds else "missing"
    )
    return [
        _step(
            "participation",
            "done" if enrolled else "missing",
            f"{enrolled:,} enrolments",
        ),
        _step(
            "learning",
            learning_status,
            ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items())) or "no assessment results",
        ),
        _step(
            "behaviour",
            "done" if behaviour else "missing",
            f"{behaviour:,} observations of the behaviour objectives' metrics",
        ),
        _step(
            "business",
            "done" if business else "missing",
            f"{business} business objectives with observed data",
        ),
    ]


def _isolation(roi: RoiReport | None) -> ChecklistStep:
    if roi is None or roi.impact.chosen is None:
        return _step("isolation", "missing", "no isolated estimate")
    chosen = roi.impact.chosen
    status: Status = "done" if chosen.credible else "partial"
    evidence = f"{chosen.info.label}: {chosen.effect:,.4g} ({chosen.interval.low:,.4g} to "
    evidence += f"{chosen.interval.high:,.4g})"
    if chosen.warnings:
        evidence += "; " + " ".join(chosen.warnings)
    return _step("isolation", status, evidence)


def _conversion(roi: RoiReport | None) -> ChecklistStep:
    if roi is None:
        return _step("conversion", "missing", "no conversion given")
    rank = roi.conversion.credibility_rank
    status: Status = "done" if rank <= 3 else "partial"
    return _step(
        "conversion",
        status,
        f"{roi.conversion.value_per_unit:,.4g} {roi.conversion.currency} per unit "
        f"({roi.conversion.basis.replace('_', ' ')}, credibility {rank} of 6)",
    )


def _costs(engine: Engine, programme_id: str) -> ChecklistStep:
    rows = engine.fetch_all(
        "SELECT DISTINCT category FROM programme_costs WHERE programme_id = ?", [programme_id]
    )
    present = {str(r[0]) for r in rows}
    missing = [c for c in CATEGORIES if c not in present]
    status: Status = "done" if not missing else "partial" if present else "missing"
    evidence = f"ledger has {', '.join(c for c in CATEGORIES if c in present) or 'nothing'}"
    if missing:
        evidence += f"; missing {', '.join(missing)}"
    return _step("costs", status, evidence)


def _intangibles(roi: RoiReport | None) -> ChecklistStep:
    if roi is None:
        return _step("intangibles", "missing", "no ROI computed yet")
    listed = ", ".join(roi.intangibles) or "none besides the converted measure"
    return _step("intangibles", "done", listed)
