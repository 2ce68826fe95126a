"""`learnledger consent`: Consent per person and purpose: record, show, report."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import (
    consent_history,
    consent_report,
    decisions_in_force,
    record_consent,
)
from learnledger.governance.keys import load_key_ring
from learnledger.storage import Engine, Migrator

app = typer.Typer(
    help="Consent per person and purpose: record, show, report.", no_args_is_help=True
)

FORMATS = ("table", "json")
At = Annotated[
    str | None,
    typer.Option("--at", help="Moment, ISO 8601 (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][+TZ]); "
                 "UTC when no offset. Default: now."),
]  # fmt: skip
Format = Annotated[str, typer.Option("--format", help="table or json.")]


@app.command("record")
def record(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Person id.")],
    purpose: Annotated[
        str,
        typer.Option("--purpose", help="analytics, predictive_modelling or individual_reporting."),
    ],
    status: Annotated[str, typer.Option("--status", help="granted or withdrawn.")],
    at: At = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Registered source that captured it.")
    ] = None,
) -> None:
    """Record PERSON's decision for a purpose, effective at --at (default: now)."""
    moment = _moment(at, "--at")
    with _engine(ctx) as engine:
        audit = AuditLog(engine, load_key_ring(settings_from(ctx)))
        saved = record_consent(
            engine,
            audit,
            cli_actor(),
            person_id=person,
            purpose=purpose,
            status=status,
            recorded_at=moment,
            source_id=source,
        )
    console.print(
        f"Recorded {saved.status} for {saved.purpose} for {saved.person_id}, effective "
        f"{saved.recorded_at.isoformat()} ({saved.consent_id})."
    )


@app.command("show")
def show(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Person id.")],
    at: At = None,
    output: Format = "table",
) -> None:
    """Show PERSON's decisions in force per purpose and the history of records."""
    _check_format(output)
    moment = _moment(at, "--at") or dt.datetime.now(dt.UTC)
    settings = settings_from(ctx)
    with _engine(ctx) as engine:
        history = consent_history(engine, person)
    in_force = decisions_in_force(history, moment, frozenset(settings.consent_opt_in_purposes))
    if output == "json":
        payload = {
            "person_id": person,
            "at": moment.isoformat(),
            "in_force": in_force,
            "history": [
                {
                    "consent_id": r.consent_id,
                    "purpose": r.purpose,
                    "status": r.status,
                    "recorded_at": r.recorded_at.isoformat(),
                    "source_id": r.source_id,
                    "recorded_by": r.recorded_by,
                }
                for r in history
            ],
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    current = Table(title=f"Consent of {person} in force at {moment:%Y-%m-%d %H:%M} UTC")
    current.add_column("purpose")
    current.add_column("decision")
    for purpose, decision in in_force.items():
        current.add_row(purpose, decision)
    console.print(current)
    listing = Table(title="History")
    for column in ("recorded at", "purpose", "status", "source", "recorded by", "id"):
        listing.add_column(column)
    for r in history:
        listing.add_row(
            r.recorded_at.isoformat(),
            r.purpose,
            r.status,
            r.source_id or "",
            r.recorded_by or "",
            r.consent_id,
        )
    console.print(listing)


@app.command("report")
def report(
    ctx: typer.Context,
    at: At = None,
    output: Format = "table",
) -> None:
    """Count people per purpose by the decision in force, and how many are excluded."""
    _check_format(output)
    moment = _moment(at, "--at") or dt.datetime.now(dt.UTC)
    settings = settings_from(ctx)
    with _engine(ctx) as engine:
        result = consent_report(engine, moment, frozenset(settings.consent_opt_in_purposes))
    if output == "json":
        typer.echo(json.dumps(result.as_json(), indent=2))
        return
    table = Table(title=f"Consent at {moment:%Y-%m-%d %H:%M} UTC (counts of people)")
    for column in ("purpose", "opt-in", "granted", "withdrawn", "no record", "excluded"):
        table.add_column(column, justify="left" if column == "purpose" else "right")
    for p in result.purposes:
        table.add_row(
            p.purpose,
            "yes" if p.opt_in else "",
            str(p.granted),
            str(p.withdrawn),
            str(p.no_record),
            str(p.excluded),
        )
    console.print(table)


# -- helpers ---------------------------------------------------------------------------------


@contextmanager
def _engine(ctx: typer.Context) -> Iterator[Engine]:
    """The configured engine, migrated; LearnLedger errors become `error:` and exit 1."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        yield engine


def _check_format(output: str) -> None:
    if output not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}, not {output!r}")


def _moment(value: str | None, option: str) -> dt.datetime | None:
    """Parse an ISO 8601 date or date-time option; naive values are UTC."""
    if value is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 date or date-time", param_hint=option
        ) from exc
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
