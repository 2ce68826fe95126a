"""`learnledger sources`: register, list and show the data sources imports come from."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, date_option, engine_for, settings_from
from learnledger.ingest import DataSource, SourceRegistry
from learnledger.storage import Migrator

app = typer.Typer(help="Data sources: register, list, show.", no_args_is_help=True)


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
        SourceRegistry(engine).add(source)
    console.print(f"Registered data source {source_id}.")


@app.command("list")
def list_sources(ctx: typer.Context) -> None:
    """List the registered data sources."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        sources = SourceRegistry(engine).list()
    table = Table(title="Data sources")
    for column in ("id", "name", "kind", "owner", "legal basis", "DPA", "next review"):
        table.add_column(column)
    for s in sources:
        table.add_row(
            s.source_id,
            s.name,
            s.kind,
            s.owner or "",
            s.legal_basis or "",
            s.dpa_status or "",
            s.next_review_due.isoformat() if s.next_review_due else "",
        )
    console.print(table)


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
