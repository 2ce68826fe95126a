"""`learnledger imports` and `learnledger quarantine`: past import runs and their rejected rows."""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from typing import Annotated

import orjson
import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.ingest.runs import ImportRun, QuarantinedRow, get_run, list_runs, quarantined_rows
from learnledger.storage import Migrator

imports_app = typer.Typer(help="Import runs: list and show their reports.", no_args_is_help=True)
quarantine_app = typer.Typer(
    help="Quarantine: the rows imports rejected, with row, column and reason.",
    no_args_is_help=True,
)

_COUNT_HEADERS = {"read", "inserted", "updated", "unchanged", "rejected"}
_QUARANTINE_COLUMNS = ("run_id", "source_id", "row_number", "column_name", "value", "reason")


class Format(StrEnum):
    """Output formats of the listing commands."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="Output: table, csv or json.", case_sensitive=False)
]


@imports_app.command("list")
def list_imports(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="Show at most N runs (newest first).")] = 20,
    source: Annotated[
        str | None, typer.Option("--source", help="Only runs of this data source.")
    ] = None,
    output: FormatOption = Format.TABLE,
) -> None:
    """List recent import runs with their status and counts."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        runs = list_runs(engine, limit=limit, source_id=source)
    if output is Format.JSON:
        typer.echo(_json([r.as_json() for r in runs]))
        return
    columns = ("run_id", "started_at", "source_id", "entity", "status", "rows_read",
               "rows_inserted", "rows_updated", "rows_unchanged", "rows_rejected")  # fmt: skip
    if output is Format.CSV:
        typer.echo(_csv(columns, [[r.as_json()[c] for c in columns] for r in runs]), nl=False)
        return
    table = Table(title="Import runs (newest first)")
    for column in ("run", "started", "source", "entity", "status", "read", "inserted",
                   "updated", "unchanged", "rejected"):  # fmt: skip
        table.add_column(column, justify="right" if column in _COUNT_HEADERS else "left")
    for r in runs:
        table.add_row(
            r.run_id,
            f"{r.started_at:%Y-%m-%d %H:%M:%S}",
            r.source_id or "",
            r.entity,
            r.status,
            *(
                str(n)
                for n in (
                    r.rows_read,
                    r.rows_inserted,
                    r.rows_updated,
                    r.rows_unchanged,
                    r.rows_rejected,
                )
            ),
        )
    console.print(table)
    if not runs:
        console.print("No import runs recorded.")


@imports_app.command("show")
def show_import(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id, as `imports list` prints it.")],
    output: Annotated[
        Format, typer.Option("--format", "-f", help="Output: table or json.", case_sensitive=False)
    ] = Format.TABLE,
) -> None:
    """Show the stored report of one import run: counts, rejections by reason, lineage."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        run = get_run(engine, run_id)
    if output is Format.JSON:
        typer.echo(_json(run.as_json()))
        return
    if output is Format.CSV:
        raise fail("imports show prints a table or JSON (--format table|json)")
    _print_run(run)


def _print_run(run: ImportRun) -> None:
    facts = Table(title=f"Import run {run.run_id}", show_header=False)
    facts.add_column("field")
    facts.add_column("value")
    finished = f"{run.finished_at:%Y-%m-%d %H:%M:%S %Z}" if run.finished_at else ""
    for name, value in (
        ("status", run.status),
        ("entity", run.entity),
        ("source", run.source_id or ""),
        ("location", run.location or ""),
        ("file SHA-256", run.checksum or ""),
        ("mapping", run.mapping_name or ""),
        ("mapping SHA-256", run.mapping_checksum or ""),
        ("actor", run.actor or ""),
        ("started", f"{run.started_at:%Y-%m-%d %H:%M:%S %Z}"),
        ("finished", finished),
        ("read", str(run.rows_read)),
        ("inserted", str(run.rows_inserted)),
        ("updated", str(run.rows_updated)),
        ("unchanged", str(run.rows_unchanged)),
        ("rejected", str(run.rows_rejected)),
    ):
        facts.add_row(name, value)
    if run.error:
        facts.add_row("error", run.error)
    console.print(facts)
    if run.entity_counts:
        entities = Table(title="Per entity")
        for column in ("entity", "inserted", "updated", "unchanged"):
            entities.add_column(column, justify="left" if column == "entity" else "right")
        for name, counts in run.entity_counts.items():
            entities.add_row(
                name, *(str(counts.get(k, 0)) for k in ("inserted", "updated", "unchanged"))
            )
        console.print(entities)
    if run.rejected_by_reason:
        reasons = Table(title="Rejections by reason")
        reasons.add_column("column: reason")
        reasons.add_column("rows", justify="right")
        for reason, count in run.rejected_by_reason.items():
            reasons.add_row(reason, str(count))
        console.print(reasons)
        console.print(f"The rows: learnledger quarantine show {run.run_id}")


@quarantine_app.command("list")
def list_quarantine(
    ctx: typer.Context,
    run: Annotated[str | None, typer.Option("--run", help="Only rows of this run.")] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Only rows whose reason contains this text.")
    ] = None,
    limit: Annotated[int | None, typer.Option(help="Show at most N rows.")] = None,
    output: FormatOption = Format.TABLE,
) -> None:
    """List quarantined rows of every run (newest first), or of one run."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        rows = quarantined_rows(engine, run_id=run, reason=reason, limit=limit)
    _print_rows(rows, output, title="Quarantined rows", with_run=True)


@quarantine_app.command("show")
def show_quarantine(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="Run id, as `imports list` prints it.")],
    output: FormatOption = Format.TABLE,
) -> None:
    """Show every quarantined row of one run: row number, column, value and reason."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        rows = quarantined_rows(engine, run_id=run_id)
    _print_rows(rows, output, title=f"Quarantined rows of run {run_id}", with_run=False)


def _print_rows(rows: list[QuarantinedRow], output: Format, *, title: str, with_run: bool) -> None:
    if output is Format.JSON:
        typer.echo(_json([r.as_json() for r in rows]))
        return
    if output is Format.CSV:
        values = [[r.as_json()[c] for c in _QUARANTINE_COLUMNS] for r in rows]
        typer.echo(_csv(_QUARANTINE_COLUMNS, values), nl=False)
        return
    table = Table(title=title)
    headers = ("run", "source", "row", "column", "value", "reason")
    for column in headers if with_run else headers[1:]:
        table.add_column(column, justify="right" if column == "row" else "left")
    for r in rows:
        cells = [r.source_id or "", str(r.row_number), r.column_name or "", r.value or "", r.reason]
        table.add_row(*([r.run_id, *cells] if with_run else cells))
    console.print(table)
    console.print(f"{len(rows)} quarantined row(s).")


def _json(value: object) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()


def _csv(header: tuple[str, ...], rows: list[list[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return buffer.getvalue()
