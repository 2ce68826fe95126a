"""The uncertainty of removed effects, carried into the final estimate's interval.

Joint estimation of concurrent programmes (`impact.concurrent`) removes each other
programme's estimated effect profile (an effect per event time) before this programme's
effect is isolated. Those profiles are estimates: their errors move the final estimate too.

Every step of the procedure is linear in the outcomes once the panel's pattern of missing
values and the treatment timings are fixed: an event-time profile is a weighted sum of
outcome changes (cohort against not-yet-trained people, optionally after each unit's own
pre-training trend), and removing a profile subtracts it from trained people's values. So
the first-order error of the final estimate is exact to compute:

- each programme's profile estimator E_k has a per-unit influence function (cell residuals,
  as in `impact.did` with its small-sample scaling, plus the estimation of the cohort
  shares), evaluated on the panel
  cleared of every programme's estimated effect, where the residuals are the noise;
- removing programme j's profile shifts programme k's estimate by M_kj times that profile,
  where M_kj = E_k applied to j's trained-cell indicators (one column per event time);
- the backfitting rounds are replayed on the influence functions with these matrices, so the
  result is the influence of exactly the procedure that produced the estimate;
- the final estimate moves by -g_j . (profile_j error), g_j being its sensitivity to
  programme j's profile; that influence is added to the estimate's own (person by person,
  so the covariance between the two counts), which keeps the interval clustered by unit.

The cost is a few passes over the panel per pair of programmes (no resampling).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from learnledger.impact.did import (
    ComparisonGroup,
    TrendAdjustment,
    small_sample_scale,
    unit_slope_weights,
)
from learnledger.impact.panel import NEVER_TREATED


@dataclass(frozen=True)
class _Cohort:
    """One cohort's cells of an event-time profile estimator."""

    cohort: int
    base: int
    share: float
    coefficients: np.ndarray  # units x periods: treated / n_treated - control / n_control
    treated: np.ndarray  # units x periods, bool (cells only)
    control: np.ndarray  # units x periods, bool (cells only)
    cells: np.ndarray  # periods, bool: a cell with treated and control units
    slope_weights: np.ndarray | None  # units x periods (unit_linear trend), else None


