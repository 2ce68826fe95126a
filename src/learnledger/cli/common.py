"""What every command shares: settings, engine opening, errors to exit codes, progress bars."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from learnledger.config import Settings, load_settings
from learnledger.errors import LearnLedgerError
from learnledger.storage import Engine, open_engine

console = Console()
error_console = Console(stderr=True)

ProgressCallback = Callable[[str, int, int], None]


def settings_from(ctx: typer.Context) -> Settings:
    """The settings built by the root callback (with its --database-url override)."""
    settings = ctx.obj
    if not isinstance(settings, Settings):
        settings = load_settings()
        ctx.obj = settings
    return settings


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print `message` as an error and return the Exit to raise."""
    error_console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


@contextmanager
def engine_for(settings: Settings) -> Iterator[Engine]:
    """Open the engine named by the settings, turning storage errors into a clean exit."""
    try:
        engine = open_engine(settings.database_url)
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc
    try:
        yield engine
    except LearnLedgerError as exc:
        raise fail(str(exc)) from exc
    finally:
        engine.close()


@contextmanager
def progress_bar() -> Iterator[ProgressCallback]:
    """A Rich progress display driven by a `(stage, done, total)` callback, one bar per stage."""
    columns: list[Any] = [
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=max(total, 1))
            progress.update(tasks[stage], completed=done, total=max(total, 1))

        yield update


@contextmanager
def step_progress() -> Iterator[ProgressCallback]:
    """One Rich progress bar for work reported as `(step name, steps done, steps in all)`: the
    bar's label follows the current step."""
    columns: list[Any] = [
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("starting", total=1)

        def update(step: str, done: int, total: int) -> None:
            progress.update(task, description=step, completed=done, total=max(total, 1))

        yield update


def date_option(value: str | None, option: str) -> dt.date | None:
    """Parse an optional YYYY-MM-DD option value; a bad one is a usage error naming `option`."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option
        ) from exc
