"""`learnledger config`: show the effective settings."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from learnledger.cli.common import console, settings_from
from learnledger.config import config_file_path

app = typer.Typer(help="Inspect settings.", no_args_is_help=True)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            rows += _flatten(value, f"{name}.")
        else:
            rows.append((name, value))
    return rows


@app.command("show")
def show(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the effective settings (secrets and passwords masked) and where they come from."""
    settings = settings_from(ctx)
    data = settings.masked()
    if as_json:
        typer.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    path = config_file_path()
    table = Table(title=f"Effective settings (config file: {path or 'none'})")
    # long names fold onto a second line instead of being cut off on narrow terminals
    table.add_column("setting", overflow="fold")
    table.add_column("environment variable", overflow="fold", min_width=26)
    table.add_column("value", overflow="fold")
    for name, value in _flatten(data):
        variable = "LEARNLEDGER_" + name.upper().replace(".", "__")
        table.add_row(name, variable, "" if value is None else str(value))
    console.print(table)
