"""The executive overview: headline cards with their change against the previous period, ROI by
programme with intervals, leading and lagging indicators side by side, and the portfolio.

Two parts with different costs:

- `programme_rois(engine)` runs the ROI engine once per programme that has a money value for
  its business outcome (about 0.3 s each): callers cache the result by `data_version(engine)`
  (the web app keeps it in ``app.state``), so the first request after new data is slow;
- `executive_overview(engine, rois, request, ...)` assembles the page for one period from the
  metric catalogue and those ROI results (fast: a few metric queries).

Which ROI is computed: the performance metric of a programme's business objective, else of its
behaviour objective (``programme_objectives.level``; the same rule as the programme page's
`choose_outcome`), is its outcome; it is converted to money when a business KPI values it —
the KPI with the same id (e.g. ``safety_incidents``), else, for an
outcome measured in money, the one money KPI going the same direction (``sales_per_rep`` in
EUR, higher is better -> ``revenue``). Every other programme is listed as not monetised, with
the reason. Settings: effect from month `FROM_MONTH` after training, the first `SETTLE_MONTHS`
of tenure left out (as `learnledger roi` is run in docs/impact.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from learnledger.errors import LearnLedgerError, NotFoundError, ValidationError
from learnledger.impact.portfolio import Decision, RoiEvidence, decide
from learnledger.impact.roi_service import RoiReport, kpi_conversion, programme_roi, roi_evidence
from learnledger.impact.service import ImpactRequest
from learnledger.metrics.catalogue import Catalogue
from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.periods import GRAINS, Period, period_of, previous_period
from learnledger.metrics.results import MetricResult
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric, run_metrics
from learnledger.storage.engine import Engine

FROM_MONTH = 3
SETTLE_MONTHS = 6
#: Indicators shown side by side: (metric id, timing column).
LEADING = ("completion_rate", "proficiency_gain", "behaviour_change", "active_learners")
LAGGING = ("performance_change", "cost", "cost_per_learner")
DEFAULT_PERIOD = "quarter"
#: Metrics the headline cards read (besides the ROI results).
CARD_METRICS = ("proficiency_gain", "completion_rate", "behaviour_change")


@dataclass(frozen=True)
class RoiTarget:
    """The outcome and KPI a programme's ROI is computed with (or why there is none)."""

    programme_id: str
    name: str
    metric_id: str | None
    kpi_id: str | None
    missing: str = ""


@dataclass(frozen=True)
class ProgrammeRoi:
    """One programme's ROI run (or the reason it has none)."""

    target: RoiTarget
    report: RoiReport | None
    error: str = ""


@dataclass(frozen=True)
class ExecutiveRequest:
    """The period the overview covers: the `period` grain holding `end` (default: the latest
    date with data), compared with the period before it; with `programme`, the report of that
    one programme (its ROI row, money cards and indicators) instead of the whole portfolio."""

    period: str = DEFAULT_PERIOD
    end: dt.date | None = None
    programme: str | None = None


