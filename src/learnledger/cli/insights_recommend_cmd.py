"""`learnledger insights recommend`: recommendations as a table, CSV or JSON, and their export
(with the learner-level ones for the LMS as CSV and xAPI statements)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, settings_from, step_progress
from learnledger.config import Settings
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.insights.recommendations import default_recommenders
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.diagnostics_source import DiagnosticsCourseSource
from learnledger.insights.recommendations.early_warning_source import EarlyWarningRiskSource
from learnledger.insights.recommendations.engine import (
    RecommendationEngine,
    RecommendationSet,
    parse_kinds,
)
from learnledger.insights.recommendations.export import csv_text, export_recommendations
from learnledger.insights.recommendations.model import ROW_COLUMNS
from learnledger.storage import Engine, Migrator

FORMATS = ("table", "csv", "json")
TABLE_COLUMNS = ("priority", "strength", "kind", "action", "title", "expected")

app = typer.Typer(
    help="Recommendations with their reason, expected effect and evidence strength.",
    invoke_without_command=True,
)

Kinds = Annotated[
    list[str] | None,
    typer.Option(
        "--for",
        help="learners, courses, channels, programmes, roles or paths (repeatable; default: all).",
    ),
]


@app.callback()
def recommend(
    ctx: typer.Context,
    kinds: Kinds = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Show the recommendations, most urgent and best supported first."""
    if ctx.invoked_subcommand is not None:
        return
    if output not in FORMATS:
        raise typer.BadParameter(
            f"{output!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        # progress only above a table: CSV and JSON output stays machine-readable
        result = _run(engine, settings, kinds, show_progress=output == "table")
    _print(result, output)


@app.command("export")
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Folder to write the export files into.")],
    kinds: Kinds = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite earlier export files.")] = False,
) -> None:
    """Write recommendations.json/.csv and, for the LMS, lms_recommendations.csv and
    lms_statements.json (xAPI); the export is audited."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        result = _run(engine, settings, kinds)
        summary = export_recommendations(
            engine,
            result,
            directory,
            audit=AuditLog(engine, load_key_ring(settings)),
            actor=cli_actor().audit_name,
            home_page=settings.lrs_base_url,
            force=force,
        )
    console.print(
        f"Wrote {summary.recommendations} recommendations ({summary.learner_rows} for "
        f"learners, {summary.statements} xAPI statements) to {directory}."
    )
    for why, count in summary.skipped_statements.items():
        console.print(f"  {count} learner recommendation(s) without a statement: {why}")


def _run(
    engine: Engine, settings: Settings, kinds: list[str] | None, *, show_progress: bool = True
) -> RecommendationSet:
    wanted = parse_kinds(kinds) if kinds else None
    Migrator(engine).migrate()
    context = RecommendationContext.from_settings(engine, settings)
    recommenders = RecommendationEngine(
        default_recommenders(
            risk_scores=EarlyWarningRiskSource.from_settings(settings, load_key_ring(settings)),
            course_diagnostics=DiagnosticsCourseSource.from_settings(settings),
        )
    )
    if not show_progress:
        return recommenders.run(context, wanted)
    with step_progress() as progress:
        return recommenders.run(context, wanted, progress=progress)


def _print(result: RecommendationSet, output: str) -> None:
    if output == "json":
        typer.echo(json.dumps(result.as_json(), indent=2, sort_keys=True))
        return
    rows = [r.as_row() for r in result.recommendations]
    if output == "csv":
        typer.echo(csv_text(rows, columns=ROW_COLUMNS), nl=False)
        return
    table = Table(title=f"{len(rows)} recommendations")
    for column in TABLE_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(_cell(row, c)) for c in TABLE_COLUMNS))
    console.print(table)
    for recommender, notes in result.notes.items():
        for note in notes:
            console.print(f"[dim]{recommender}: {note}[/]")


def _cell(row: dict[str, Any], column: str) -> str:
    if column != "expected":
        return str(row[column])
    value = row["expected_value"]
    if value is None:
        return ""
    interval = (
        ""
        if row["expected_low"] is None or row["expected_high"] is None
        else f" ({row['expected_low']:,.2f} to {row['expected_high']:,.2f})"
    )
    return f"{value:,.2f}{interval} {row['expected_unit']}"
