"""`learnledger audit`: The tamper-evident audit log: verify and list."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from learnledger.cli.common import console, date_option, engine_for, fail, settings_from
from learnledger.governance.audit import AuditEntry, AuditFilter, AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.storage import Migrator

app = typer.Typer(help="The tamper-evident audit log: verify and list.", no_args_is_help=True)

LIST_FORMATS = ("table", "json")


@contextmanager
def _audit_log(ctx: typer.Context) -> Iterator[AuditLog]:
    """The audit log of the configured database (migrated), sealed with the secret key."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        yield AuditLog(engine, load_key_ring(settings))


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Check every entry's hash and link and the sealed head; exit 1 when tampered with."""
    with _audit_log(ctx) as audit:
        result = audit.verify()
    if result.intact:
        typer.echo(f"intact: {result.entries} {'entry' if result.entries == 1 else 'entries'}")
        if result.head_hash is not None:
            typer.echo(f"head: entry {result.entries}, hash {result.head_hash}")
        return
    first = "unknown" if result.first_bad_seq is None else str(result.first_bad_seq)
    typer.echo(f"NOT INTACT: {result.problem}")
    typer.echo(f"first bad seq: {first}")
    typer.echo(f"entries: {result.entries}")
    raise typer.Exit(1)


@app.command("list")
def list_entries(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="Entries on or after this day (UTC), YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Entries on or before this day (UTC), YYYY-MM-DD.")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Only this actor, e.g. cli:ana.")] = None,
    action: Annotated[str | None, typer.Option(help="Only this action, e.g. export.")] = None,
    target: Annotated[str | None, typer.Option(help="Only this target.")] = None,
    limit: Annotated[int, typer.Option(help="At most N entries; 0 for all.", min=0)] = 100,
    offset: Annotated[int, typer.Option(help="Skip the first N matching entries.", min=0)] = 0,
    output_format: Annotated[
        str, typer.Option("--format", help="table, or json (one JSON object a line).")
    ] = "table",
) -> None:
    """List audit entries, oldest first, filtered by day, actor, action and target."""
    if output_format not in LIST_FORMATS:
        raise fail(f"--format must be one of {', '.join(LIST_FORMATS)}, not {output_format!r}")
    chosen = AuditFilter(
        since=_day_start(date_option(since, "--since")),
        until=_day_start(date_option(until, "--until"), days_after=1),
        actor=actor,
        action=action,
        target=target,
    )
    with _audit_log(ctx) as audit:
        entries = audit.entries(
            since=chosen.since,
            until=chosen.until,
            actor=actor,
            action=action,
            target=target,
            limit=limit or None,
            offset=offset,
        )
        matching = audit.count(chosen) if output_format == "table" else len(entries)
    if output_format == "json":
        for entry in entries:
            typer.echo(entry.json_line())
        return
    _print_entries(entries, offset, matching)


def _day_start(day: dt.date | None, days_after: int = 0) -> dt.datetime | None:
    if day is None:
        return None
    start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
    return start + dt.timedelta(days=days_after)


def _print_entries(entries: list[AuditEntry], offset: int, matching: int) -> None:
    table = Table(title="Audit log")
    table.add_column("seq", justify="right")
    table.add_column("occurred at (UTC)", no_wrap=True)
    table.add_column("actor")
    table.add_column("action")
    table.add_column("target")
    table.add_column("details", overflow="fold")
    for entry in entries:
        table.add_row(
            str(entry.seq),
            entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            escape(entry.actor),
            escape(entry.action),
            escape(entry.target or ""),
            escape(json.dumps(entry.details, sort_keys=True)),
        )
    console.print(table)
    if not entries:
        console.print("No matching entries.")
    elif len(entries) < matching:
        shown = f"{offset + 1}-{offset + len(entries)}"
        console.print(f"Showing entries {shown} of {matching} matching (--limit, --offset).")
