"""`learnledger demo`: build the demo organisation (or reuse it), then serve it;
`learnledger demo export DIR`: write it as the files its source systems would export."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, progress_bar, settings_from
from learnledger.cli.serve_cmd import run_server
from learnledger.demo.export import export_demo
from learnledger.demo.lifecycle import DemoRequest, DemoState, inspect_demo, rebuild_demo
from learnledger.demo.users import DemoUser, ensure_demo_users
from learnledger.errors import LearnLedgerError
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import UserDirectory
from learnledger.storage import Migrator

app = typer.Typer(
    help="Build the synthetic demo company (or export it as source-system files).",
    invoke_without_command=True,
    no_args_is_help=False,
)


@app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    people: Annotated[int | None, typer.Option(help="Employees (default 5,000).")] = None,
    months: Annotated[int | None, typer.Option(help="Months of history (default 24).")] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed (default 7).")] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Rebuild even when the same demo is already built.")
    ] = False,
    force: Annotated[
        bool,
        typer.Option("--force", help="Replace a database that holds data other than a demo."),
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the web server afterwards.")
    ] = True,
    port: Annotated[int | None, typer.Option(help="Port for the web server.")] = None,
) -> None:
    """Build the synthetic demo company with known ground truth, then open it in the browser."""
    if ctx.invoked_subcommand is not None:
        return
    settings = settings_from(ctx)
    request = DemoRequest(
        people=people or settings.demo.people,
        months=months or settings.demo.months,
        seed=settings.demo.seed if seed is None else seed,
    )
    try:
        state = inspect_demo(settings.database_url, request)
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc
    if state is DemoState.FOREIGN_DATA and not force:
        raise fail(
            "the database holds data that is not a LearnLedger demo; pass --force to replace it "
            "or choose another with --database-url"
        )
    if state is DemoState.SAME_DEMO and not rebuild:
        console.print("The same demo is already built; reusing it (--rebuild builds it again).")
    else:
        started = time.perf_counter()
        try:
            with progress_bar() as progress:
                summary = rebuild_demo(settings.database_url, request, progress=progress)
        except LearnLedgerError as exc:
            raise fail(str(exc)) from exc
        elapsed = time.perf_counter() - started
        console.print(
            f"Built the demo company: {summary.people:,} people, {summary.statements:,} xAPI "
            f"statements, {summary.programmes} programmes in {elapsed:.1f} s."
        )
        console.print(f"Ground truth: {summary.ground_truth_path}")
    password = secrets.token_urlsafe(12)
    with engine_for(settings) as engine:
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        users = ensure_demo_users(directory, password)
    _print_demo_users(users, password)
    if serve:
        overrides: dict[str, object] = {"port": port} if port else {}
        if settings.host in LOOPBACK_HOSTS:
            # Plain HTTP on this machine only: some browsers drop Secure cookies there.
            overrides["cookie_secure"] = False
        run_server(settings.model_copy(update=overrides))


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _print_demo_users(users: list[DemoUser], password: str) -> None:
    table = Table("username", "role", "sees", title="Sign in as any of these demo users")
    for user in users:
        scope = user.scope
        sees = (
            f"org unit {scope.org_unit_id} and below"
            if scope.org_unit_id
            else f"programme {', '.join(scope.programme_ids)}"
            if scope.programme_ids
            else f"person {scope.person_id}"
            if scope.person_id
            else "the whole organisation"
        )
        table.add_row(user.username, user.role.value.replace("_", " "), sees)
    console.print(table)
    console.print(f"Password of every demo user (new on each run): [bold]{password}[/]")


@app.command("export")
def export(
    ctx: typer.Context,
    directory: Annotated[Path, typer.Argument(help="Directory to write the export files into.")],
) -> None:
    """Write the demo company as its source systems' export files, with mappings to import them."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        with progress_bar() as progress:
            summary = export_demo(engine, directory, progress=progress)
        AuditLog(engine, load_key_ring(settings)).append(
            actor=cli_actor().audit_name,
            action="export",
            target="demo_export",
            details={"files": len(summary.files), "rows": sum(f.rows for f in summary.files)},
        )
    rows = sum(f.rows for f in summary.files)
    console.print(f"Wrote {len(summary.files)} export files ({rows:,} rows) to {directory}.")
    console.print(f"Import them into another database with: sh {directory / 'import.sh'}")
