"""The recommendation engine: independent recommenders, each one module, composed into one
ranked list. A new recommender is any object with a `kind`, a `name` and a `recommend`
method; pass it to `RecommendationEngine`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from learnledger.errors import ValidationError
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.model import (
    Recommendation,
    RecommendationKind,
    sort_key,
)

Progress = Callable[[str, int, int], None]


@dataclass
class RecommenderOutput:
    """What one recommender found, and notes on what it could not judge (and why)."""

    recommendations: list[Recommendation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Recommender(Protocol):
    """One source of recommendations of one kind."""

    @property
    def kind(self) -> RecommendationKind:
        """The kind of recommendation it makes."""
        ...

    @property
    def name(self) -> str:
        """A short id, e.g. ``retention``."""
        ...

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        """The recommendations for the data in `context`."""
        ...


@dataclass
class RecommendationSet:
    """The ranked recommendations of a run, with each recommender's notes."""

    recommendations: list[Recommendation]
    notes: dict[str, list[str]]
    generated_at: str
    min_group_size: int

    def of_kind(self, kinds: Iterable[RecommendationKind]) -> RecommendationSet:
        """The same set narrowed to `kinds`."""
        wanted = set(kinds)
        return RecommendationSet(
            [r for r in self.recommendations if r.kind in wanted],
            self.notes,
            self.generated_at,
            self.min_group_size,
        )

    def about_programme(
        self, programme_id: str, course_ids: Iterable[str] = ()
    ) -> RecommendationSet:
        """The same set narrowed to what concerns one programme: recommendations naming it
        or one of its courses (`course_ids`)."""
        courses = set(course_ids)
        return RecommendationSet(
            [
                r
                for r in self.recommendations
                if r.programme_id == programme_id
                or (r.course_id is not None and r.course_id in courses)
            ],
            self.notes,
            self.generated_at,
            self.min_group_size,
        )

    def as_json(self) -> dict[str, Any]:
        """JSON-ready set."""
        return {
            "generated_at": self.generated_at,
            "min_group_size": self.min_group_size,
            "count": len(self.recommendations),
            "recommendations": [r.as_json() for r in self.recommendations],
            "notes": self.notes,
        }


class RecommendationEngine:
    """Runs recommenders and ranks what they return (most urgent, strongest evidence first)."""

    def __init__(self, recommenders: Sequence[Recommender]) -> None:
        names = [r.name for r in recommenders]
        if len(set(names)) != len(names):
            raise ValidationError("recommenders", "two recommenders share a name")
        self.recommenders = list(recommenders)

    def run(
        self,
        context: RecommendationContext,
        kinds: Iterable[RecommendationKind] | None = None,
        *,
        progress: Progress | None = None,
    ) -> RecommendationSet:
        """Run the recommenders of `kinds` (all when None) on `context`'s data."""
        wanted = set(RecommendationKind) if kinds is None else set(kinds)
        chosen = [r for r in self.recommenders if r.kind in wanted]
        found: list[Recommendation] = []
        notes: dict[str, list[str]] = {}
        for done, recommender in enumerate(chosen):
            if progress is not None:
                progress(f"recommending: {recommender.name}", done, len(chosen))
            output = recommender.recommend(context)
            found += output.recommendations
            if output.notes:
                notes[recommender.name] = output.notes
        if progress is not None:
            progress("recommendations ready", len(chosen), len(chosen))
        return RecommendationSet(
            sorted(found, key=sort_key),
            notes,
            context.as_of.isoformat(),
            context.min_group_size,
        )


def parse_kinds(values: Iterable[str]) -> list[RecommendationKind]:
    """Kinds from their names; an unknown name is a ValidationError naming the known ones."""
    kinds = []
    for value in values:
        try:
            kinds.append(RecommendationKind(value))
        except ValueError:
            known = ", ".join(k.value for k in RecommendationKind)
            raise ValidationError("kind", f"unknown kind {value!r}; known: {known}") from None
    return kinds
