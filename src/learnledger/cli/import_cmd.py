"""`learnledger import`: load a file or SQL query into a canonical entity with a mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from, step_progress
from learnledger.cli.identities_cmd import print_resolution_after_import
from learnledger.config import Settings
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.identity import resolve_after_people_import
from learnledger.ingest import (
    MAPPINGS_DIR,
    Importer,
    ImportReport,
    import_statement_file,
    rejections_of,
)
from learnledger.lrs.statement_store import StatementStore
from learnledger.storage import Engine, Migrator

XAPI_ENTITY = "xapi_statements"
#: Entities whose import can link statement actors to people (identity resolution runs after).
IDENTITY_ENTITIES = {"people", "identities"}

_SHOWN_REJECTIONS = 20


def import_(
    ctx: typer.Context,
    entity: Annotated[str, typer.Argument(help="Canonical entity written, e.g. people.")],
    source: Annotated[str, typer.Argument(help="File to read, or a database URL (with --query).")],
    mapping: Annotated[
        str | None,
        typer.Option(
            "--mapping",
            "-m",
            help="Mapping YAML file, or a shipped mapping name (not for xapi_statements).",
        ),
    ] = None,
    source_id: Annotated[
        str | None, typer.Option("--source", help="Registered data source id.")
    ] = None,
    query: Annotated[str | None, typer.Option(help="SQL query for a database source.")] = None,
    actor: Annotated[
        str | None, typer.Option(help="Who runs the import (default: OS user).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; write nothing.")
    ] = False,
) -> None:
    """Import SOURCE into ENTITY: check every row, upsert the good ones, quarantine the rest."""
    settings = settings_from(ctx)
    if entity == XAPI_ENTITY:
        _import_statements(settings, Path(source), source_id, actor)
        return
    if mapping is None:
        raise fail("--mapping is required (except for xapi_statements)")
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        with step_progress() as progress:
            report = Importer(engine, AuditLog(engine, load_key_ring(settings))).run(
                source,
                _mapping_path(mapping),
                entity=entity,
                source_id=source_id,
                actor=actor,
                dry_run=dry_run,
                query=query,
                progress=progress,
            )
        _print_report(engine, report)
        if report.status == "succeeded" and IDENTITY_ENTITIES & report.entities.keys():
            print_resolution_after_import(resolve_after_people_import(engine))


def _import_statements(
    settings: Settings, path: Path, source_id: str | None, actor: str | None
) -> None:
    if source_id is None:
        raise fail("--source is required for xapi_statements")
    authority = {
        "objectType": "Agent",
        "name": "LearnLedger import",
        "account": {"homePage": settings.lrs_base_url, "name": f"import:{source_id}"},
    }
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        statements = StatementStore(engine)

        def store(batch: list[dict[str, Any]]) -> list[str]:
            return statements.store(batch, authority=authority, version="2.0.0")

        report = import_statement_file(
            engine,
            path,
            store,
            source_id=source_id,
            actor=actor,
            audit=AuditLog(engine, load_key_ring(settings)),
        )
        _print_report(engine, report)


def _mapping_path(name: str) -> Path:
    path = Path(name)
    shipped = MAPPINGS_DIR / f"{name}.yml"
    return shipped if not path.exists() and shipped.exists() else path


def _print_report(engine: Engine, report: ImportReport) -> None:
    title = f"Import {report.run_id} ({report.status}) of {report.location}"
    table = Table(title=title)
    for column in ("entity", "read", "inserted", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for name, counts in report.entities.items():
        main = name == report.entity
        table.add_row(
            name,
            str(report.rows_read) if main else "",
            str(counts.inserted),
            str(counts.updated),
            str(counts.unchanged),
            str(report.rows_rejected) if main else "",
        )
    console.print(table)
    if report.rejected_by_reason:
        reasons = Table(title="Rejections by reason")
        reasons.add_column("column: reason")
        reasons.add_column("rows", justify="right")
        for reason, count in report.rejected_by_reason.items():
            reasons.add_row(reason, str(count))
        console.print(reasons)
    if report.status == "dry_run":
        console.print("Dry run: nothing was written.")
        return
    if report.rows_rejected:
        rows = Table(title=f"Quarantined (first {_SHOWN_REJECTIONS})")
        for column in ("row", "column", "value", "reason"):
            rows.add_column(column)
        for rejection in rejections_of(engine, report.run_id, limit=_SHOWN_REJECTIONS):
            rows.add_row(
                str(rejection.row_number),
                rejection.column_name or "",
                rejection.value or "",
                rejection.reason,
            )
        console.print(rows)
