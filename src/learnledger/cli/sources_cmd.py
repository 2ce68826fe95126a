"""`learnledger sources`: register, list and show the data sources imports come from, and
record their vendor risk reviews."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from learnledger.cli.common import console, date_option, engine_for, fail, settings_from
from learnledger.core.model.entities.access import REVIEW_OUTCOMES
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.reviews import (
    ReviewWarning,
    SourceReview,
    is_overdue,
    record_review,
    review_history,
    review_warnings,
)
from learnledger.ingest import DataSource, SourceRegistry
from learnledger.storage import Migrator

app = typer.Typer(
    help="Data sources: register, list, show; record and list vendor risk reviews.",
    no_args_is_help=True,
)

HISTORY_FORMATS = ("table", "json")


@app.command("add")
def add(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="Stable id, e.g. hris.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    kind: Annotated[str, typer.Option(help="hris, lms, lrs, assessment, performance, kpi, ...")],
    owner: Annotated[str, typer.Option(help="Accountable owner (a role or team).")],
    purpose: Annotated[str, typer.Option(help="Why the data is processed.")],
    legal_basis: Annotated[str, typer.Option(help="GDPR legal basis.")],
    categories: Annotated[
        str, typer.Option(help="Categories of personal data, comma-separated.")
    ] = "",
    personal_data: Annotated[
        bool, typer.Option("--personal-data/--no-personal-data", help="Rows identify people.")
    ] = True,
    vendor: Annotated[str | None, typer.Option(help="Vendor of the system.")] = None,
    dpa_status: Annotated[
        str | None, typer.Option(help="DPA status: not_required, pending, signed, expired.")
    ] = None,
    review_status: Annotated[str, typer.Option(help="Vendor risk review status.")] = "not_reviewed",
    last_review: Annotated[
        str | None, typer.Option(help="Last vendor risk review, YYYY-MM-DD.")
    ] = None,
    next_review: Annotated[str | None, typer.Option(help="Next review due, YYYY-MM-DD.")] = None,
    retention_days: Annotated[int | None, typer.Option(help="Retention period in days.")] = None,
    description: Annotated[str | None, typer.Option(help="What the source holds.")] = None,
) -> None:
    """Register a data source with its owner, purpose, legal basis and vendor review."""
    source = DataSource(
        source_id=source_id,
        name=name,
        kind=kind,
        owner=owner,
        purpose=purpose,
        legal_basis=legal_basis,
        personal_data_categories=categories,
        contains_personal_data=personal_data,
        vendor=vendor,
        dpa_status=dpa_status,
        review_status=review_status,
        last_reviewed_on=date_option(last_review, "--last-review"),
        next_review_due=date_option(next_review, "--next-review"),
        retention_days=retention_days,
        description=description,
    )
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        audit = AuditLog(engine, load_key_ring(settings))
        with audit.transaction():
            SourceRegistry(engine).add(source)
            audit.append(
                actor=cli_actor().audit_name,
                action="source_registered",
                target="data_sources",
                details={"source_id": source.source_id, "kind": source.kind},
            )
    console.print(f"Registered data source {source_id}.")


@app.command("list")
def list_sources(ctx: typer.Context) -> None:
    """List the registered data sources, with a warning for each review that needs attention."""
    settings = settings_from(ctx)
    today = dt.datetime.now(dt.UTC).date()
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        sources = SourceRegistry(engine).list()
        warnings = review_warnings(engine, today)
    table = Table(title="Data sources")
    for column in ("id", "name", "kind", "owner", "legal basis", "DPA", "review", "next review"):
        table.add_column(column)
    for s in sources:
        due = s.next_review_due.isoformat() if s.next_review_due else ""
        table.add_row(
            s.source_id,
            s.name,
            s.kind,
            s.owner or "",
            s.legal_basis or "",
            s.dpa_status or "",
            s.review_status,
            f"[bold red]{due} (overdue)[/]" if is_overdue(s.next_review_due, today) else due,
        )
    console.print(table)
    _print_warnings(warnings)


@app.command("review")
def review(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="Id of the source reviewed.")],
    reviewer: Annotated[str, typer.Option(help="Who reviewed (a role or team).")],
    outcome: Annotated[str, typer.Option(help=f"{', '.join(REVIEW_OUTCOMES)}.")],
    next_due: Annotated[str, typer.Option(help="When the next review is due, YYYY-MM-DD.")],
    on: Annotated[
        str | None, typer.Option("--on", help="Date of the review, YYYY-MM-DD (default: today).")
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Conditions and findings.")] = None,
) -> None:
    """Record a vendor risk / data-protection review of a source (audited)."""
    reviewed_on = date_option(on, "--on") or dt.datetime.now(dt.UTC).date()
    due = date_option(next_due, "--next-due")
    if due is None:  # a required option; typer refuses a missing one before this
        raise fail("--next-due is required")
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        recorded = record_review(
            engine,
            AuditLog(engine, load_key_ring(settings)),
            source_id,
            reviewer=reviewer,
            reviewed_on=reviewed_on,
            outcome=outcome,
            next_due=due,
            notes=notes,
            recorded_by=cli_actor().audit_name,
        )
    console.print(
        f"Recorded review {recorded.review_id} of {source_id}: {recorded.outcome} on "
        f"{recorded.reviewed_on.isoformat()}; next review due {recorded.next_due.isoformat()}.",
        soft_wrap=True,
    )


@app.command("reviews")
def reviews(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="Id of the source.")],
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """Show the review history of one source, newest first."""
    if output_format not in HISTORY_FORMATS:
        raise fail(f"--format must be one of {', '.join(HISTORY_FORMATS)}, not {output_format!r}")
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        history = review_history(engine, source_id)
    if output_format == "json":
        typer.echo(json.dumps([r.as_json() for r in history], indent=2))
        return
    _print_history(source_id, history)


@app.command("show")
def show(
    ctx: typer.Context,
    source_id: Annotated[str, typer.Argument(help="Id of the source.")],
) -> None:
    """Show every registered fact of one data source."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        source = SourceRegistry(engine).get(source_id)
    table = Table(title=f"Data source {source_id}", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for field, value in vars(source).items():
        table.add_row(field, "" if value is None else str(value))
    console.print(table)


def _print_history(source_id: str, history: list[SourceReview]) -> None:
    if not history:
        console.print(f"Data source {source_id} has no recorded reviews.")
        return
    table = Table(title=f"Reviews of {source_id}")
    for column in ("reviewed on", "outcome", "reviewer", "next due", "notes", "recorded by"):
        table.add_column(column, overflow="fold")
    for item in history:
        table.add_row(
            item.reviewed_on.isoformat(),
            item.outcome,
            escape(item.reviewer),
            item.next_due.isoformat(),
            escape(item.notes or ""),
            escape(item.recorded_by or ""),
        )
    console.print(table)


def _print_warnings(warnings: list[ReviewWarning]) -> None:
    for warning in warnings:
        console.print(f"[yellow]warning:[/] {escape(warning.message)}", soft_wrap=True)
