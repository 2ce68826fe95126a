"""`learnledger db`: create the schema, apply migrations, show their status."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, settings_from
from learnledger.config import mask_url_password
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.storage import Migrator

app = typer.Typer(help="Database schema: init, migrate, status.", no_args_is_help=True)


@app.command("init")
def init(ctx: typer.Context) -> None:
    """Create the database (a DuckDB file is created if missing) and apply every migration."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        applied = Migrator(engine, MIGRATIONS).migrate()
    where = mask_url_password(settings.database_url)
    if applied:
        console.print(f"Initialised {where}: applied {', '.join(applied)}.")
    else:
        console.print(f"{where} is already up to date.")


@app.command("migrate")
def migrate(
    ctx: typer.Context,
    to: Annotated[
        str | None, typer.Option("--to", help="Stop after this migration id (default: latest).")
    ] = None,
) -> None:
    """Apply pending migrations in order, each in its own transaction."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        applied = Migrator(engine, MIGRATIONS).migrate(target=to)
    if applied:
        console.print(f"Applied {len(applied)} migration(s): {', '.join(applied)}.")
    else:
        console.print("Nothing to apply: the schema is up to date.")


@app.command("status")
def status(ctx: typer.Context) -> None:
    """List every migration with its state: applied (when), pending or modified."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        rows = Migrator(engine, MIGRATIONS).status()
    table = Table(title=f"Migrations on {mask_url_password(settings.database_url)}")
    table.add_column("id")
    table.add_column("state")
    table.add_column("applied at")
    table.add_column("description")
    for row in rows:
        applied_at = row.applied_at.isoformat(timespec="seconds") if row.applied_at else ""
        table.add_row(row.id, row.state, applied_at, row.description)
    console.print(table)
    pending = sum(1 for row in rows if row.state == "pending")
    console.print(f"{pending} pending." if pending else "Up to date.")
