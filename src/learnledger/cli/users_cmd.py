"""`learnledger users`: Users of the web app and API: add, list, disable, set-role."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Users of the web app and API: add, list, disable, set-role.", no_args_is_help=True
)
