"""`learnledger governance` commands: data subject requests: export and erasure."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.governance.actors import cli_actor
from learnledger.governance.erasure import ErasureReport, erase_person
from learnledger.governance.keys import load_key_ring
from learnledger.governance.person_data import files_mentioning, find_subject, search_needles
from learnledger.governance.subject_access import (
    export_paths,
    export_person,
    source_details,
    write_export,
)
from learnledger.storage import Engine, Migrator

PersonId = Annotated[
    str, typer.Argument(metavar="PERSON_ID", help="The person's internal id (people.person_id).")
]


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `governance` group."""
    app.command("export-person")(export_person_command)
    app.command("erase-person")(erase_person_command)


def export_person_command(
    ctx: typer.Context,
    person_id: PersonId,
    out: Annotated[
        Path, typer.Option("--out", help="Folder to write person.json and summary.md into.")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite person.json and summary.md.")
    ] = False,
) -> None:
    """Export everything held about a person: person.json (complete) and summary.md."""
    settings = settings_from(ctx)
    with _engine(ctx) as engine:
        export_paths(out, force=force)  # refuse before anything is exported and audited
        export = export_person(engine, load_key_ring(settings), person_id, actor=cli_actor())
        paths = write_export(export, out, sources=source_details(engine), force=force)
    held = {name: n for name, n in export.counts().items() if n}
    console.print(f"Exported {sum(held.values())} rows about {person_id} from {len(held)} tables:")
    for name, n in held.items():
        console.print(f"  {name}: {n}")
    console.print("Wrote " + ", ".join(str(p) for p in paths), soft_wrap=True)


def erase_person_command(
    ctx: typer.Context,
    person_id: PersonId,
    reason: Annotated[
        str,
        typer.Option("--reason", help="Why (e.g. the request reference; no personal data)."),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
    delete_learning_records: Annotated[
        bool,
        typer.Option(
            "--delete-learning-records",
            help="Delete enrolments, results, ratings and learning events too, instead of "
            "keeping them anonymised so that aggregates stay the same.",
        ),
    ] = False,
    check_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--check-dir",
            help="Afterwards, list files under this folder that still name the person "
            "(e.g. demo exports). Repeatable.",
        ),
    ] = None,
) -> None:
    """Erase a person everywhere, leaving only a tombstone and an audit entry."""
    settings = settings_from(ctx)
    with _engine(ctx) as engine:
        needles = search_needles(find_subject(engine, person_id)) if check_dir else []
        if not yes and not typer.confirm(
            f"Erase person {person_id} from every table? This cannot be undone."
        ):
            raise fail("erasure cancelled; nothing was changed")
        report = erase_person(
            engine,
            load_key_ring(settings),
            person_id,
            reason=reason,
            actor=cli_actor(),
            keep_aggregates=not delete_learning_records,
        )
    _print_report(person_id, report)
    if check_dir:
        left = files_mentioning(check_dir, needles)
        if left:
            console.print(f"[bold yellow]{len(left)} files still name the person:[/]")
            for path in left:
                console.print(f"  {path}", soft_wrap=True)
        else:
            console.print("No file under the checked folders names the person.")


@contextmanager
def _engine(ctx: typer.Context) -> Iterator[Engine]:
    """The configured engine, migrated; LearnLedger errors become `error:` and exit 1."""
    with engine_for(settings_from(ctx)) as engine:
        Migrator(engine).migrate()
        yield engine


def _print_report(person_id: str, report: ErasureReport) -> None:
    table = Table(title=f"Erasure {report.erasure_id}")
    table.add_column("table")
    table.add_column("action")
    table.add_column("rows", justify="right")
    for action, counts in (
        ("deleted", report.deleted),
        ("anonymised", report.anonymised),
        ("cleared", report.cleared),
        ("rewritten", report.rewritten),
    ):
        for name, n in sorted(counts.items()):
            table.add_row(name, action, str(n))
    console.print(table)
    console.print(
        f"Erased {person_id}: {report.tombstones} identifiers kept as keyed fingerprints."
    )
    if report.placeholder_person_id:
        console.print(
            f"Learning records kept for aggregates belong to {report.placeholder_person_id}."
        )