@dataclass
class ExecutiveOverview:
    """Everything the executive page and its one-page report show."""

    period: dict[str, str]
    previous_period: dict[str, str]
    programme: dict[str, str] | None
    programmes: list[dict[str, str]]
    currency: str
    cards: list[dict[str, Any]]
    roi_rows: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    portfolio: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (for JSON and templates)."""
        return asdict(self)


def roi_targets(engine: Engine) -> list[RoiTarget]:
    """Each programme with the outcome and KPI its ROI uses (rules in the module docstring)."""
    programmes = engine.fetch_all("SELECT programme_id, name FROM programmes ORDER BY name")
    metrics = {
        str(m): (u, d)
        for m, u, d in engine.fetch_all(
            "SELECT metric_id, unit, direction FROM performance_metrics"
        )
    }
    objectives = engine.fetch_all(
        "SELECT programme_id, level, metric_id FROM programme_objectives "
        "WHERE level IN ('business', 'behaviour') ORDER BY programme_id, objective_id"
    )
    business: dict[str, str] = {}
    for level in ("business", "behaviour"):  # the business objective first, as on the
        for programme_id, objective_level, metric_id in objectives:  # programme page
            if objective_level == level and str(metric_id) in metrics:
                business.setdefault(str(programme_id), str(metric_id))
    kpis = engine.fetch_all(
        "SELECT kpi_id, unit, direction, currency FROM business_kpis "
        "WHERE monetary_value_per_unit IS NOT NULL"
    )
    targets = []
    for programme_id, name in programmes:
        pid = str(programme_id)
        metric = business.get(pid)
        if metric is None:
            missing = "no business or behaviour objective names a performance metric"
            targets.append(RoiTarget(pid, str(name), None, None, missing))
            continue
        unit, direction = metrics[metric]
        same_id = [str(k) for k, *_ in kpis if str(k) == metric]
        money = [
            str(k) for k, u, d, currency in kpis if u and u == unit == currency and d == direction
        ]
        kpi = same_id[0] if same_id else (money[0] if len(money) == 1 else None)
        missing = "" if kpi else f"no business KPI values one {unit or 'unit'} of {metric}"
        targets.append(RoiTarget(pid, str(name), metric, kpi, missing))
    return targets


def programme_rois(engine: Engine, *, consent_opt_in: bool = False) -> list[ProgrammeRoi]:
    """Run the ROI engine for every programme with a money value (slow: cache the result by
    `data_version`). Errors are kept per programme (e.g. no costs recorded yet)."""
    out = []
    for target in roi_targets(engine):
        if target.kpi_id is None or target.metric_id is None:
            out.append(ProgrammeRoi(target, None, target.missing))
            continue
        request = ImpactRequest(
            target.programme_id,
            target.metric_id,
            from_month=FROM_MONTH,
            settle_months=SETTLE_MONTHS,
            consent_opt_in=consent_opt_in,
        )
        try:
            conversion = kpi_conversion(engine, target.kpi_id, target.metric_id)
            report = programme_roi(engine, request, conversion)
        except LearnLedgerError as exc:
            out.append(ProgrammeRoi(target, None, str(exc)))
            continue
        out.append(ProgrammeRoi(target, report))
    return out


def reporting_periods(
    engine: Engine, request: ExecutiveRequest, fiscal_start: int = 1
) -> tuple[Period, Period]:
    """The period the overview covers and the one before it."""
    if request.period not in GRAINS:
        raise ValidationError(
            "period", f"unknown period {request.period!r}; known: {', '.join(GRAINS)}"
        )
    end = request.end or _latest_date(engine)
    current = period_of(end, request.period, fiscal_start)
    return current, previous_period(current, request.period, fiscal_start)


def executive_overview(
    engine: Engine,
    catalogue: Catalogue,
    rois: Sequence[ProgrammeRoi],
    request: ExecutiveRequest,
    context: RunContext,
    *,
    visible: Callable[[str], bool] = lambda programme_id: True,
) -> ExecutiveOverview:
    """The overview for `request`'s period. `visible(programme_id)` narrows the ROI rows (and
    the money cards built from them) to the programmes the viewer may see. Indicators missing
    or zero in both periods are left out (the page then says which data to import)."""
    current, previous = reporting_periods(engine, request, context.fiscal_year_start_month)
    filters: dict[str, str] = {}
    programme = None
    if request.programme is not None:
        known = engine.fetch_one(
            "SELECT name FROM programmes WHERE programme_id = ?", [request.programme]
        )
        if known is None:
            raise NotFoundError(f"programme {request.programme!r} does not exist")
        filters["programme"] = request.programme
        programme = {"programme_id": request.programme, "name": str(known[0])}
    shown = [
        r
        for r in rois
        if visible(r.target.programme_id) and request.programme in (None, r.target.programme_id)
    ]
    metric = _MetricReader(engine, catalogue, context, filters)
    metric.prefetch([*CARD_METRICS, *LEADING, *LAGGING], [current, previous])
    cards = _cards(metric, shown, current, previous, context)
    rows = [_roi_row(r, context) for r in shown]
    indicators = [
        *(_indicator(metric, m, "leading", current, previous) for m in LEADING),
        *(_indicator(metric, m, "lagging", current, previous) for m in LAGGING),
    ]
    notes = [
        "Behaviour change and performance change are naive before/after comparisons of the "
        "people trained; ROI and business impact use the isolated effect (impact engine).",
        f"ROI uses the effect from month {FROM_MONTH} after training, the first year's "
        "benefit and fully loaded costs; it covers all data to date, not only this period.",
    ]
    return ExecutiveOverview(
        period=_period_json(current),
        previous_period=_period_json(previous),
        programme=programme,
        programmes=[
            {"programme_id": r.target.programme_id, "name": r.target.name}
            for r in rois
            if visible(r.target.programme_id)
        ],
        currency=context.currency,
        cards=cards,
        roi_rows=rows,
        indicators=[i for i in indicators if i is not None and (i["value"] or i["previous"])],
        portfolio=_portfolio(rows),
        notes=notes,
    )


# -- headline cards -------------------------------------------------------------------------


def _cards(
    metric: _MetricReader,
    rois: Sequence[ProgrammeRoi],
    current: Period,
    previous: Period,
    context: RunContext,
) -> list[dict[str, Any]]:
    gain_now, gain_before = (
        metric.total("proficiency_gain", current),
        metric.total("proficiency_gain", previous),
    )
    completion = metric.total("completion_rate", current)
    behaviour_now = metric.weighted("behaviour_change", current)
    behaviour_before = metric.weighted("behaviour_change", previous)
    monetised = [r for r in rois if r.report is not None and not _suppressed(r, context)]
    benefit_now = _period_benefit(monetised, current)
    benefit_before = _period_benefit(monetised, previous)
    costs = sum(r.report.costs.total for r in monetised if r.report is not None)
    payback_now = _payback(costs, benefit_now[0], current)
    payback_before = _payback(costs, benefit_before[0], previous)
    return [
        _card(
            "proficiency",
            "Completion → proficiency",
            gain_now,
            gain_before,
            "points",
            detail=None
            if completion is None
            else f"{completion:,.1f} % of enrolments completed; mean pre→post gain",
            method="proficiency_gain (post-test minus pre-test), metric catalogue",
        ),
        _card(
            "behaviour",
            "Behaviour change",
            behaviour_now,
            behaviour_before,
            "%",
            detail="mean over behaviour measures, weighted by people",
            method="behaviour_change, naive before/after (not isolated)",
        ),
        _card(
            "business_impact",
            "Business impact",
            benefit_now[0] if monetised else None,
            benefit_before[0] if monetised else None,
            context.currency,
            interval=(benefit_now[1], benefit_now[2]) if monetised else None,
            detail=f"benefit realised in the period, {len(monetised)} monetised programme(s)",
            method="isolated effect (lowest credible estimate) x people at full effect x "
            "value per unit; interval from the effect's 95 % interval",
        ),
        _card(
            "payback",
            "Payback",
            payback_now,
            payback_before,
            "months",
            detail="fully loaded costs / monthly benefit at this period's rate",
            method="Phillips payback = costs / (benefit per month)",
            lower_is_better=True,
        ),
    ]


def _card(
    key: str,
    label: str,
    value: float | None,
    previous: float | None,
    unit: str,
    *,
    detail: str | None = None,
    method: str = "",
    interval: tuple[float, float] | None = None,
    lower_is_better: bool = False,
) -> dict[str, Any]:
    change = None if value is None or previous is None else round(value - previous, 4)
    better = None
    if change is not None and change != 0:
        better = (change < 0) if lower_is_better else (change > 0)
    return {
        "key": key,
        "label": label,
        "value": None if value is None else round(value, 4),
        "previous": None if previous is None else round(previous, 4),
        "change": change,
        "better": better,
        "unit": unit,
        "interval": None if interval is None else [round(interval[0], 2), round(interval[1], 2)],
        "detail": detail or "",
        "method": method,
    }


def _period_benefit(rois: Sequence[ProgrammeRoi], period: Period) -> tuple[float, float, float]:
    """Attributable benefit realised in `period` (point, low, high) over `rois`: each month,
    trained people at full effect (first trained month + FROM_MONTH on, scaled by the share
    still employed) x the effect in the good direction x the value per unit."""
    total = low = high = 0.0
    for roi in rois:
        report = roi.report
        if report is None:
            continue
        chosen = report.impact.chosen
        direction = report.impact.direction
        starts = report.impact.treated_months
        if chosen is None or not starts:
            continue
        retained = report.people / len(starts)
        value = report.conversion.value_per_unit
        from_month = report.impact.request.from_month
        bounds = sorted((chosen.interval.low * direction, chosen.interval.high * direction))
        gains = (max(0.0, report.effect * direction), max(0.0, bounds[0]), max(0.0, bounds[1]))
        person_months = sum(
            sum(1 for s in starts.values() if _add_months(s, from_month) <= month)
            for month in _months(period)
        )
        scale = person_months * retained * value
        total += gains[0] * scale
        low += gains[1] * scale
        high += gains[2] * scale
    return total, low, high


def _payback(costs: float, benefit: float, period: Period) -> float | None:
    months = len(_months(period))
    if costs <= 0 or benefit <= 0 or months == 0:
        return None
    return costs / (benefit / months)


# -- ROI rows -------------------------------------------------------------------------------


def _suppressed(roi: ProgrammeRoi, context: RunContext) -> bool:
    return roi.report is not None and roi.report.impact.trained_people < context.min_group_size


def _roi_row(roi: ProgrammeRoi, context: RunContext) -> dict[str, Any]:
    target = roi.target
    row: dict[str, Any] = {
        "programme_id": target.programme_id,
        "programme": target.name,
        "outcome": target.metric_id or "",
        "kpi": target.kpi_id or "",
        "method": "",
        "trained": None,
        "roi_pct": None,
        "roi_low": None,
        "roi_high": None,
        "hurdle_pct": None,
        "p_above_hurdle": None,
        "benefits": None,
        "costs": None,
        "payback_months": None,
        "evidence": "weak",
        "decision": "improve",
        "reason": roi.error or target.missing,
    }
    report = roi.report
    if report is None:
        call = decide(RoiEvidence(None, None, None, None, 0.0, None, False, 0))
        row.update(reason=f"{call.reason} ({roi.error or target.missing})")
        return row
    if _suppressed(roi, context):
        row.update(reason=f"fewer than {context.min_group_size} trained people: figures suppressed")
        return row
    chosen = report.impact.chosen
    distribution = report.distribution
    call = decide(roi_evidence(report))
    row.update(
        method="" if chosen is None else chosen.info.label,
        trained=report.impact.trained_people,
        roi_pct=round(report.figures.roi_percent, 1),
        roi_low=None if distribution is None else round(distribution.low, 1),
        roi_high=None if distribution is None else round(distribution.high, 1),
        hurdle_pct=report.hurdle_percent,
        p_above_hurdle=None
        if distribution is None
        else round(distribution.probability_above_hurdle, 3),
        benefits=round(report.figures.benefits, 2),
        costs=round(report.figures.costs, 2),
        payback_months=None
        if report.figures.payback_months is None
        else round(report.figures.payback_months, 1),
        evidence=call.evidence.value,
        decision=call.decision.value,
        reason=call.reason,
    )
    return row


def _portfolio(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many programmes each decision covers (invest, improve, retire)."""
    counts = {decision.value: 0 for decision in Decision}
    for row in rows:
        counts[row["decision"]] += 1
    return counts


