"""Where courses and tests need work, across many of them: the inputs of course-redesign
recommendations.

`module_drop_offs` runs the course funnel of every course (or the given ones) and keeps the
flagged modules; `items_to_fix` runs the item analysis of every assessment (or the given
ones) and keeps the flagged items. Both count the same people (`Population`) with the same
suppression as the single diagnostics, so nothing is learnt here that those would hide.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnledger.insights.diagnostics.funnel import FunnelRules, FunnelStep, course_funnel
from learnledger.insights.diagnostics.items import ItemFlag, ItemRules, item_analysis
from learnledger.insights.diagnostics.population import Population
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class ModuleDropOff:
    """A flagged module of one course."""

    course_id: str
    course: str
    entrants: int | None
    step: FunnelStep


def module_drop_offs(
    engine: Engine,
    people: Population,
    *,
    min_group_size: int,
    course_ids: list[str] | None = None,
    rules: FunnelRules | None = None,
) -> list[ModuleDropOff]:
    """The flagged modules of every course with modules (or of `course_ids`), highest stop
    rate first."""
    chosen = course_ids or courses_with_modules(engine)
    found = []
    for course_id in chosen:
        funnel = course_funnel(
            engine, course_id, people, min_group_size=min_group_size, rules=rules
        )
        found += [
            ModuleDropOff(course_id, funnel.course, funnel.entrants, s) for s in funnel.drop_offs
        ]
    return sorted(found, key=lambda d: (-(d.step.stop_rate or 0.0), d.course_id, d.step.position))


def items_to_fix(
    engine: Engine,
    people: Population,
    *,
    min_group_size: int,
    assessment_ids: list[str] | None = None,
    rules: ItemRules | None = None,
    source: str = "auto",
) -> list[ItemFlag]:
    """The flagged items of every assessment with items or results (or of `assessment_ids`)."""
    chosen = assessment_ids or assessments_with_responses(engine)
    flags: list[ItemFlag] = []
    for assessment_id in chosen:
        analysis = item_analysis(
            engine, assessment_id, people, min_group_size=min_group_size, source=source, rules=rules
        )
        flags += analysis.flags
    return flags


def assessments_with_responses(engine: Engine) -> list[str]:
    """Assessments an item analysis can run on: those with items or results."""
    return [
        str(a)
        for (a,) in engine.fetch_all(
            "SELECT assessment_id FROM assessments a WHERE EXISTS (SELECT 1 FROM "
            "assessment_items i WHERE i.assessment_id = a.assessment_id) OR EXISTS (SELECT 1 "
            "FROM assessment_results r WHERE r.assessment_id = a.assessment_id) "
            "ORDER BY assessment_id"
        )
    ]


def courses_with_modules(engine: Engine) -> list[str]:
    """Courses a module funnel can run on: those with modules."""
    return [
        str(c)
        for (c,) in engine.fetch_all(
            "SELECT DISTINCT course_id FROM course_modules ORDER BY course_id"
        )
    ]
