"""Estimating one programme's effect on one outcome from the store: every applicable isolation
method, the naive comparisons beside them, and the conservative choice."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any, Literal

import numpy as np

from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.governance.consent import ANALYTICS, excluded_people
from learnledger.impact.adjustment import ipw_att, psm_att, regression_adjustment
from learnledger.impact.concurrent import (
    ConcurrentAdjustment,
    adjust_for_concurrent,
    first_treated_on_panel,
)
from learnledger.impact.did import ComparisonGroup, TrendAdjustment, staggered_did
from learnledger.impact.estimate import EffectEstimate
from learnledger.impact.monetisation import most_conservative
from learnledger.impact.outcomes import UnitKind
from learnledger.impact.panel import NEVER_TREATED, CrossSection, Panel
from learnledger.impact.panels import (
    UNIT_THRESHOLD,
    OtherProgrammes,
    OutcomePanel,
    Scale,
    Treatment,
    on_log_scale,
    outcome_panel,
    treatment_months,
    unit_treatment_months,
)
from learnledger.impact.simple_designs import naive_difference, naive_pre_post
from learnledger.storage.engine import Engine

Method = Literal["did", "regression", "ipw", "psm"]
ALL_METHODS: tuple[Method, ...] = ("did", "regression", "ipw", "psm")

#: Fewer trained org units than this make clustered intervals unreliable (KPI outcomes).
FEW_UNITS = 10

#: Periods averaged for the baseline and final windows of the cross-sectional designs.
WINDOW = 3


@dataclass(frozen=True)
class ImpactRequest:
    """What to estimate: a programme's effect on an outcome, and how. `metric_id` names a
    performance metric, `kpi:ID` (per org unit) or `assessment:ID` (`impact.outcomes`)."""

    programme_id: str
    metric_id: str
    treatment: Treatment = "completed"
    scale: Scale = "level"
    from_month: int = 0
    settle_months: int = 0
    comparison: ComparisonGroup = "not_yet"
    methods: tuple[Method, ...] = ALL_METHODS
    trend: TrendAdjustment = "none"
    other_programmes: OtherProgrammes = "adjust"
    #: Consent decisions in force at this moment apply (default: when the run starts).
    consent_as_of: datetime | None = None
    #: Whether analytics is an opt-in purpose (no grant = excluded).
    consent_opt_in: bool = False
    #: KPI outcomes: share of an org unit's people trained for the unit to count as trained.
    unit_threshold: float = UNIT_THRESHOLD


@dataclass(frozen=True)
class ImpactReport:
    """Isolated estimates (in the metric's units), the naive ones beside them, and the choice."""

    request: ImpactRequest
    unit: str | None
    direction: int
    estimates: list[EffectEstimate]
    naive: list[EffectEstimate]
    chosen: EffectEstimate | None
    trained_people: int
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    treated_months: dict[str, date] = field(default_factory=dict)  # by the treatment definition
    consent_excluded: int = 0  # people left out for want of consent to analytics
    unit_kind: UnitKind = "person"  # what trained_people and treated_months count

    @property
    def unit_noun(self) -> str:
        """What the analysis counts: people, or org units for KPI outcomes."""
        return "org units" if self.unit_kind == "org_unit" else "people"

    def as_json(self) -> dict[str, Any]:
        """JSON-ready report."""
        return {
            "programme_id": self.request.programme_id,
            "metric_id": self.request.metric_id,
            "unit": self.unit,
            "direction": "higher_is_better" if self.direction > 0 else "lower_is_better",
            "treatment": self.request.treatment,
            "scale": self.request.scale,
            "from_month": self.request.from_month,
            "trend_adjustment": self.request.trend,
            "other_programmes": self.request.other_programmes,
            "unit_kind": self.unit_kind,
            "trained_people": self.trained_people,
            "chosen": None if self.chosen is None else self.chosen.as_json(),
            "finding": None if self.chosen is None else self.chosen.finding(self.direction),
            "estimates": [e.as_json() for e in self.estimates],
            "naive": [e.as_json() for e in self.naive],
            "skipped_methods": self.skipped,
            "consent_excluded": self.consent_excluded,
            "notes": self.notes,
        }


def run_impact(engine: Engine, request: ImpactRequest) -> ImpactReport:
    """Estimate the programme's effect with each requested method that the data supports."""
    if request.from_month < 0:
        raise ValidationError("from_month", "must be zero or positive")
    unknown = set(request.methods) - set(ALL_METHODS)
    if unknown:
        raise ValidationError("methods", f"unknown: {', '.join(sorted(unknown))}")
    as_of = request.consent_as_of or datetime.now(UTC)
    exclude = excluded_people(engine, ANALYTICS, as_of, opt_in=request.consent_opt_in)
    in_levels = outcome_panel(
        engine,
        request.programme_id,
        request.metric_id,
        treatment=request.treatment,
        settle_months=request.settle_months,
        other_programmes=request.other_programmes,
        exclude=exclude,
        unit_threshold=request.unit_threshold,
    )
    built = on_log_scale(in_levels) if request.scale == "log" else in_levels
    levels = in_levels.panel
    notes = _panel_notes(built)
    removal: np.ndarray | None = None
    if request.other_programmes == "adjust":
        adjustment = _adjust_for_other_programmes(engine, request, built, exclude)
        built = replace(built, panel=adjustment.panel)
        notes.extend(adjustment.notes())
        if "did" in request.methods:
            removal = adjustment.removal_influence(request.from_month)
    if exclude:
        noun = "person" if len(exclude) == 1 else "people"
        notes.append(f"{len(exclude)} {noun} left out: no consent to analytics.")
    if built.unit_kind == "org_unit":
        notes.append(
            f"The units are org units: each counts as trained from the month at least "
            f"{request.unit_threshold:.0%} of its people are ({built.trained_people} trained)."
        )
        if built.trained_people < FEW_UNITS:
            notes.append(
                f"Only {built.trained_people} trained org units: intervals clustered on so few "
                "units are unreliable, so read this estimate as indicative at best."
            )
    overlap = (
        concurrent_share(engine, request.programme_id, built.starts)
        if built.unit_kind == "person"
        else 0.0
    )
    if overlap >= 0.2 and request.other_programmes == "ignore":  # adjusting says so itself
        notes.append(
            f"{overlap:.0%} of the trained began another programme within three months of this "
            "one: their effects may mix (other_programmes='adjust' estimates them jointly; "
            "'censor' leaves those months out, at the cost of sample size)."
        )
    estimates: list[EffectEstimate] = []
    skipped: dict[str, str] = {}
    for method in request.methods:
        try:
            estimate = _estimate(method, built.panel, request, removal)
        except LearnLedgerError as exc:
            skipped[method] = str(exc)
            continue
        if request.scale == "log":
            estimate = _to_levels(estimate, levels, request.from_month)
        estimates.append(estimate)
    naive = _naive(levels, request.from_month)
    return ImpactReport(
        request=request,
        unit=built.unit,
        direction=built.direction,
        estimates=estimates,
        naive=naive,
        chosen=most_conservative(estimates, good_direction=built.direction),
        trained_people=built.trained_people,
        notes=notes,
        skipped=skipped,
        treated_months=built.starts,
        consent_excluded=len(exclude),
        unit_kind=built.unit_kind,
    )


def _adjust_for_other_programmes(
    engine: Engine, request: ImpactRequest, built: OutcomePanel, exclude: frozenset[str]
) -> ConcurrentAdjustment:
    """The panel with every other programme's effect estimated jointly and removed."""
    others = {}
    for (programme,) in engine.fetch_all(
        "SELECT programme_id FROM programmes WHERE programme_id <> ? ORDER BY programme_id",
        [request.programme_id],
    ):
        starts = treatment_months(engine, str(programme), request.treatment)
        starts = {p: m for p, m in starts.items() if p not in exclude}
        if built.unit_kind == "org_unit":
            starts = unit_treatment_months(engine, starts, request.unit_threshold, exclude)
        others[str(programme)] = first_treated_on_panel(built.panel, starts)
    return adjust_for_concurrent(
        built.panel, others, comparison=request.comparison, trend=request.trend
    )


def concurrent_share(engine: Engine, programme_id: str, starts: Mapping[str, date]) -> float:
    """Share of the programme's trained people (`starts`: their first trained months) who
    enrolled in another programme within three months (either side) of that month."""
    if not starts:
        return 0.0
    rows = engine.fetch_all(
        "SELECT e.person_id, e.enrolled_at FROM enrolments e "
        "JOIN courses c ON c.course_id = e.course_id "
        "WHERE c.programme_id IS NOT NULL AND c.programme_id <> ? AND e.status <> 'cancelled'",
        [programme_id],
    )
    close = {
        str(person)
        for person, moment in rows
        if str(person) in starts
        and abs(_month_index(moment) - _month_index(starts[str(person)])) <= 3
    }
    return len(close) / len(starts)


def _month_index(moment: date | datetime) -> int:
    return moment.year * 12 + moment.month


def _estimate(
    method: Method, panel: Panel, request: ImpactRequest, removal: np.ndarray | None
) -> EffectEstimate:
    """One method's estimate; `removal` is the difference-in-differences' added influence of
    other programmes' removed effects (`impact.concurrent`)."""
    if method == "did":
        return staggered_did(
            panel,
            comparison=request.comparison,
            min_horizon=request.from_month,
            trend=request.trend,
            added_influence=removal,
        )
    data = final_window_cross_section(panel, request.from_month)
    if method == "regression":
        return regression_adjustment(data)
    if method == "ipw":
        return ipw_att(data)
    return psm_att(data)


def final_window_cross_section(panel: Panel, from_month: int) -> CrossSection:
    """People observed in the first and the last `WINDOW` periods: the trained are those whose
    training started after the first window and at least `from_month` periods before the last
    one; the comparison never trained within the panel. The outcome is the last window's mean,
    the covariates the first window's mean and the pre-window trend (selection on level and
    on growth)."""
    periods = panel.outcomes.shape[1]
    if periods < 2 * WINDOW + 1 + from_month:
        raise ValidationError(
            "panel", f"needs at least {2 * WINDOW + 1 + from_month} periods for this design"
        )
    first = panel.outcomes[:, :WINDOW]
    last = panel.outcomes[:, -WINDOW:]
    with np.errstate(invalid="ignore"), _quiet():
        baseline = np.nanmean(first, axis=1)
        outcome = np.nanmean(last, axis=1)
        trend = np.nanmean(first[:, WINDOW // 2 + 1 :], axis=1) - np.nanmean(
            first[:, : WINDOW // 2 + 1], axis=1
        )
    starts = panel.first_treated
    latest_start = periods - WINDOW - from_month
    trained = (starts >= WINDOW) & (starts <= latest_start)
    untrained = starts == NEVER_TREATED
    keep = (trained | untrained) & np.isfinite(baseline) & np.isfinite(outcome)
    keep &= np.isfinite(trend)
    covariates = np.column_stack([baseline[keep], trend[keep]])
    return CrossSection(
        outcome[keep], trained[keep], covariates, ("baseline_level", "baseline_trend")
    )


def _naive(panel: Panel, from_month: int) -> list[EffectEstimate]:
    """Trained vs untrained in the last periods, and the trained before vs after."""
    results: list[EffectEstimate] = []
    with np.errstate(invalid="ignore"), _quiet():
        last = np.nanmean(panel.outcomes[:, -WINDOW:], axis=1)
    trained, untrained = panel.treated, ~panel.treated
    a, b = last[trained & np.isfinite(last)], last[untrained & np.isfinite(last)]
    if a.size >= 2 and b.size >= 2:
        results.append(naive_difference(a.tolist(), b.tolist()))
    before, after = [], []
    periods = panel.outcomes.shape[1]
    for unit in np.flatnonzero(trained):
        start = int(panel.first_treated[unit])
        pre = panel.outcomes[unit, max(0, start - WINDOW) : start]
        post = panel.outcomes[unit, start + from_month : min(periods, start + from_month + WINDOW)]
        if np.isfinite(pre).any() and np.isfinite(post).any():
            before.append(float(np.nanmean(pre)))
            after.append(float(np.nanmean(post)))
    if len(before) >= 2:
        results.append(naive_pre_post(before, after))
    return results


def _to_levels(estimate: EffectEstimate, levels: Panel, from_month: int) -> EffectEstimate:
    """A log-scale estimate in the metric's units at the trained people's observed level after
    training: observed - observed / exp(effect); the interval maps through the same curve."""
    observed = _trained_level_after(levels, from_month)
    if not math.isfinite(observed):
        return estimate

    def units(value: float) -> float:
        return observed - observed / math.exp(value)

    low, high = sorted((units(estimate.interval.low), units(estimate.interval.high)))
    return replace(
        estimate,
        effect=units(estimate.effect),
        standard_error=estimate.standard_error * abs(observed) * math.exp(-estimate.effect),
        interval=replace(estimate.interval, low=low, high=high),
        relative_effect=math.exp(estimate.effect) - 1.0,
        diagnostics={**estimate.diagnostics, "scale": "log", "log_effect": estimate.effect},
    )


def _trained_level_after(panel: Panel, from_month: int) -> float:
    periods = np.arange(panel.outcomes.shape[1])
    starts = panel.first_treated
    after = (starts[:, None] != NEVER_TREATED) & (periods[None, :] >= starts[:, None] + from_month)
    values = panel.outcomes[after]
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else math.nan


def _panel_notes(built: OutcomePanel) -> list[str]:
    notes = []
    if built.trained_before_window:
        noun = "org units" if built.unit_kind == "org_unit" else "people"
        notes.append(
            f"{built.trained_before_window} {noun} were trained before the first measured "
            "month and cannot be compared with their own past."
        )
    if built.censored_values:
        notes.append(
            f"{built.censored_values} person-months after the start of another programme were "
            "left out, so its effect is not attributed to this one."
        )
    if built.excluded_nonpositive:
        notes.append(
            f"{built.excluded_nonpositive} zero or negative values were left out of the "
            "log-scale analysis."
        )
    return notes


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence numpy's 'mean of empty slice' warnings for all-missing rows (NaN is intended)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        yield
