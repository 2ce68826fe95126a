"""`learnledger impact` and `learnledger roi`: a programme's isolated effect and its ROI."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import orjson
import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.config import Settings
from learnledger.errors import LearnLedgerError
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import ANALYTICS
from learnledger.governance.keys import load_key_ring
from learnledger.impact.checklist import RoiChecklist, roi_checklist
from learnledger.impact.estimate import EffectEstimate
from learnledger.impact.monetisation import VALUE_BASES, MoneyConversion
from learnledger.impact.panels import UNIT_THRESHOLD
from learnledger.impact.planning import achieved_power, required_sample_size
from learnledger.impact.roi_service import RoiReport, kpi_conversion, programme_roi
from learnledger.impact.run_record import record_impact_run
from learnledger.impact.service import ALL_METHODS, ImpactReport, ImpactRequest, run_impact
from learnledger.storage import Engine, Migrator

app = typer.Typer(help="Isolate a programme's effect; plan a pilot.", no_args_is_help=True)


class ChecklistFormat(StrEnum):
    """How the ROI checklist is printed."""

    markdown = "markdown"
    html = "html"
    json = "json"


class OutputFormat(StrEnum):
    """How results are printed."""

    table = "table"
    json = "json"


class TreatmentOption(StrEnum):
    """When a person counts as trained."""

    completed = "completed"
    enrolled = "enrolled"
    started = "started"
    passed = "passed"


class ScaleOption(StrEnum):
    """Outcome scale."""

    level = "level"
    log = "log"


class TrendOption(StrEnum):
    """How selection on growth is handled."""

    none = "none"
    unit_linear = "unit_linear"


class OthersOption(StrEnum):
    """What to do with months after another programme began."""

    ignore = "ignore"
    adjust = "adjust"
    censor = "censor"


class ComparisonOption(StrEnum):
    """Who the trained are compared with."""

    not_yet = "not_yet"
    never = "never"


Program = Annotated[str, typer.Option("--program", help="Programme id, e.g. PRG-SALES.")]
Outcome = Annotated[
    str,
    typer.Option(
        "--outcome",
        help="Performance metric id, kpi:ID (per org unit) or assessment:ID (scores in %).",
    ),
]
Treatment = Annotated[TreatmentOption, typer.Option(help="When a person counts as trained.")]
Scale = Annotated[
    ScaleOption,
    typer.Option(help="level, or log for proportional effects (multiplicative trends)."),
]
FromMonth = Annotated[
    int, typer.Option(help="Average the effect from this many months after training (ramp-up).")
]
SettleMonths = Annotated[
    int, typer.Option(help="Leave out each person's first months of tenure (new-hire ramp).")
]
Comparison = Annotated[
    ComparisonOption, typer.Option(help="Comparison group of the difference-in-differences.")
]
Trend = Annotated[
    TrendOption,
    typer.Option(help="unit_linear removes each person's own pre-training trend (DiD)."),
]
Others = Annotated[
    OthersOption,
    typer.Option(
        help="adjust estimates other programmes' effects jointly and removes them; censor "
        "leaves out each person's months after another programme began."
    ),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="table or json.")]
UnitThreshold = Annotated[
    float,
    typer.Option(
        min=0.01,
        max=1.0,
        help="kpi: outcomes: share of an org unit's people trained for it to count as trained.",
    ),
]


def _request(
    settings: Settings,
    program: str,
    outcome: str,
    treatment: TreatmentOption,
    scale: ScaleOption,
    from_month: int,
    settle_months: int,
    comparison: ComparisonOption,
    trend: TrendOption,
    others: OthersOption,
    methods: list[str] | None = None,
    unit_threshold: float = UNIT_THRESHOLD,
) -> ImpactRequest:
    chosen = tuple(methods) if methods else ALL_METHODS
    unknown = [m for m in chosen if m not in ALL_METHODS]
    if unknown:
        raise fail(f"--method: unknown {', '.join(unknown)} (use {', '.join(ALL_METHODS)})")
    return ImpactRequest(
        programme_id=program,
        metric_id=outcome,
        treatment=treatment.value,
        scale=scale.value,
        from_month=from_month,
        settle_months=settle_months,
        comparison=comparison.value,
        methods=chosen,  # type: ignore[arg-type]
        trend=trend.value,
        other_programmes=others.value,
        consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        unit_threshold=unit_threshold,
    )


@app.command("run")
def run(
    ctx: typer.Context,
    program: Program,
    outcome: Outcome,
    method: Annotated[
        list[str] | None,
        typer.Option("--method", help=f"Repeatable: {', '.join(ALL_METHODS)} (default all)."),
    ] = None,
    treatment: Treatment = TreatmentOption.completed,
    scale: Scale = ScaleOption.level,
    from_month: FromMonth = 0,
    settle_months: SettleMonths = 0,
    comparison: Comparison = ComparisonOption.not_yet,
    trend: Trend = TrendOption.none,
    other_programmes: Others = OthersOption.adjust,
    unit_threshold: UnitThreshold = UNIT_THRESHOLD,
    output: Format = OutputFormat.table,
) -> None:
    """Estimate a programme's effect on an outcome (a performance metric, kpi:ID per org unit
    or assessment:ID) with every isolation method the data supports, the naive comparisons
    beside them, and the conservative choice."""
    request = _request(
        settings_from(ctx),
        program,
        outcome,
        treatment,
        scale,
        from_month,
        settle_months,
        comparison,
        trend,
        other_programmes,
        method,
        unit_threshold,
    )
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        report = run_impact(engine, request)
        _record(settings_from(ctx), engine, report, roi=False)
    if output is OutputFormat.json:
        console.print_json(orjson.dumps(report.as_json()).decode())
        return
    _print_impact(report)


@app.command("checklist")
def checklist_command(
    ctx: typer.Context,
    program: Program,
    output: Annotated[
        ChecklistFormat, typer.Option("--format", help="markdown, html or json.")
    ] = ChecklistFormat.markdown,
) -> None:
    """The ROI calculator checklist of a programme from its data alone (run `learnledger roi
    --checklist` to include the isolation and conversion steps)."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        steps = roi_checklist(engine, program)
    _print_checklist(steps, output)