@dataclass(frozen=True)
class ProfileOperator:
    """An event-time profile estimator (`impact.did.event_time_effects`) as a linear map of a
    panel with a fixed pattern of missing values."""

    starts: np.ndarray
    keys: np.ndarray  # event times with an estimate, ascending
    weights: np.ndarray  # per key: the sum of the cohort shares averaged there
    observed: np.ndarray  # units x periods: the panel's pattern of values
    comparison: ComparisonGroup
    trend: TrendAdjustment

    @property
    def units(self) -> int:
        """Units on the panel."""
        return int(self.observed.shape[0])

    @property
    def periods(self) -> int:
        """Periods on the panel."""
        return int(self.observed.shape[1])

    @property
    def cohorts(self) -> Iterator[_Cohort]:
        """The cohorts' cells, formed again on each use (one cohort's arrays at a time, so
        memory stays at a few units x periods arrays on large panels)."""
        return _cohorts(self.observed, self.starts, self.comparison, self.trend)

    def position(self) -> np.ndarray:
        """Index of each event time 0..periods-1 among `keys` (-1 where none)."""
        result = np.full(self.periods + 1, -1, dtype=np.int64)
        result[self.keys] = np.arange(self.keys.size)
        return result

    def basis_index(self) -> np.ndarray:
        """Units x periods: which profile entry `impact.concurrent._subtract` removes from each
        value (-1: none); beyond the last event time the last entry applies."""
        index = np.full((self.units, self.periods), -1, dtype=np.int64)
        if self.keys.size == 0:
            return index
        last = int(self.keys[-1])
        event = np.arange(self.periods)[None, :] - self.starts[:, None]
        trained = (self.starts[:, None] != NEVER_TREATED) & (event >= 0)
        position = self.position()
        looked_up = position[np.clip(event, 0, last)]
        index[trained] = looked_up[trained]
        return index

    def apply(self, outcomes: np.ndarray) -> np.ndarray:
        """The profile (one value per key) estimated from `outcomes`."""
        values = np.zeros(self.keys.size)
        position = self.position()
        filled = np.nan_to_num(outcomes)
        for cohort in self.cohorts:
            change = _changes(filled, cohort)
            effects = (cohort.coefficients * change).sum(axis=0)
            for t in np.flatnonzero(cohort.cells):
                values[position[t - cohort.cohort]] += cohort.share * effects[t]
        result: np.ndarray = values / self.weights
        return result

    def influence(self, cleared: np.ndarray) -> np.ndarray:
        """Units x keys: each unit's influence on the profile (estimate - truth ~ the column
        mean), from the cell residuals of `cleared` (outcomes with every estimated programme
        effect removed) and the estimation of the cohort shares."""
        position = self.position()
        filled = np.nan_to_num(cleared)
        result = np.zeros((self.units, self.keys.size))
        cell_effects: list[tuple[int, float, int, float]] = []
        for cohort in self.cohorts:
            change = _changes(filled, cohort)
            n_treated = np.maximum(cohort.treated.sum(axis=0), 1)
            n_control = np.maximum(cohort.control.sum(axis=0), 1)
            mean_treated = (change * cohort.treated).sum(axis=0) / n_treated
            mean_control = (change * cohort.control).sum(axis=0) / n_control
            residual = self.units * (
                cohort.treated
                * (change - mean_treated)
                * (small_sample_scale(n_treated) / n_treated)
                - cohort.control
                * (change - mean_control)
                * (small_sample_scale(n_control) / n_control)
            )
            for t in np.flatnonzero(cohort.cells):
                key = position[t - cohort.cohort]
                result[:, key] += cohort.share * residual[:, t]
                effect = float(mean_treated[t] - mean_control[t])
                cell_effects.append((cohort.cohort, cohort.share, int(key), effect))
        profile = np.zeros(self.keys.size)
        for _, share, key, effect in cell_effects:
            profile[key] += share * effect
        profile /= self.weights
        for first, share, key, effect in cell_effects:
            member = (self.starts == first).astype(np.float64)
            result[:, key] += (effect - profile[key]) * (member - share)
        result /= self.weights[None, :]
        return result

    def response(self, basis: np.ndarray, size: int) -> np.ndarray:
        """keys x size: the profile estimated from the panels that are 1 where `basis` (units x
        periods, -1 for none) equals each entry and 0 elsewhere — this estimator's change when
        another programme's profile entry moves by one."""
        result = np.zeros((self.keys.size, size))
        if size == 0 or self.keys.size == 0:
            return result
        position = self.position()
        rows = np.arange(self.units)
        present = basis >= 0
        for cohort in self.cohorts:
            cells = np.flatnonzero(cohort.cells)
            coefficients = cohort.coefficients[:, cells]
            # value in the cell's own period
            in_period = present[:, cells] & (coefficients != 0)
            period_of = np.broadcast_to(np.arange(cells.size), in_period.shape)
            own = np.bincount(
                period_of[in_period] * size + basis[:, cells][in_period],
                weights=coefficients[in_period],
                minlength=cells.size * size,
            ).reshape(cells.size, size)
            # value in the base period
            at_base = np.zeros((self.units, size))
            base_present = present[:, cohort.base]
            at_base[rows[base_present], basis[base_present, cohort.base]] = 1.0
            change = own - coefficients.T @ at_base
            if cohort.slope_weights is not None:
                fitted = np.zeros((self.units, size))
                weighted = present & (cohort.slope_weights != 0)
                np.add.at(
                    fitted,
                    (np.nonzero(weighted)[0], basis[weighted]),
                    cohort.slope_weights[weighted],
                )
                distance = (cells - cohort.base).astype(np.float64)
                change -= distance[:, None] * (coefficients.T @ fitted)
            keys = position[cells - cohort.cohort]
            np.add.at(result, keys, cohort.share * change)
        result /= self.weights[:, None]
        return result


def profile_operator(
    outcomes: np.ndarray,
    starts: np.ndarray,
    *,
    comparison: ComparisonGroup = "not_yet",
    trend: TrendAdjustment = "none",
) -> ProfileOperator:
    """The linear form of `impact.did.event_time_effects` for `starts` on a panel with the
    missing values of `outcomes` (its keys and values agree with that function's)."""
    observed = np.isfinite(outcomes)
    sums: dict[int, float] = {}
    for cohort in _cohorts(observed, starts, comparison, trend):
        for t in np.flatnonzero(cohort.cells):
            event = int(t) - cohort.cohort
            sums[event] = sums.get(event, 0.0) + cohort.share
    keys = np.array(sorted(sums), dtype=np.int64)
    weights = np.array([sums[int(e)] for e in keys])
    return ProfileOperator(starts, keys, weights, observed, comparison, trend)


