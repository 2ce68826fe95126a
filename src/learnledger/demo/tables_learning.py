"""Arrow tables of the learning, assessment and outcome parts of the canonical model."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from learnledger.demo.assessments import MAX_SCORE, PASS_MARK, Attempts, Ratings
from learnledger.demo.costs import CostRows
from learnledger.demo.enrolment import DELAY_DAYS, LearningPlan
from learnledger.demo.kpis import KpiSeries
from learnledger.demo.offer import ASSESSMENT_KINDS, CHOICES, Offer
from learnledger.demo.organisation import OrgUnits, Roster
from learnledger.demo.performance import Panel
from learnledger.demo.spec import Scenario
from learnledger.demo.tables import to_table
from learnledger.demo.timeline import Timeline, format_ids, id_width

#: Rows per bulk insert of the large tables (bounded memory).
CHUNK_ROWS = 500_000


def _take(values: list[str], index: np.ndarray) -> pa.Array:
    return pa.array(values).take(pa.array(index, type=pa.int64()))


def programme_tables(
    scenario: Scenario, offer: Offer, plan: LearningPlan, roster: Roster, timeline: Timeline
) -> dict[str, pa.Table]:
    """programmes, programme_objectives, cohorts, courses and course_modules."""
    cohorts = plan.cohorts
    owners = _owners(scenario, roster, timeline)
    launch = [cohorts.start[cohorts.programme == p].min() for p in range(len(scenario.programmes))]
    objectives = [
        (p, k, o)
        for p, prog in enumerate(scenario.programmes)
        for k, o in enumerate(prog.objectives)
    ]
    course_count = np.bincount(offer.module_course, minlength=len(offer.course_ids))
    module_position = np.concatenate([np.arange(1, c + 1) for c in course_count])
    specs = [c for prog in scenario.programmes for c in prog.courses]
    return {
        "programmes": to_table(
            "programmes",
            {
                "programme_id": [p.programme_id for p in scenario.programmes],
                "name": [p.name for p in scenario.programmes],
                "description": [p.description for p in scenario.programmes],
                "owner_person_id": [
                    owners[i % len(owners)] for i in range(len(scenario.programmes))
                ],
                "target_job_family": [
                    ",".join(p.target_families) if len(p.target_families) < 3 else "all"
                    for p in scenario.programmes
                ],
                "launch_date": np.array(launch, dtype="datetime64[D]"),
                "status": ["active"] * len(scenario.programmes),
                "currency": [scenario.currency] * len(scenario.programmes),
            },
        ),
        "programme_objectives": to_table(
            "programme_objectives",
            {
                "objective_id": [
                    f"OBJ-{scenario.programmes[p].code}-{k + 1}" for p, k, _ in objectives
                ],
                "programme_id": [scenario.programmes[p].programme_id for p, _, _ in objectives],
                "level": [o.level for _, _, o in objectives],
                "metric_id": [o.metric_id for _, _, o in objectives],
                "target_value": [o.target_value for _, _, o in objectives],
                "unit": [o.unit for _, _, o in objectives],
                "within_months": [o.within_months for _, _, o in objectives],
                "set_on": np.array(
                    [launch[p] - np.timedelta64(30, "D") for p, _, _ in objectives],
                    dtype="datetime64[D]",
                ),
            },
        ),
        "cohorts": to_table(
            "cohorts",
            {
                "cohort_id": cohorts.ids,
                "programme_id": _take(
                    [p.programme_id for p in scenario.programmes], cohorts.programme
                ),
                "name": cohorts.names,
                "start_date": cohorts.start,
                "end_date": cohorts.end,
            },
        ),
        "courses": to_table(
            "courses",
            {
                "course_id": offer.course_ids,
                "programme_id": _take(
                    [p.programme_id for p in scenario.programmes], offer.course_programme
                ),
                "name": offer.course_names,
                "delivery_channel": offer.course_channel,
                "xapi_activity_id": offer.course_iris,
                "planned_hours": [c.planned_hours for c in specs],
                "position": offer.course_position + 1,
            },
        ),
        "course_modules": to_table(
            "course_modules",
            {
                "module_id": offer.module_ids,
                "course_id": _take(offer.course_ids, offer.module_course),
                "name": offer.module_names,
                "position": module_position,
                "kind": offer.module_kind,
                "xapi_activity_id": offer.module_iris,
            },
        ),
    }


def _owners(scenario: Scenario, roster: Roster, timeline: Timeline) -> list[str]:
    """L&D specialists employed at the end of the window (or the CEO)."""
    role_ids = np.array([r.role_id for r in scenario.roles])[roster.role]
    staying = roster.leave > timeline.end_day
    owners = np.flatnonzero((role_ids == "ROLE-LD-SPEC") & staying)
    if len(owners) == 0:
        owners = np.flatnonzero(role_ids == "ROLE-CEO")[:1]
    return [roster.person_ids[i] for i in owners.tolist()]


def enrolment_ids(plan: LearningPlan) -> list[str]:
    """Stable ids of the enrolments, in plan order."""
    n = len(plan.enrolments.part)
    return format_ids("ENR-", np.arange(1, n + 1), id_width(n, 7))


def enrolments(offer: Offer, plan: LearningPlan, roster: Roster, ids: list[str]) -> pa.Table:
    """Course enrolments as the LMS reports them."""
    e = plan.enrolments
    return to_table(
        "enrolments",
        {
            "enrolment_id": ids,
            "person_id": _take(roster.person_ids, plan.parts.person[e.part]),
            "course_id": _take(offer.course_ids, e.course),
            "cohort_id": _take(plan.cohorts.ids, plan.parts.cohort[e.part]),
            "registration": e.registration,
            "status": e.status,
            "enrolled_at": e.enrolled_ms,
            "started_at": e.started_ms,
            "completed_at": e.completed_ms,
            "withdrawn_at": e.withdrawn_ms,
            "due_date": e.due,
            "source_id": pa.array(["lms"] * len(ids)),
        },
    )


def assessment_tables(scenario: Scenario, offer: Offer) -> dict[str, pa.Table]:
    """assessments and assessment_items."""
    kinds = [ASSESSMENT_KINDS[k] for k in offer.assessment_kind.tolist()]
    return {
        "assessments": to_table(
            "assessments",
            {
                "assessment_id": offer.assessment_ids,
                "course_id": _take(offer.course_ids, offer.assessment_course),
                "programme_id": _take(
                    [p.programme_id for p in scenario.programmes], offer.assessment_programme
                ),
                "name": offer.assessment_names,
                "kind": kinds,
                "xapi_activity_id": offer.assessment_iris,
                "max_score": [MAX_SCORE] * len(kinds),
                "pass_score": [PASS_MARK] * len(kinds),
                "delay_days": [DELAY_DAYS if k == "delayed" else None for k in kinds],
            },
        ),
        "assessment_items": to_table(
            "assessment_items",
            {
                "item_id": offer.item_ids,
                "assessment_id": _take(offer.assessment_ids, offer.item_assessment),
                "position": offer.item_position,
                "xapi_activity_id": offer.item_iris,
                "skill_id": offer.item_skill,
                "interaction_type": ["choice"] * len(offer.item_ids),
                "correct_response": [CHOICES[c] for c in offer.item_correct.tolist()],
            },
        ),
    }


def result_ids(attempts: Attempts) -> list[str]:
    """Stable ids of the assessment attempts, in attempt order."""
    n = len(attempts.assessment)
    return format_ids("RES-", np.arange(1, n + 1), id_width(n, 8))


def assessment_results(
    offer: Offer, attempts: Attempts, roster: Roster, enrolment_id: list[str], ids: list[str]
) -> pa.Table:
    """One row per test attempt."""
    return to_table(
        "assessment_results",
        {
            "result_id": ids,
            "assessment_id": _take(offer.assessment_ids, attempts.assessment),
            "person_id": _take(roster.person_ids, attempts.person),
            "enrolment_id": _take(enrolment_id, attempts.enrolment),
            "attempt": np.ones(len(ids), dtype=np.int64),
            "taken_at": attempts.start_ms + attempts.duration_ms,
            "score_raw": attempts.score,
            "score_scaled": np.round(attempts.score / MAX_SCORE, 4),
            "passed": attempts.passed,
            "source_id": pa.array(["assessments"] * len(ids)),
        },
    )


def item_responses(offer: Offer, attempts: Attempts, ids: list[str]) -> Iterator[pa.Table]:
    """Item-level responses, in chunks."""
    n_items = np.bincount(offer.item_assessment)[offer.item_assessment]
    points = np.round(MAX_SCORE / n_items, 4)
    result = pa.array(ids)
    item_ids = pa.array(offer.item_ids)
    letters = pa.array(list(CHOICES))
    for lo in range(0, len(attempts.item), CHUNK_ROWS):
        hi = lo + CHUNK_ROWS
        item = attempts.item[lo:hi]
        correct = attempts.correct[lo:hi]
        yield to_table(
            "item_responses",
            {
                "result_id": result.take(pa.array(attempts.item_attempt[lo:hi])),
                "item_id": item_ids.take(pa.array(item)),
                "response": letters.take(pa.array(attempts.response[lo:hi])),
                "correct": correct,
                "score": np.where(correct, points[item], 0.0),
            },
        )


def proficiency_ratings(ratings: Ratings, roster: Roster) -> Iterator[pa.Table]:
    """Self and manager skill ratings, in chunks."""
    n = len(ratings.person)
    ids = format_ids("RAT-", np.arange(1, n + 1), id_width(n, 8))
    people = pa.array(roster.person_ids)
    for lo in range(0, n, CHUNK_ROWS):
        hi = lo + CHUNK_ROWS
        yield to_table(
            "proficiency_ratings",
            {
                "rating_id": ids[lo:hi],
                "person_id": people.take(pa.array(ratings.person[lo:hi])),
                "skill_id": ratings.skill[lo:hi],
                "level": ratings.level[lo:hi],
                "rated_on": ratings.day[lo:hi],
                "rater_kind": ratings.rater[lo:hi],
                "source_id": ratings.source[lo:hi],
            },
        )


def performance_metrics(scenario: Scenario) -> pa.Table:
    """Definitions of the individual metrics."""
    m = scenario.metrics
    return to_table(
        "performance_metrics",
        {
            "metric_id": [x.metric_id for x in m],
            "name": [x.name for x in m],
            "unit": [x.unit for x in m],
            "direction": [x.direction for x in m],
            "kind": [x.kind for x in m],
            "job_family": [x.job_family for x in m],
            "description": [x.description for x in m],
        },
    )


def performance_observations(
    panel: Panel, roster: Roster, timeline: Timeline
) -> Iterator[pa.Table]:
    """The observed values of one metric, in chunks."""
    rows, months = np.nonzero(panel.observed)
    people = pa.array(roster.person_ids)
    starts = timeline.month_starts
    metric = panel.metric
    for lo in range(0, len(rows), CHUNK_ROWS):
        r, t = rows[lo : lo + CHUNK_ROWS], months[lo : lo + CHUNK_ROWS]
        yield to_table(
            "performance_observations",
            {
                "person_id": people.take(pa.array(panel.people[r])),
                "metric_id": pa.array([metric.metric_id] * len(r)),
                "period_start": starts[t],
                "period_end": starts[t + 1] - np.timedelta64(1, "D"),
                "value": panel.y1[r, t],
                "source_id": pa.array([metric.source_id] * len(r)),
            },
        )


def business_kpis(scenario: Scenario) -> pa.Table:
    """KPI definitions with their monetary values."""
    k = scenario.kpis
    return to_table(
        "business_kpis",
        {
            "kpi_id": [x.kpi_id for x in k],
            "name": [x.name for x in k],
            "unit": [x.unit for x in k],
            "direction": [x.direction for x in k],
            "category": [x.category for x in k],
            "monetary_value_per_unit": [x.monetary_value_per_unit for x in k],
            "currency": [scenario.currency] * len(k),
            "value_basis": [x.value_basis for x in k],
            "description": [x.description for x in k],
        },
    )


def kpi_observations(
    scenario: Scenario, series: list[KpiSeries], units: OrgUnits, timeline: Timeline
) -> pa.Table:
    """Monthly KPI values per org unit."""
    tables = []
    for s in series:
        unit, month = np.nonzero(~np.isnan(s.values))
        tables.append(
            to_table(
                "kpi_observations",
                {
                    "kpi_id": [s.kpi_id] * len(unit),
                    "scope_type": ["org_unit"] * len(unit),
                    "scope_id": _take(units.ids, unit),
                    "period_start": timeline.month_starts[month],
                    "period_end": timeline.month_starts[month + 1] - np.timedelta64(1, "D"),
                    "value": s.values[unit, month],
                    "source_id": [scenario.kpi(s.kpi_id).source_id] * len(unit),
                },
            )
        )
    return pa.concat_tables(tables)


def programme_costs(scenario: Scenario, costs: CostRows) -> pa.Table:
    """programme_costs rows."""
    counters: dict[int, int] = {}
    ids = []
    for p in costs.programme:
        counters[p] = counters.get(p, 0) + 1
        ids.append(f"COST-{scenario.programmes[p].code}-{counters[p]:04d}")
    return to_table(
        "programme_costs",
        {
            "cost_id": ids,
            "programme_id": [scenario.programmes[p].programme_id for p in costs.programme],
            "category": costs.category,
            "description": costs.description,
            "amount": costs.amount,
            "currency": [scenario.currency] * len(ids),
            "incurred_on": costs.incurred,
            "allocation": costs.allocation,
            "allocation_share": costs.share,
            "amortisation_months": [None] * len(ids),
            "source_id": ["finance"] * len(ids),
        },
    )
