"""`learnledger metrics`: list, show, run and export the metric catalogue."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from learnledger.cli.common import console, date_option, engine_for, fail, settings_from
from learnledger.config import Settings
from learnledger.errors import LearnLedgerError
from learnledger.governance.consent import ANALYTICS
from learnledger.metrics.catalogue import (
    Catalogue,
    export_catalogue,
    formula_summary,
    load_catalogue,
)
from learnledger.metrics.definition import LEVELS
from learnledger.metrics.results import MetricResult
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric
from learnledger.storage import Migrator

app = typer.Typer(help="Metrics: the catalogue and its results.", no_args_is_help=True)

FORMATS = ("table", "csv", "json")
Definitions = Annotated[
    Path | None,
    typer.Option("--definitions", help="Directory of your own metric YAML files."),
]
Format = Annotated[str, typer.Option("--format", help="table, csv or json.")]


def _catalogue(settings: Settings, definitions: Path | None) -> Catalogue:
    folders = [Path(settings.metrics_dir)] if settings.metrics_dir else []
    if definitions is not None:
        folders.append(definitions)
    try:
        return load_catalogue(folders)
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc


def _check_format(output: str) -> None:
    if output not in FORMATS:
        raise typer.BadParameter(
            f"{output!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )


@app.command("list")
def list_metrics(
    ctx: typer.Context,
    level: Annotated[str | None, typer.Option(help="Only this level.")] = None,
    definitions: Definitions = None,
    output: Format = "table",
) -> None:
    """List the metrics of the catalogue with their level, timing and unit."""
    _check_format(output)
    if level is not None and level not in LEVELS:
        raise typer.BadParameter(
            f"{level!r} is not one of {', '.join(LEVELS)}", param_hint="--level"
        )
    catalogue = _catalogue(settings_from(ctx), definitions)
    rows = [
        {
            "id": d.id,
            "name": d.name,
            "level": d.level,
            "timing": d.timing,
            "unit": d.unit,
            "direction": d.direction,
            "computed_by": d.computed_by or "",
        }
        for d in catalogue
        if level is None or d.level == level
    ]
    _print(rows, output, "Metrics")


@app.command("show")
def show(
    ctx: typer.Context,
    metric_id: Annotated[str, typer.Argument(help="Metric id.")],
    definitions: Definitions = None,
) -> None:
    """Show one metric's definition: meaning, formula, grain and segments."""
    catalogue = _catalogue(settings_from(ctx), definitions)
    try:
        d = catalogue.get(metric_id)
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc
    table = Table(title=f"Metric {d.id}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for field, value in (
        ("name", d.name),
        ("description", d.description),
        ("level", d.level),
        ("timing", d.timing),
        ("unit", d.unit),
        ("good direction", d.direction),
        ("grain", d.grain),
        ("segments", ", ".join(d.segments)),
        ("split by", ", ".join(d.split_by)),
        ("formula", formula_summary(d)),
        ("defined in", d.source),
    ):
        table.add_row(field, value)
    console.print(table)


@app.command("run")
def run(
    ctx: typer.Context,
    metric_id: Annotated[str, typer.Argument(help="Metric id.")],
    by: Annotated[str | None, typer.Option("--by", help="Segment to break down by.")] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="day, week, month, quarter or year.")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")] = None,
    compare: Annotated[str | None, typer.Option("--compare", help="previous or baseline.")] = None,
    baseline_start: Annotated[
        str | None, typer.Option("--baseline-from", help="Baseline first day.")
    ] = None,
    baseline_end: Annotated[
        str | None, typer.Option("--baseline-to", help="Baseline last day.")
    ] = None,
    filters: Annotated[
        list[str] | None,
        typer.Option("--filter", help="SEGMENT=VALUE, e.g. programme=PRG-X (repeatable)."),
    ] = None,
    definitions: Definitions = None,
    output: Format = "table",
) -> None:
    """Compute a metric, optionally by segment and period, compared with a previous period."""
    _check_format(output)
    settings = settings_from(ctx)
    catalogue = _catalogue(settings, definitions)
    request = MetricRequest(
        by=by,
        period=period,
        start=date_option(start, "--from"),
        end=date_option(end, "--to"),
        compare=compare,
        baseline_start=date_option(baseline_start, "--baseline-from"),
        baseline_end=date_option(baseline_end, "--baseline-to"),
        filters=_filters(filters or []),
    )
    context = RunContext(
        min_group_size=settings.min_group_size,
        fiscal_year_start_month=settings.fiscal_year_start_month,
        currency=settings.currency,
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )
    try:
        definition = catalogue.get(metric_id)
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        result = run_metric(engine, definition, request, context)
    if output == "json":
        typer.echo(json.dumps(result.as_dict(), indent=2))
        return
    rows = result.rows()
    if output == "table":
        # The footer explains suppression; the dates are in the period label.
        hidden = ("reason", "period_start", "period_end")
        rows = [{k: v for k, v in row.items() if k not in hidden} for row in rows]
    _print(rows, output, f"{result.name} ({result.unit})")
    if output == "table":
        _print_footer(result)


@app.command("export")
def export(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(help="Directory to write metrics.md and metrics.csv.")],
    definitions: Definitions = None,
) -> None:
    """Write the metric definitions toolkit (Markdown and CSV) into DIR."""
    catalogue = _catalogue(settings_from(ctx), definitions)
    for path in export_catalogue(catalogue, folder):
        console.print(f"Wrote {path}")


def _print(rows: list[dict[str, Any]], output: str, title: str) -> None:
    if output == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    columns = list(rows[0]) if rows else []
    if output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue(), nl=False)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column in _NUMERIC else "left")
    for row in rows:
        table.add_row(
            *(_cell(row[c], c == "value" and bool(row.get("suppressed"))) for c in columns)
        )
    console.print(table)


_NUMERIC = {"value", "people", "previous", "delta", "delta_pct"}


def _cell(value: Any, suppressed_value: bool) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if value is None:
        return "suppressed" if suppressed_value else ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def _print_footer(result: MetricResult) -> None:
    if any(c.suppressed for c in result.cells):
        console.print(
            f"Suppressed cells describe fewer than {result.min_group_size} people or would "
            "reveal such a group from the totals."
        )
    if result.comparison:
        console.print(f"Compared with: {result.comparison}")
    for o in result.objectives:
        verdict = {True: "met", False: "not met", None: "no actual"}[o.met]
        console.print(
            f"Objective {o.objective_id} ({o.programme_id}, {o.level}): target "
            f"{o.target_value:g} {o.unit or ''}, actual "
            f"{'-' if o.actual is None else f'{o.actual:.2f}'} -> {verdict}"
        )
    for note in result.notes:
        console.print(note)


def _filters(items: list[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for item in items:
        segment, sep, value = item.partition("=")
        if not sep or not segment or not value:
            raise typer.BadParameter(f"{item!r} is not SEGMENT=VALUE", param_hint="--filter")
        result[segment.strip()] = value.strip()
    return result
