"""The maturity assessment: each criterion's result and evidence, the level reached and the
next steps.

The level reached is the highest level whose criteria, and those of every level below it, are
all met; level 1 (reporting) is the floor — an installation with nothing connected is at level
1 with the steps that establish it. The next steps are the unmet criteria of the levels up to
the next one, lowest level first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from learnledger.errors import PermissionDeniedError
from learnledger.governance.access import Capability, ScopeKind, require
from learnledger.governance.actors import Actor
from learnledger.insights.maturity.criteria import CRITERIA, LEVELS
from learnledger.insights.maturity.evidence import gather
from learnledger.storage.engine import Engine

REFUSED = "The maturity assessment covers the whole organisation (admin, analyst, executive)."


@dataclass(frozen=True)
class CriterionResult:
    """One criterion as assessed."""

    key: str
    level: int
    level_name: str
    title: str
    met: bool
    evidence: str
    next_step: str


@dataclass(frozen=True)
class LevelResult:
    """How much of one level is in place."""

    level: int
    name: str
    met: int
    criteria: int

    @property
    def complete(self) -> bool:
        """Whether every criterion of the level is met."""
        return self.met == self.criteria


@dataclass(frozen=True)
class MaturityAssessment:
    """The level reached, each level's progress, every criterion and the next steps."""

    assessed_at: dt.datetime
    level: int
    level_name: str
    levels: list[LevelResult]
    criteria: list[CriterionResult]
    next_steps: list[CriterionResult]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready assessment."""
        return {
            "assessed_at": self.assessed_at.isoformat(),
            "level": self.level,
            "level_name": self.level_name,
            "levels": [asdict(x) | {"complete": x.complete} for x in self.levels],
            "criteria": [asdict(c) for c in self.criteria],
            "next_steps": [
                {"key": c.key, "level": c.level, "title": c.title, "step": c.next_step}
                for c in self.next_steps
            ],
        }


def assess_maturity(
    engine: Engine,
    *,
    at: dt.datetime | None = None,
    min_group_size: int = 5,
    consent_opt_in: bool = False,
) -> MaturityAssessment:
    """Assess the organisation in `engine` at `at` (default now)."""
    moment = at or dt.datetime.now(dt.UTC)
    evidence = gather(engine, moment, min_group_size, consent_opt_in)
    results = []
    for c in CRITERIA:
        met, found = c.check(evidence)
        results.append(
            CriterionResult(c.key, c.level, LEVELS[c.level], c.title, met, found, c.next_step)
        )
    levels = [
        LevelResult(
            level,
            name,
            sum(r.met for r in results if r.level == level),
            sum(1 for r in results if r.level == level),
        )
        for level, name in LEVELS.items()
    ]
    reached = 1
    if levels[0].complete:
        for result in levels[1:]:
            if not result.complete:
                break
            reached = result.level
    target = reached + 1 if levels[0].complete else 1
    steps = [r for r in results if not r.met and r.level <= max(target, reached + 1)]
    return MaturityAssessment(moment, reached, LEVELS[reached], levels, results, steps)


def require_organisation_view(actor: Actor) -> None:
    """Raise PermissionDeniedError unless `actor` may see the organisation-wide assessment."""
    if require(actor, Capability.VIEW_AGGREGATES).scope.kind is not ScopeKind.ALL:
        raise PermissionDeniedError(REFUSED)


def assessment_for(
    engine: Engine,
    actor: Actor,
    *,
    at: dt.datetime | None = None,
    min_group_size: int = 5,
    consent_opt_in: bool = False,
) -> MaturityAssessment:
    """The assessment, for organisation-wide roles only (PermissionDeniedError otherwise)."""
    require_organisation_view(actor)
    return assess_maturity(
        engine, at=at, min_group_size=min_group_size, consent_opt_in=consent_opt_in
    )
