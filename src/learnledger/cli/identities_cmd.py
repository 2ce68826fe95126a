"""`learnledger identities`: resolve statement actors to people, report, merge, split, link."""

from __future__ import annotations

import csv
import getpass
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.identity import (
    IdentityReport,
    ResolutionSummary,
    identity_report,
    link_identifier,
    load_rules,
    merge_persons,
    record_rules,
    resolve_identities,
    rules_in_force,
    split_identity,
)
from learnledger.storage import Engine, Migrator

app = typer.Typer(help="Link xAPI actors and LMS accounts to people; merge and split people.")

REPORT_FORMATS = ("table", "json", "csv")
CSV_COLUMNS = ("status", "identifier", "kind", "statements", "last_stored", "rule", "candidates")

Reason = Annotated[
    str, typer.Option("--reason", help="Why (kept in the audit trail; no personal data).")
]
Actor = Annotated[str | None, typer.Option(help="Who does it (default: OS user).")]


@app.command("resolve")
def resolve(
    ctx: typer.Context,
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Rules YAML (default: the rules in force, else shipped)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would be linked; write nothing.")
    ] = False,
    actor: Actor = None,
) -> None:
    """Link unlinked statement actors to people by the rules, then link their events."""
    with _engine(ctx) as engine:
        chosen = load_rules(rules) if rules is not None else rules_in_force(engine)
        record = rules is not None and not dry_run
        # Recording the rules commits with the run; a dry run rolls back on its own.
        scope = engine.transaction() if record else nullcontext()
        with console.status("Resolving identities..."), scope:
            summary = resolve_identities(engine, chosen, dry_run=dry_run)
            version = (
                record_rules(engine, chosen, actor=_actor(actor), audit=_audit(ctx, engine))
                if record
                else None
            )
        if version is not None:
            console.print(f"Rules in force: version {version} ({chosen.location}).")
        _print_summary(summary)


@app.command("report")
def report(
    ctx: typer.Context,
    output_format: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    role: Annotated[
        str,
        typer.Option(help="Viewer role; identifiers are shown only to the roles the rules allow."),
    ] = "admin",
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules YAML (default: the rules in force).")
    ] = None,
) -> None:
    """Count linked, ambiguous and unresolved identifiers, and list them for allowed roles."""
    if output_format not in REPORT_FORMATS:
        raise fail(f"--format must be one of {', '.join(REPORT_FORMATS)}, not {output_format!r}")
    with _engine(ctx) as engine:
        chosen = load_rules(rules) if rules is not None else rules_in_force(engine)
        result = identity_report(engine, chosen, role=role)
    if output_format == "json":
        typer.echo(json.dumps(result.as_json(), indent=2))
    elif output_format == "csv":
        typer.echo(_report_csv(result), nl=False)
    else:
        _print_report(result)


@app.command("merge")
def merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="Person id that survives.")],
    other: Annotated[str, typer.Argument(help="Person id merged into KEEP.")],
    reason: Reason,
    actor: Actor = None,
) -> None:
    """Merge person OTHER into KEEP: re-point all of OTHER's rows, with an audit entry."""
    with _engine(ctx) as engine:
        result = merge_persons(
            engine, keep, other, reason=reason, actor=_actor(actor), audit=_audit(ctx, engine)
        )
    console.print(f"Merged {other} into {keep} (merge {result.merge_id}).")
    _print_counts("Rows re-pointed", result.moved)
    if result.kept:
        _print_counts(f"Rows left on {other} (KEEP has the same key)", result.kept)


@app.command("split")
def split(
    ctx: typer.Context,
    person: Annotated[str, typer.Argument(help="Person id the identifier is wrongly linked to.")],
    ifi: Annotated[
        str, typer.Argument(help="Canonical identifier, e.g. mbox:mailto:ann@example.com.")
    ],
    reason: Reason,
    to_person: Annotated[
        str | None, typer.Option("--to", help="Link the identifier to this person instead.")
    ] = None,
    actor: Actor = None,
) -> None:
    """Split identifier IFI off PERSON (undoing the merge that brought it, if any)."""
    with _engine(ctx) as engine:
        result = split_identity(
            engine,
            person,
            ifi,
            reason=reason,
            actor=_actor(actor),
            to_person=to_person,
            audit=_audit(ctx, engine),
        )
    if result.undone_merge_id:
        console.print(
            f"Undid merge {result.undone_merge_id}: {result.person_id} is a person of its own "
            "again."
        )
    elif result.person_id:
        console.print(f"The identifier now belongs to {result.person_id}.")
    else:
        console.print(f"The identifier is unlinked; it will not be linked to {person} again.")
    _print_counts("Rows moved", {**result.moved, "learning_events (by actor)": result.events_moved})


