"""Diagnostics: why things happened.

Public API (each returns a typed, frozen result with ``summary()`` and ``tables()``; see
`report.as_dict` for the JSON form):

- `course_funnel` -> `CourseFunnel` (``.drop_offs``: the flagged modules)
- `item_analysis` -> `ItemAnalysis` (``.flags``: `ItemFlag` per item to fix, with reasons)
- `skill_gap_report` -> `SkillGapReport`; `person_skill_levels`, the skill-gap rule itself
- `compare_segments` -> `SegmentComparison`
- `engagement_patterns` -> `EngagementPatterns`
- `audience_profile` -> `AudienceProfile`
- across many courses and tests (for recommendations): `module_drop_offs` ->
  list of `ModuleDropOff`, `items_to_fix` -> list of `ItemFlag`

Who is counted is a `Population` (`population`, or `aggregate_population` /
`individual_population` for a viewer's scope). Statistics live in `reliability` and
`significance`; suppression in `suppression`.
"""

from learnledger.insights.diagnostics.access import (
    Viewer,
    aggregate_population,
    individual_population,
)
from learnledger.insights.diagnostics.audience import AudienceProfile, audience_profile
from learnledger.insights.diagnostics.compare import SegmentComparison, compare_segments
from learnledger.insights.diagnostics.engagement import EngagementPatterns, engagement_patterns
from learnledger.insights.diagnostics.funnel import (
    CourseFunnel,
    FunnelRules,
    FunnelStep,
    course_funnel,
)
from learnledger.insights.diagnostics.hotspots import ModuleDropOff, items_to_fix, module_drop_offs
from learnledger.insights.diagnostics.items import ItemAnalysis, ItemFlag, ItemRules, item_analysis
from learnledger.insights.diagnostics.population import Population, population
from learnledger.insights.diagnostics.report import as_dict
from learnledger.insights.diagnostics.skill_gaps import (
    PersonSkillLevel,
    SkillGapReport,
    person_skill_levels,
    skill_gap_report,
)

__all__ = [
    "AudienceProfile",
    "CourseFunnel",
    "EngagementPatterns",
    "FunnelRules",
    "FunnelStep",
    "ItemAnalysis",
    "ItemFlag",
    "ItemRules",
    "ModuleDropOff",
    "PersonSkillLevel",
    "Population",
    "SegmentComparison",
    "SkillGapReport",
    "Viewer",
    "aggregate_population",
    "as_dict",
    "audience_profile",
    "compare_segments",
    "course_funnel",
    "engagement_patterns",
    "individual_population",
    "item_analysis",
    "items_to_fix",
    "module_drop_offs",
    "person_skill_levels",
    "population",
    "skill_gap_report",
]