def removal_influence(
    outcomes: np.ndarray,
    cleared: np.ndarray,
    own: ProfileOperator,
    others: Mapping[str, ProfileOperator],
    order: Sequence[str],
    rounds: int,
    min_horizon: int,
) -> np.ndarray:
    """Per unit: the influence on the final estimate (the own profile averaged from
    `min_horizon` on, cohort-share weighted, as `impact.did.staggered_did`) of having removed
    the `others`' estimated profiles, replaying `rounds` backfitting rounds over `order`
    (others in turn, then this programme) as `impact.concurrent.adjust_for_concurrent` does.
    `cleared` is `outcomes` with every programme's estimated effect removed (this one's too)."""
    units = outcomes.shape[0]
    names = [name for name in order if others[name].keys.size]
    operators = {"": own, **{name: others[name] for name in names}}
    bases = {name: op.basis_index() for name, op in operators.items()}
    response = {
        (k, j): operators[k].response(bases[j], operators[j].keys.size)
        for k in operators
        for j in operators
        if k != j
    }
    own_influence = {name: op.influence(cleared) for name, op in operators.items()}
    current = {name: np.zeros((units, op.keys.size)) for name, op in operators.items()}
    for _ in range(rounds):
        for name in names:
            step = own_influence[name].copy()
            for other in operators:
                if other != name:
                    step -= current[other] @ response[(name, other)].T
            current[name] = step
        step = own_influence[""].copy()
        for name in names:
            step -= current[name] @ response[("", name)].T
        current[""] = step
    selected = own.keys >= min_horizon
    if not selected.any():
        return np.zeros(units)
    average = np.where(selected, own.weights, 0.0) / own.weights[selected].sum()
    result = np.zeros(units)
    for name in names:
        sensitivity = average @ response[("", name)]
        result -= current[name] @ sensitivity
    return result


def _cohorts(
    observed: np.ndarray,
    starts: np.ndarray,
    comparison: ComparisonGroup,
    trend: TrendAdjustment,
) -> Iterator[_Cohort]:
    """The cohorts' cells on a panel whose values are where `observed`, as
    `impact.did.event_time_effects` forms them (anticipation 0, base period the cohort's last
    untrained one, cells from the cohort's first period on)."""
    periods = observed.shape[1]
    never = starts == NEVER_TREATED
    later = never[:, None] | (starts[:, None] > np.arange(periods)[None, :])
    for g in sorted(int(g) for g in np.unique(starts) if g != NEVER_TREATED and g >= 1):
        base = g - 1
        valid = observed & observed[:, [base]]
        slope_weights = None
        if trend == "unit_linear":
            window = np.where(observed[:, : base + 1], 0.0, np.nan)
            slope_weights, has_slope = unit_slope_weights(window, periods)
            valid &= has_slope[:, None]
        in_cohort = starts == g
        treated = valid & in_cohort[:, None]
        if comparison == "never":
            control = valid & never[:, None]
        else:
            control = valid & later & ~in_cohort[:, None]
        after = np.arange(periods) >= g
        treated &= after[None, :]
        control &= after[None, :]
        n_treated = treated.sum(axis=0)
        n_control = control.sum(axis=0)
        cells = (n_treated > 0) & (n_control > 0)
        treated &= cells[None, :]
        control &= cells[None, :]
        coefficients = treated / np.maximum(n_treated, 1) - control / np.maximum(n_control, 1)
        yield _Cohort(
            g,
            base,
            float(in_cohort.mean()),
            coefficients,
            treated,
            control,
            cells,
            slope_weights,
        )


def _changes(filled: np.ndarray, cohort: _Cohort) -> np.ndarray:
    """Each unit's change from the cohort's base period (after its own trend, if any)."""
    change: np.ndarray = filled - filled[:, [cohort.base]]
    if cohort.slope_weights is not None:
        slopes = (cohort.slope_weights * filled).sum(axis=1)
        distance = np.arange(filled.shape[1]) - cohort.base
        change = change - slopes[:, None] * distance[None, :]
    return change
