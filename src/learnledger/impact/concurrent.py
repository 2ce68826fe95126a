"""Concurrent programmes estimated jointly: removing other programmes' effects before isolating
this one's.

When the people trained by a programme also take other programmes at about the same time, a
difference-in-differences attributes those programmes' effects to this one. Leaving out the
months after another programme began (censoring) avoids that but costs most of the sample when
programmes overlap widely. Here every overlapping programme's effect is estimated instead — its
own staggered difference-in-differences on the same outcome panel, as an effect per period
since its training began (event time) — and subtracted from its trained people's outcomes.
The programmes are estimated in turn, each on outcomes cleared of the others' current effects
(backfitting), for a few rounds, so a programme's estimate is not contaminated by this one's
either. The analysed programme's estimate then comes from the cleared panel.

The subtracted effects are estimates, and their uncertainty is carried into the final
estimate's interval: `ConcurrentAdjustment.removal_influence` gives each unit's influence of
the removed profiles on the estimate (`impact.concurrent_influence`), which
`impact.did.staggered_did` adds to the estimate's own influence function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from learnledger.impact.concurrent_influence import profile_operator, removal_influence
from learnledger.impact.did import ComparisonGroup, TrendAdjustment, event_time_effects
from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.panels import first_treated_periods

#: Another programme is adjusted for only when at least this many of the panel's units took it.
MIN_TRAINED = 30
#: Another programme started in the same period by at least this share of this programme's
#: trained people cannot be told apart from it (its effect would be an arbitrary split).
INSEPARABLE_SHARE = 0.9
#: Backfitting rounds (two suffice when programmes overlap partially; see the module note).
ROUNDS = 2


@dataclass(frozen=True)
class ConcurrentAdjustment:
    """The cleared panel and what was removed: per programme, its effect by event time."""

    panel: Panel
    profiles: dict[str, dict[int, float]]
    skipped: dict[str, str]
    #: What the influence of the removed profiles needs: the panel's original outcomes, each
    #: eligible programme's first treated periods (in backfitting order) and the settings.
    original: np.ndarray | None = None
    eligible: dict[str, np.ndarray] = field(default_factory=dict)
    own_profile: dict[int, float] = field(default_factory=dict)
    comparison: ComparisonGroup = "not_yet"
    trend: TrendAdjustment = "none"

    def removal_influence(self, min_horizon: int) -> np.ndarray | None:
        """Per unit of the panel: the influence on this programme's average effect from
        `min_horizon` periods on (as `impact.did.staggered_did` estimates it on `panel`) of
        the removed profiles' estimation errors, to add to the estimate's own influence
        function; None when nothing was removed."""
        if not self.profiles or self.original is None:
            return None
        operator = profile_operator(
            self.original, self.panel.first_treated, comparison=self.comparison, trend=self.trend
        )
        others = {
            name: profile_operator(
                self.original, starts, comparison=self.comparison, trend=self.trend
            )
            for name, starts in self.eligible.items()
        }
        everything = _subtract(self.panel.outcomes, self.panel.first_treated, self.own_profile)
        return removal_influence(
            self.original,
            everything,
            operator,
            others,
            list(self.eligible),
            ROUNDS,
            min_horizon,
        )

    def notes(self) -> list[str]:
        """Plain-language notes for the report."""
        lines = []
        if self.profiles:
            names = ", ".join(sorted(self.profiles))
            lines.append(
                f"Estimated jointly with {names}: their effects on this outcome were estimated "
                "and removed from their trained people's values first; the uncertainty of "
                "those estimates is part of the difference-in-differences interval."
            )
        for programme, reason in sorted(self.skipped.items()):
            lines.append(f"Not adjusted for {programme}: {reason}")
        return lines


def first_treated_on_panel(panel: Panel, starts: Mapping[str, date]) -> np.ndarray:
    """Each panel unit's first treated period index under `starts` (first trained months) —
    the panel builder's rule (`impact.panels.first_treated_periods`); the panel's periods are
    first days of months."""
    months = np.array([p.year * 12 + p.month - 1 for p in panel.periods])  # type: ignore[attr-defined]
    units = tuple(str(unit) for unit in panel.unit_ids)
    return first_treated_periods(units, months, starts)[0]


def adjust_for_concurrent(
    panel: Panel,
    others: Mapping[str, np.ndarray],
    *,
    comparison: ComparisonGroup = "not_yet",
    trend: TrendAdjustment = "none",
) -> ConcurrentAdjustment:
    """`panel` (the analysed programme's) with the effects of the `others` (programme -> first
    treated period per unit, as `Panel.first_treated`) estimated jointly and removed."""
    eligible: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    own_trained = panel.first_treated != NEVER_TREATED
    for programme, starts in others.items():
        trained = int((starts != NEVER_TREATED).sum())
        if trained < MIN_TRAINED:
            if trained:
                skipped[programme] = f"only {trained} of its trained people are on this panel."
            continue
        together = own_trained & (starts == panel.first_treated)
        if own_trained.any() and together.sum() >= INSEPARABLE_SHARE * own_trained.sum():
            skipped[programme] = (
                f"{together.sum() / own_trained.sum():.0%} of this programme's trained people "
                "began it in the same month, so the two effects cannot be told apart."
            )
            continue
        eligible[programme] = starts
    if not eligible:
        return ConcurrentAdjustment(panel, {}, skipped)
    own = panel.first_treated
    profiles: dict[str, dict[int, float]] = {name: {} for name in eligible}
    own_profile: dict[int, float] = {}
    for _ in range(ROUNDS):
        for programme, starts in eligible.items():
            removed = _subtract(panel.outcomes, own, own_profile)
            for other, other_starts in eligible.items():
                if other != programme:
                    removed = _subtract(removed, other_starts, profiles[other])
            profiles[programme] = event_time_effects(
                replace(panel, outcomes=removed, first_treated=starts),
                comparison=comparison,
                trend=trend,
            )
        cleared = panel.outcomes
        for programme, starts in eligible.items():
            cleared = _subtract(cleared, starts, profiles[programme])
        own_profile = event_time_effects(
            replace(panel, outcomes=cleared), comparison=comparison, trend=trend
        )
    used = {name: profile for name, profile in profiles.items() if profile}
    for name, profile in profiles.items():
        if not profile:
            skipped[name] = "no cohort of it has a comparison group on this panel."
    cleared = panel.outcomes
    for programme, profile in used.items():
        cleared = _subtract(cleared, eligible[programme], profile)
    return ConcurrentAdjustment(
        replace(panel, outcomes=cleared),
        used,
        skipped,
        original=panel.outcomes,
        eligible=eligible,
        own_profile=own_profile,
        comparison=comparison,
        trend=trend,
    )


def _subtract(outcomes: np.ndarray, starts: np.ndarray, profile: Mapping[int, float]) -> np.ndarray:
    """`outcomes` minus `profile[event time]` in each trained unit's periods from its start
    (beyond the profile's last event time, its last value)."""
    if not profile:
        return outcomes
    last = max(profile)
    effects = np.array([profile.get(e, 0.0) for e in range(last + 1)])
    periods = np.arange(outcomes.shape[1])
    event = periods[None, :] - starts[:, None]
    trained = (starts[:, None] != NEVER_TREATED) & (event >= 0)
    shift = np.where(trained, effects[np.clip(event, 0, last)], 0.0)
    result: np.ndarray = outcomes - shift
    return result