def _print_checklist(steps: RoiChecklist, output: ChecklistFormat) -> None:
    if output is ChecklistFormat.json:
        console.print_json(orjson.dumps(steps.as_json()).decode())
    elif output is ChecklistFormat.html:
        typer.echo(steps.as_html())
    else:
        typer.echo(steps.as_markdown())


@app.command("plan")
def plan(
    effect: Annotated[float, typer.Option(help="Effect to detect, in the outcome's units.")],
    sd: Annotated[float, typer.Option("--sd", help="Standard deviation of the outcome.")],
    correlation: Annotated[
        float, typer.Option(help="Correlation of the outcome before and after (0 if unknown).")
    ] = 0.0,
    alpha: Annotated[float, typer.Option(help="Two-sided significance level.")] = 0.05,
    power: Annotated[float, typer.Option(help="Power wanted.")] = 0.8,
    ratio: Annotated[float, typer.Option(help="Comparison group size / pilot size.")] = 1.0,
) -> None:
    """Size a pilot: people needed in the pilot and comparison groups to detect the effect."""
    try:
        size = required_sample_size(
            effect,
            sd,
            alpha=alpha,
            power=power,
            pre_post_correlation=correlation,
            comparison_ratio=ratio,
        )
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc
    reached = achieved_power(
        size.pilot, size.comparison, effect, sd, alpha=alpha, pre_post_correlation=correlation
    )
    console.print(
        f"Pilot: {size.pilot:,} people, comparison: {size.comparison:,} "
        f"(total {size.total:,}) to detect {effect:g} with {power:.0%} power "
        f"at alpha {alpha:g}; achieved power {reached:.1%}."
    )


