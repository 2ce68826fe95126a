"""`learnledger audit`: The tamper-evident audit log: verify and list."""

from __future__ import annotations

import typer

app = typer.Typer(help="The tamper-evident audit log: verify and list.", no_args_is_help=True)
