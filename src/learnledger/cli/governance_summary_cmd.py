"""`learnledger governance` commands: the governance summary."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.summary import (
    GovernanceSummary,
    build_summary,
    personal_data_text,
    retention_text,
)
from learnledger.storage import Migrator

SUMMARY_FORMATS = ("table", "json", "markdown")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `governance` group."""
    app.command("summary")(summary)


def summary(
    ctx: typer.Context,
    output_format: Annotated[
        str, typer.Option("--format", help="table, json or markdown.")
    ] = "table",
) -> None:
    """Sources with owner, legal basis, retention and review status, plus governance counts."""
    if output_format not in SUMMARY_FORMATS:
        raise fail(f"--format must be one of {', '.join(SUMMARY_FORMATS)}, not {output_format!r}")
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        result = build_summary(engine, AuditLog(engine, load_key_ring(settings)))
    if output_format == "json":
        typer.echo(json.dumps(result.as_json(), indent=2))
    elif output_format == "markdown":
        typer.echo(result.to_markdown(), nl=False)
    else:
        _print_summary(result)


def _print_summary(result: GovernanceSummary) -> None:
    sources = Table(title=f"Data sources ({result.as_of.isoformat()})")
    for column in (
        "id",
        "owner",
        "legal basis",
        "purpose",
        "personal data",
        "retention",
        "review",
        "last review",
        "next review",
    ):
        sources.add_column(column, overflow="fold")
    for s in result.sources:
        next_due = s.next_review_due.isoformat() if s.next_review_due else ""
        sources.add_row(
            escape(s.source_id),
            escape(s.owner or ""),
            escape(s.legal_basis or ""),
            escape(s.purpose or ""),
            escape(personal_data_text(s)),
            retention_text(s),
            s.review_status,
            s.last_reviewed_on.isoformat() if s.last_reviewed_on else "never",
            f"[bold red]{next_due} (overdue)[/]" if s.review_overdue else next_due,
        )
    console.print(sources)
    counts = Table(title="Governance counts", show_header=False)
    counts.add_column("what")
    counts.add_column("count")
    counts.add_row("data sources", str(len(result.sources)))
    counts.add_row("overdue reviews", str(result.overdue_reviews))
    counts.add_row("audit chain", escape(result.audit_status()))
    for purpose, count in result.consent_withdrawals.items():
        counts.add_row(f"consent withdrawn: {purpose}", str(count))
    for role, count in result.users_by_role.items():
        counts.add_row(f"users: {role}", str(count))
    counts.add_row("users disabled", str(result.disabled_users))
    console.print(counts)
    for warning in result.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning.message)}", soft_wrap=True)