def roi(
    ctx: typer.Context,
    program: Program,
    outcome: Outcome,
    kpi: Annotated[
        str | None, typer.Option(help="Business KPI whose value per unit converts the effect.")
    ] = None,
    value_per_unit: Annotated[
        float | None, typer.Option(help="Money value of one unit of the outcome.")
    ] = None,
    basis: Annotated[
        str, typer.Option(help=f"How the value is known: {', '.join(VALUE_BASES)}.")
    ] = "expert_estimate",
    currency: Annotated[str, typer.Option(help="Currency of --value-per-unit.")] = "",
    hurdle: Annotated[
        float | None, typer.Option(help="ROI hurdle in % (default: the programme's objective).")
    ] = None,
    treatment: Treatment = TreatmentOption.completed,
    scale: Scale = ScaleOption.level,
    from_month: FromMonth = 0,
    settle_months: SettleMonths = 0,
    comparison: Comparison = ComparisonOption.not_yet,
    trend: Trend = TrendOption.none,
    other_programmes: Others = OthersOption.adjust,
    unit_threshold: UnitThreshold = UNIT_THRESHOLD,
    output: Format = OutputFormat.table,
    checklist: Annotated[
        ChecklistFormat | None,
        typer.Option(help="Print the ROI calculator checklist instead: markdown, html or json."),
    ] = None,
) -> None:
    """A programme's ROI, BCR, payback and time-to-value from its isolated effect on a metric,
    converted to money, against its fully loaded costs — with an interval and sensitivity."""
    if kpi is not None and value_per_unit is not None:
        raise fail("give at most one of --kpi or --value-per-unit")
    if kpi is None and value_per_unit is None:
        if not outcome.startswith("kpi:"):
            raise fail("give --kpi or --value-per-unit (a kpi: outcome brings its own value)")
        kpi = outcome.removeprefix("kpi:")
    request = _request(
        settings_from(ctx),
        program,
        outcome,
        treatment,
        scale,
        from_month,
        settle_months,
        comparison,
        trend,
        other_programmes,
        unit_threshold=unit_threshold,
    )
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        if kpi is not None:
            conversion = kpi_conversion(engine, kpi, outcome)
        else:
            assert value_per_unit is not None
            conversion = MoneyConversion(value_per_unit, basis, currency)
        report = programme_roi(engine, request, conversion, hurdle_percent=hurdle)
        _record(settings_from(ctx), engine, report.impact, roi=True)
        steps = roi_checklist(engine, program, report) if checklist is not None else None
    if steps is not None and checklist is not None:
        _print_checklist(steps, checklist)
        return
    if output is OutputFormat.json:
        console.print_json(orjson.dumps(report.as_json()).decode())
        return
    _print_roi(report)


def _record(settings: Settings, engine: Engine, report: ImpactReport, *, roi: bool) -> None:
    """Leave the run in the audit log (the maturity assessment reads it)."""
    audit = AuditLog(engine, load_key_ring(settings))
    record_impact_run(audit, cli_actor().audit_name, report, roi=roi)


#: What each `EffectEstimate.finding` means, in words.
_FINDINGS = {
    "improved": "the programme improved the outcome (the whole interval is on the good side)",
    "worsened": "the outcome got worse (the whole interval is on the bad side)",
    "no_effect_shown": "an effect is not demonstrated (the interval includes zero)",
    "failed_check": "indicative only: the estimate failed a check (see the warnings)",
}


