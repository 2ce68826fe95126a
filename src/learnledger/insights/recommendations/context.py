"""What every recommender reads besides the data: thresholds, the privacy floor, the moment
consent is judged at, and who is left out for want of consent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from learnledger.config import RecommendationSettings, Settings
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING, excluded_people
from learnledger.storage.engine import Engine

T = TypeVar("T")


@dataclass
class RecommendationContext:
    """The engine, thresholds and privacy rules one run of the recommenders shares.

    Aggregates over people leave out everyone who withdrew consent to analytics (or, with
    `analytics_opt_in`, never granted it); recommendations naming one person also leave out
    those excluded from individual reporting.
    """

    engine: Engine
    min_group_size: int = 5
    thresholds: RecommendationSettings = field(default_factory=RecommendationSettings)
    as_of: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    analytics_opt_in: bool = False
    individual_opt_in: bool = False
    currency: str = "EUR"
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(
        cls, engine: Engine, settings: Settings, *, as_of: dt.datetime | None = None
    ) -> RecommendationContext:
        """A context with the thresholds, group size and consent rules of `settings`."""
        return cls(
            engine=engine,
            min_group_size=settings.min_group_size,
            thresholds=settings.recommendations,
            as_of=as_of or dt.datetime.now(dt.UTC),
            analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
            individual_opt_in=INDIVIDUAL_REPORTING in settings.consent_opt_in_purposes,
            currency=settings.currency,
        )

    @cached_property
    def excluded_from_analytics(self) -> frozenset[str]:
        """People no aggregate may include."""
        return excluded_people(self.engine, ANALYTICS, self.as_of, opt_in=self.analytics_opt_in)

    @cached_property
    def excluded_individually(self) -> frozenset[str]:
        """People no person-level recommendation may name."""
        individual = excluded_people(
            self.engine, INDIVIDUAL_REPORTING, self.as_of, opt_in=self.individual_opt_in
        )
        return self.excluded_from_analytics | individual

    def shared(self, key: str, load: Callable[[], T]) -> T:
        """Data several recommenders read (e.g. skill levels), loaded once per run."""
        if key not in self._shared:
            self._shared[key] = load()
        value: T = self._shared[key]
        return value

    def large_enough(self, people: int) -> bool:
        """Whether a group of `people` may be described (at least min_group_size)."""
        return people >= self.min_group_size
