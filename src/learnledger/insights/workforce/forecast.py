"""The skill supply forecast per role, skill and quarter, against requirements and the plan.

For each role with requirements and each quarter from the one holding `as_of`:

- **headcount**: people in the role at the quarter's end — employed on `as_of` or hired later
  (known hires), minus those whose ``leave_date`` falls before the end (known leavers);
- **meeting now**: those whose current level (see `inputs`) reaches the required level;
- **in training**: those below it (or not rated) with open training in an offer that teaches
  the skill and is expected to end by the quarter's end;
- **expected supply**: the sum over the headcount of each person's probability of meeting the
  requirement at the quarter's end: 1 when they meet it now; for someone in training
  ``P(complete) x P(level + gain >= required)``, the gain ~ Normal(measured mean gain,
  sd^2 + se^2) — the spread of individual gains plus the uncertainty of their mean; else 0.
  Several offers: the best one counts. The interval treats people as independent Bernoulli
  trials (normal approximation, clipped to [0, headcount]);
- **required**: the planned headcount (`plan`) when the plan has the role and quarter, else
  the headcount; **gap** = required - expected supply (negative: a surplus).

A cell whose headcount is between 1 and ``min_group_size - 1`` is suppressed (every figure
about its people is null). People excluded from analytics by consent are in no figure.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from statistics import NormalDist
from typing import Any

from learnledger.errors import NotFoundError, ValidationError
from learnledger.governance.consent import ANALYTICS, excluded_count, exclusion_subquery
from learnledger.insights.workforce import inputs
from learnledger.insights.workforce.inputs import Member, Requirement
from learnledger.insights.workforce.plan import choose_plan, planned_headcount
from learnledger.insights.workforce.training import Offer, load_offers, open_training
from learnledger.metrics.periods import Period, period_of
from learnledger.metrics.privacy import is_small, suppression_reason
from learnledger.storage.engine import Engine

MAX_QUARTERS = 12
_STANDARD = NormalDist()

#: Columns of the forecast table (CSV header and JSON keys of each row).
COLUMNS = (
    "role_id", "role", "skill_id", "skill", "required_level", "quarter", "quarter_end",
    "planned_headcount", "headcount", "required", "meeting_now", "in_training",
    "expected_supply", "supply_low", "supply_high", "gap", "coverage", "unrated", "suppressed",
)  # fmt: skip


@dataclass(frozen=True)
class ForecastRequest:
    """What to forecast: from `as_of`, `quarters` quarters, optionally one role, one org
    subtree, one plan version, or only some skills (a programme owner's)."""

    as_of: dt.date
    quarters: int = 4
    role_id: str | None = None
    org_unit_id: str | None = None
    plan_name: str | None = None
    skills: frozenset[str] | None = None
    #: Offers whose completion rate and gains may be shown (None: all); the supply still
    #: counts everyone's training.
    visible_offers: frozenset[str] | None = None
    fiscal_start: int = 1
    min_group_size: int = 5
    consent_opt_in: bool = False
    interval: float = 0.9

    def check(self) -> None:
        """Raise ValidationError naming the argument that is out of range."""
        if not 1 <= self.quarters <= MAX_QUARTERS:
            raise ValidationError("quarters", f"must be between 1 and {MAX_QUARTERS}")
        if not 0.5 <= self.interval < 1:
            raise ValidationError("interval", "must be at least 0.5 and below 1")


@dataclass
class ForecastCell:
    """One role, skill and quarter."""

    role_id: str
    role: str
    skill_id: str
    skill: str
    required_level: float
    quarter: str
    quarter_end: str
    planned_headcount: int | None
    headcount: int | None
    required: int | None
    meeting_now: int | None
    in_training: int | None
    expected_supply: float | None
    supply_low: float | None
    supply_high: float | None
    gap: float | None
    coverage: float | None
    unrated: int | None
    suppressed: bool = False


@dataclass
class WorkforceForecast:
    """The forecast with the training evidence it used and the notes a reader needs."""

    as_of: dt.date
    quarters: list[str]
    plan_name: str | None
    scope: str
    rows: list[ForecastCell]
    offers: list[dict[str, Any]]
    min_group_size: int
    interval: float
    consent_excluded: int
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready forecast."""
        return {
            "as_of": self.as_of.isoformat(),
            "quarters": self.quarters,
            "plan_name": self.plan_name,
            "scope": self.scope,
            "interval": self.interval,
            "min_group_size": self.min_group_size,
            "consent_excluded": self.consent_excluded,
            "rows": [asdict(r) for r in self.rows],
            "offers": self.offers,
            "notes": self.notes,
        }


def forecast_supply(engine: Engine, request: ForecastRequest) -> WorkforceForecast:
    """The forecast for `request` (see the module's rules). Raises NotFoundError for an
    unknown role, org unit or plan version."""
    request.check()
    parents = inputs.unit_parents(engine)
    units = _units(parents, request.org_unit_id)
    moment = dt.datetime.combine(request.as_of, dt.time.max, tzinfo=dt.UTC)
    consent = exclusion_subquery(ANALYTICS, moment, opt_in=request.consent_opt_in)
    reqs = _requirements(engine, request)
    people = inputs.members(engine, request.as_of, consent, units)
    levels = inputs.current_levels(engine, request.as_of, consent)
    offers = load_offers(engine, request.as_of, consent, request.min_group_size)
    training: dict[str, list[tuple[Offer, dt.date]]] = {}
    for t in open_training(engine, offers, request.as_of, consent):
        training.setdefault(t.person_id, []).append((offers[t.offer_id], t.expected_end))
    rows = inputs.plan_rows(engine)
    plan_name = choose_plan(rows, request.plan_name)
    plan = planned_headcount(rows, plan_name, parents, request.fiscal_start, units)
    quarters = _quarters(request)
    by_role: dict[str, list[Member]] = {}
    for m in people:
        by_role.setdefault(m.role_id, []).append(m)
    z = _STANDARD.inv_cdf(0.5 + request.interval / 2)
    cells = [
        _cell(req, q, by_role.get(req.role_id, []), levels, training, plan, request, z)
        for req in reqs
        for q in quarters
    ]
    taught = {r.skill_id for r in reqs}
    shown = {
        k: o
        for k, o in offers.items()
        if o.skills & taught and (request.visible_offers is None or k in request.visible_offers)
    }
    return WorkforceForecast(
        as_of=request.as_of,
        quarters=[q.label for q in quarters],
        plan_name=plan_name,
        scope=_scope_label(request),
        rows=cells,
        offers=[shown[k].as_dict() for k in sorted(shown)],
        min_group_size=request.min_group_size,
        interval=request.interval,
        consent_excluded=excluded_count(engine, ANALYTICS, moment, opt_in=request.consent_opt_in),
        notes=_notes(request, plan_name, cells, shown),
    )


def _requirements(engine: Engine, request: ForecastRequest) -> list[Requirement]:
    reqs = inputs.requirements(engine)
    if request.role_id is not None:
        if engine.fetch_one("SELECT 1 FROM roles WHERE role_id = ?", [request.role_id]) is None:
            raise NotFoundError(f"no role {request.role_id!r}")
        reqs = [r for r in reqs if r.role_id == request.role_id]
    if request.skills is not None:
        reqs = [r for r in reqs if r.skill_id in request.skills]
    return reqs


def _units(parents: dict[str, str | None], org_unit_id: str | None) -> set[str] | None:
    if org_unit_id is None:
        return None
    if org_unit_id not in parents:
        raise NotFoundError(f"no org unit {org_unit_id!r}")
    return inputs.subtree(parents, org_unit_id)


def _quarters(request: ForecastRequest) -> list[Period]:
    first = period_of(request.as_of, "quarter", request.fiscal_start)
    quarters = [first]
    while len(quarters) < request.quarters:
        quarters.append(period_of(quarters[-1].end, "quarter", request.fiscal_start))
    return quarters


def meeting_probability(
    level: float | None,
    required: float,
    offers: list[tuple[Offer, dt.date]],
    skill_id: str,
    by: dt.date,
) -> tuple[float, bool]:
    """A person's probability of meeting `required` in `skill_id` at `by`, and whether
    training that ends by then counts for it (see the module's rules)."""
    if level is not None and level >= required:
        return 1.0, False
    best, training = 0.0, False
    for offer, end in offers:
        if skill_id not in offer.skills or end > by:
            continue
        training = True
        gain = offer.gains.get(skill_id)
        if level is None or offer.completion_rate is None or gain is None or gain.mean is None:
            continue
        spread = math.hypot(gain.sd or 0.0, gain.standard_error or 0.0)
        margin = level + gain.mean - required
        reach = _STANDARD.cdf(margin / spread) if spread > 0 else float(margin >= 0)
        best = max(best, offer.completion_rate * reach)
    return best, training


def _cell(
    req: Requirement,
    quarter: Period,
    members: list[Member],
    levels: dict[tuple[str, str], float],
    training: dict[str, list[tuple[Offer, dt.date]]],
    plan: dict[tuple[str, dt.date], int],
    request: ForecastRequest,
    z: float,
) -> ForecastCell:
    end = quarter.last_day
    present = [m for m in members if m.employed_at(end)]
    planned = plan.get((req.role_id, quarter.start))
    meeting = in_training = unrated = 0
    supply = variance = 0.0
    for m in present:
        level = levels.get((m.person_id, req.skill_id))
        if level is None:
            unrated += 1
        elif level >= req.required_level:
            meeting += 1
            supply += 1.0
            continue
        offers = training.get(m.person_id)
        if offers is None:  # most people: no open training, so no chance before rating
            continue
        p, counted = meeting_probability(level, req.required_level, offers, req.skill_id, end)
        in_training += counted
        supply += p
        variance += p * (1.0 - p)
    headcount = len(present)
    required = planned if planned is not None else headcount
    cell = ForecastCell(
        role_id=req.role_id,
        role=req.role,
        skill_id=req.skill_id,
        skill=req.skill,
        required_level=req.required_level,
        quarter=quarter.label,
        quarter_end=end.isoformat(),
        planned_headcount=planned,
        headcount=headcount,
        required=required,
        meeting_now=meeting,
        in_training=in_training,
        expected_supply=round(supply, 2),
        supply_low=round(max(0.0, supply - z * math.sqrt(variance)), 2),
        supply_high=round(min(float(headcount), supply + z * math.sqrt(variance)), 2),
        gap=round(required - supply, 2),
        coverage=round(supply / required, 3) if required else None,
        unrated=unrated,
    )
    if is_small(headcount, request.min_group_size):
        _suppress(cell, planned is None)
    return cell


def _suppress(cell: ForecastCell, required_is_headcount: bool) -> None:
    for name in ("headcount", "meeting_now", "in_training", "expected_supply", "supply_low",
                 "supply_high", "gap", "coverage", "unrated"):  # fmt: skip
        setattr(cell, name, None)
    if required_is_headcount:
        cell.required = None
    cell.suppressed = True


def _scope_label(request: ForecastRequest) -> str:
    parts = []
    if request.org_unit_id is not None:
        parts.append(f"org unit {request.org_unit_id} and below")
    if request.role_id is not None:
        parts.append(f"role {request.role_id}")
    if request.skills is not None:
        parts.append("skills taught by your programmes")
    return ", ".join(parts) or "whole organisation"


def _notes(
    request: ForecastRequest,
    plan_name: str | None,
    cells: list[ForecastCell],
    offers: dict[str, Offer],
) -> list[str]:
    notes = [
        f"Supply at each quarter's end from ratings up to {request.as_of.isoformat()}, open "
        "training (completion rate x chance the measured gain lifts the person to the level) "
        f"and known hires and leavers; {round(request.interval * 100)} % intervals.",
    ]
    if plan_name is None:
        notes.append(
            "No headcount plan: the requirement is the expected headcount. Import one "
            "(learnledger import headcount_plans FILE --mapping ...) to compare with the plan."
        )
    else:
        notes.append(f"Planned headcount from the plan {plan_name!r}.")
    unmeasured = sorted(
        o.offer_id
        for o in offers.values()
        if o.completion_rate is None or all(g.mean is None for g in o.gains.values())
    )
    if unmeasured:
        notes.append(
            "Training adds nothing where the completion rate or the gain was measured on "
            f"fewer than {request.min_group_size} people: {', '.join(unmeasured)}."
        )
    if any(c.suppressed for c in cells):
        notes.append(suppression_reason(request.min_group_size).capitalize() + ".")
    return notes