# -- indicators -----------------------------------------------------------------------------


class _MetricReader:
    """Org-wide totals of catalogue metrics for one period (split metrics: weighted mean)."""

    def __init__(
        self,
        engine: Engine,
        catalogue: Catalogue,
        context: RunContext,
        filters: dict[str, str],
    ) -> None:
        self.engine, self.catalogue, self.context = engine, catalogue, context
        self.filters = filters
        self._cells: dict[tuple[str, Period], list[tuple[float, int]]] = {}

    def _request(self, definition: MetricDefinition, period: Period) -> MetricRequest:
        filters = {k: v for k, v in self.filters.items() if k in definition.segments}
        return MetricRequest(start=period.start, end=period.last_day, filters=filters)

    @staticmethod
    def _totals(result: MetricResult) -> list[tuple[float, int]]:
        return [
            (float(c.value), int(c.people or 0))
            for c in result.cells
            if c.is_total and not c.suppressed and c.value is not None
        ]

    def prefetch(self, metric_ids: Sequence[str], periods: Sequence[Period]) -> None:
        """Run `metric_ids` over `periods` as one batch (`run_metrics`: consent, summaries and
        the rest read once). On any error nothing is kept: each is then run, or fails, on its
        own when read."""
        wanted = [
            (m, p) for m in dict.fromkeys(metric_ids) for p in periods if (m, p) not in self._cells
        ]
        try:
            runs = [(self.catalogue.get(m), p) for m, p in wanted]
            results = run_metrics(
                self.engine, [(d, self._request(d, p)) for d, p in runs], self.context
            )
        except LearnLedgerError:
            return
        for key, result in zip(wanted, results, strict=True):
            self._cells[key] = self._totals(result)

    def cells(self, metric_id: str, period: Period) -> list[tuple[float, int]]:
        key = (metric_id, period)
        if key not in self._cells:
            definition = self.catalogue.get(metric_id)
            request = self._request(definition, period)
            result = run_metric(self.engine, definition, request, self.context)
            self._cells[key] = self._totals(result)
        return self._cells[key]

    def total(self, metric_id: str, period: Period) -> float | None:
        cells = self.cells(metric_id, period)
        return cells[0][0] if len(cells) == 1 else self.weighted(metric_id, period)

    def weighted(self, metric_id: str, period: Period) -> float | None:
        cells = [(v, n) for v, n in self.cells(metric_id, period) if n > 0]
        people = sum(n for _, n in cells)
        return None if not people else sum(v * n for v, n in cells) / people