@app.command("link")
def link(
    ctx: typer.Context,
    ifi: Annotated[str, typer.Argument(help="Canonical identifier of an unlinked actor.")],
    person: Annotated[str, typer.Argument(help="Person id to link it to.")],
    reason: Reason,
    actor: Actor = None,
) -> None:
    """Link an unlinked (e.g. ambiguous) identifier to PERSON by hand."""
    with _engine(ctx) as engine:
        events = link_identifier(
            engine, ifi, person, reason=reason, actor=_actor(actor), audit=_audit(ctx, engine)
        )
    console.print(f"Linked to {person}; {events} learning events linked.")


# -- helpers ---------------------------------------------------------------------------------


@contextmanager
def _engine(ctx: typer.Context) -> Iterator[Engine]:
    """The configured engine, migrated; LearnLedger errors become `error:` and exit 1."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        yield engine


def _audit(ctx: typer.Context, engine: Engine) -> AuditLog:
    return AuditLog(engine, load_key_ring(settings_from(ctx)))


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _print_summary(summary: ResolutionSummary) -> None:
    table = Table(title="Identity resolution")
    table.add_column("outcome")
    table.add_column("identifiers", justify="right")
    table.add_row("unlinked before", str(summary.identifiers_unlinked_before))
    for name, count in summary.linked_by_rule.items():
        table.add_row(f"linked by rule {name}", str(count))
    for name, count in summary.ambiguous_by_rule.items():
        table.add_row(f"ambiguous under rule {name}", str(count))
    table.add_row("still unlinked", str(summary.unresolved))
    table.add_row("learning events linked", str(summary.events_linked))
    console.print(table)
    if summary.dry_run:
        console.print("Dry run: nothing was written.")


def print_resolution_after_import(summary: ResolutionSummary) -> None:
    """One line on what identity resolution linked after people were imported."""
    console.print(
        f"Identity resolution: {summary.linked} identifiers linked to people, "
        f"{summary.events_linked} learning events linked, {summary.unresolved} still unlinked "
        "(learnledger identities report)."
    )


def _print_report(result: IdentityReport) -> None:
    table = Table(title="Statement actors")
    table.add_column("status")
    table.add_column("identifiers", justify="right")
    for status, count in _counts(result):
        table.add_row(status, str(count))
    console.print(table)
    if result.identifiers is None:
        console.print("Identifiers are not shown to this role.")
        return
    if not result.identifiers:
        return
    listing = Table(title="Unlinked identifiers")
    listing.add_column("status")
    listing.add_column("identifier", overflow="fold")
    listing.add_column("statements", justify="right")
    listing.add_column("last stored", no_wrap=True)
    listing.add_column("candidates")
    for item in result.identifiers:
        listing.add_row(
            item.status,
            item.ifi,
            str(item.statements),
            item.last_stored.strftime("%Y-%m-%d %H:%M") if item.last_stored else "",
            ", ".join(item.candidates),
        )
    console.print(listing)


def _counts(result: IdentityReport) -> list[tuple[str, int]]:
    linked = [(f"linked_{method}", n) for method, n in sorted(result.linked_by_method.items())]
    return [
        ("observed", result.observed),
        *linked,
        ("linkable", result.linkable),
        ("ambiguous", result.ambiguous),
        ("unresolved", result.unresolved),
    ]


def _report_csv(result: IdentityReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if result.identifiers is None:  # counts only for roles that may not see identifiers
        writer.writerow(("status", "identifiers"))
        for status, count in _counts(result):
            writer.writerow((status, count))
        return out.getvalue()
    writer.writerow(CSV_COLUMNS)
    for item in result.identifiers:
        writer.writerow(
            [
                item.status,
                item.ifi,
                item.kind,
                item.statements,
                item.last_stored.isoformat() if item.last_stored else "",
                item.rule or "",
                " ".join(item.candidates),
            ]
        )
    return out.getvalue()


def _print_counts(title: str, counts: dict[str, int]) -> None:
    table = Table(title=title)
    table.add_column("table.column")
    table.add_column("rows", justify="right")
    for name, count in sorted(counts.items()):
        table.add_row(name, str(count))
    console.print(table)