def _print_impact(report: ImpactReport) -> None:
    unit = report.unit or ""
    table = Table(title=f"Effect of {report.request.programme_id} on {report.request.metric_id}")
    for column in ("method", "effect", "95 % interval", "trained", "comparison", "kind"):
        table.add_column(column, justify="left" if column in {"method", "kind"} else "right")
    warnings: list[str] = []
    for estimate in [*report.estimates, *report.naive]:
        table.add_row(*_row(estimate, unit, estimate is report.chosen))
        warnings.extend(f"{estimate.method}: {w}" for w in estimate.warnings)
    console.print(table)
    console.print("* = the conservative choice. Methods: see docs/impact.md.")
    for line in warnings:
        console.print(f"warning: {line}")
    for name, reason in report.skipped.items():
        console.print(f"skipped {name}: {reason}")
    for note in report.notes:
        console.print(f"note: {note}")
    if report.chosen is None:
        console.print("[bold]No method isolated the effect: no improvement can be claimed.[/]")
    else:
        console.print(
            f"[bold]Conservative estimate:[/] {report.chosen.effect:,.4g} {unit} "
            f"({report.chosen.info.label})"
        )
        console.print(f"[bold]Finding:[/] {_FINDINGS[report.chosen.finding(report.direction)]}")


def _row(estimate: EffectEstimate, unit: str, chosen: bool) -> tuple[str, ...]:
    relative = f" ({estimate.relative_effect:+.1%})" if estimate.relative_effect is not None else ""
    kind = "isolated" if estimate.isolated else "naive"
    if estimate.isolated and not estimate.credible:
        kind = "isolated, failed a check"
    return (
        ("* " if chosen else "") + estimate.method,
        f"{estimate.effect:,.4g} {unit}{relative}",
        f"{estimate.interval.low:,.4g} to {estimate.interval.high:,.4g}",
        f"{estimate.n_treated:,}",
        f"{estimate.n_control:,}",
        kind,
    )


def _print_roi(report: RoiReport) -> None:
    money = report.conversion.currency or report.costs.currency
    figures = report.figures
    table = Table(title=f"ROI of {report.impact.request.programme_id}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    payback = figures.payback_months
    per = "org unit" if report.impact.unit_kind == "org_unit" else "person"
    rows = [
        (f"effect per {per} and month", f"{report.effect:,.4g} {report.impact.unit or ''}"),
        (f"{report.impact.unit_noun} benefiting", f"{report.people:,}"),
        ("first-year benefit months", f"{report.benefit_months}"),
        ("annual benefit", f"{figures.benefits:,.0f} {money}"),
        ("fully loaded costs", f"{figures.costs:,.0f} {money}"),
        ("net benefit", f"{figures.net_benefit:,.0f} {money}"),
        ("benefit-cost ratio", f"{figures.benefit_cost_ratio:.2f}"),
        ("ROI", f"{figures.roi_percent:,.1f} %"),
        ("payback", "never" if payback is None else f"{payback:.1f} months"),
        (
            "time to value",
            "not within the data"
            if report.time_to_value_months is None
            else f"{report.time_to_value_months} months",
        ),
        (
            "break-even effect",
            "n/a" if report.break_even_effect is None else f"{report.break_even_effect:,.4g}",
        ),
    ]
    if report.distribution is not None:
        d = report.distribution
        rows.append(("ROI 95 % interval", f"{d.low:,.1f} % to {d.high:,.1f} %"))
        rows.append(
            (f"P(ROI > {report.hurdle_percent:g} % hurdle)", f"{d.probability_above_hurdle:.1%}")
        )
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)
    costs = Table(title="Fully loaded costs")
    costs.add_column("category")
    costs.add_column(money, justify="right")
    for category, amount in report.costs.by_category.items():
        costs.add_row(category, f"{amount:,.0f}")
    console.print(costs)
    tornado = Table(title="What moves ROI most")
    for column in ("assumption", "ROI at low", "ROI at high"):
        tornado.add_column(column, justify="left" if column == "assumption" else "right")
    for row in report.tornado:
        tornado.add_row(row.assumption, f"{row.roi_at_low:,.1f} %", f"{row.roi_at_high:,.1f} %")
    console.print(tornado)
    for line in [*report.costs.notes, *report.warnings]:
        console.print(f"note: {line}")
    if report.intangibles:
        console.print("Intangibles (not converted to money): " + ", ".join(report.intangibles))
