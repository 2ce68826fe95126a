"""The course diagnostics as the course-redesign recommender's source: every module's drop-off
from the course funnels, and the flagged items from the item analyses.

Both count the same people as the diagnostics would for an analyst (consent exclusions
applied) and keep their suppression: a module whose counts the funnel hides is left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from learnledger.config import Settings
from learnledger.governance.consent import ANALYTICS
from learnledger.insights.diagnostics.funnel import course_funnel
from learnledger.insights.diagnostics.hotspots import (
    assessments_with_responses,
    courses_with_modules,
)
from learnledger.insights.diagnostics.items import item_analysis
from learnledger.insights.diagnostics.population import population
from learnledger.insights.recommendations.course_redesign import ItemFlag, ModuleDropOff
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class DiagnosticsCourseSource:
    """`CourseDiagnosticsSource` over `learnledger.insights.diagnostics`."""

    min_group_size: int = 5
    analytics_opt_in: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> DiagnosticsCourseSource:
        """The source with the group size and consent rule of `settings`."""
        return cls(settings.min_group_size, ANALYTICS in settings.consent_opt_in_purposes)

    def module_dropoff(self, engine: Engine) -> Sequence[ModuleDropOff]:
        """Drop-off of every module of every course with modules (suppressed ones left out)."""
        people = population(opt_in=self.analytics_opt_in)
        found: list[ModuleDropOff] = []
        for course_id in courses_with_modules(engine):
            funnel = course_funnel(engine, course_id, people, min_group_size=self.min_group_size)
            found += [
                ModuleDropOff(
                    course_id, step.module_id, step.position, step.reached, step.stopped_here
                )
                for step in funnel.steps
                if step.reached is not None and step.stopped_here is not None
            ]
        return found

    def item_flags(self, engine: Engine) -> Sequence[ItemFlag]:
        """The flagged items of every assessment with item-level data."""
        people = population(opt_in=self.analytics_opt_in)
        flags: list[ItemFlag] = []
        for assessment_id in assessments_with_responses(engine):
            analysis = item_analysis(
                engine, assessment_id, people, min_group_size=self.min_group_size
            )
            flags += [
                ItemFlag(
                    assessment_id,
                    stat.item,
                    tuple(reason for reason in stat.flags.split("; ") if reason),
                    stat.responses,
                    stat.difficulty,
                    stat.discrimination,
                )
                for stat in analysis.items
                if stat.to_fix
            ]
        return flags