def _indicator(
    metric: _MetricReader, metric_id: str, timing: str, current: Period, previous: Period
) -> dict[str, Any] | None:
    try:
        definition = metric.catalogue.get(metric_id)
        now, before = metric.total(metric_id, current), metric.total(metric_id, previous)
    except LearnLedgerError:
        return None
    unit = metric.context.currency if definition.unit == "currency" else definition.unit
    return {
        "timing": timing,
        "metric_id": metric_id,
        "indicator": definition.name,
        "level": definition.level,
        "unit": unit,
        "value": None if now is None else round(now, 2),
        "previous": None if before is None else round(before, 2),
        "change": None if now is None or before is None else round(now - before, 2),
        "naive": metric_id in ("behaviour_change", "performance_change"),
    }


# -- dates ----------------------------------------------------------------------------------


def _latest_date(engine: Engine) -> dt.date:
    """The latest date the overview has data for (performance, enrolments), else today."""
    candidates: list[dt.date] = []
    for sql in (
        "SELECT MAX(period_start) FROM performance_observations",
        "SELECT MAX(enrolled_at) FROM enrolments",
        "SELECT MAX(completed_at) FROM enrolments",
    ):
        row = engine.fetch_one(sql)
        if row and row[0] is not None:
            value = row[0]
            candidates.append(value.date() if isinstance(value, dt.datetime) else value)
    return max(candidates) if candidates else dt.datetime.now(dt.UTC).date()


def _period_json(period: Period) -> dict[str, str]:
    return {
        "label": period.label,
        "start": period.start.isoformat(),
        "end": period.last_day.isoformat(),
    }


def _months(period: Period) -> list[dt.date]:
    month = period.start.replace(day=1)
    out = []
    while month < period.end:
        out.append(month)
        month = _add_months(month, 1)
    return out


def _add_months(day: dt.date, count: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)
