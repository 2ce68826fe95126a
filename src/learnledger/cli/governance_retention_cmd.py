"""`learnledger governance enforce`: delete or anonymise data past its retention period."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import (
    console,
    date_option,
    engine_for,
    fail,
    settings_from,
    step_progress,
)
from learnledger.governance.actors import cli_actor
from learnledger.governance.keys import load_key_ring
from learnledger.governance.retention import RetentionReport, enforce
from learnledger.storage import Migrator

FORMATS = ("table", "json")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `governance` group."""
    app.command("enforce")(enforce_retention)


def enforce_retention(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what would change; change nothing.")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Enforce as of this day (YYYY-MM-DD, 00:00 UTC); default now."
        ),
    ] = None,
    output: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Delete or anonymise every source's rows older than its retention period."""
    if output not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {output!r}")
    day = date_option(as_of, "--as-of")
    moment = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day is not None else None
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        keys = load_key_ring(settings)
        if output == "json":
            report = enforce(engine, keys, cli_actor(), moment, dry_run=dry_run)
        else:
            with step_progress() as progress:
                report = enforce(
                    engine, keys, cli_actor(), moment, dry_run=dry_run, progress=progress
                )
    if output == "json":
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    _print_report(report)


def _print_report(report: RetentionReport) -> None:
    if not report.policies:
        console.print("No data source has a retention period (data_sources.retention_days).")
    else:
        policies = Table(title=f"Retention as of {report.as_of:%Y-%m-%d %H:%M} UTC")
        for column in ("source", "days", "action", "rows older than"):
            policies.add_column(column)
        for p in report.policies:
            policies.add_row(
                p.source_id, str(p.retention_days), p.action, f"{p.cutoff:%Y-%m-%d %H:%M}"
            )
        console.print(policies)
    changed = [o for o in report.outcomes if o.rows]
    if changed:
        title = "Rows that would change (dry run)" if report.dry_run else "Rows changed"
        table = Table(title=title)
        for column in ("source", "table", "action", "rows"):
            table.add_column(column, justify="right" if column == "rows" else "left")
        for o in changed:
            table.add_row(o.source_id, o.table, o.action, f"{o.rows:,}")
        console.print(table)
    verb = "would change" if report.dry_run else "changed"
    console.print(f"Run {report.run_id}: {report.total_rows:,} rows {verb}.")
    if report.dry_run:
        console.print("Dry run: nothing was changed.")
