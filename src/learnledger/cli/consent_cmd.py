"""`learnledger consent`: Consent per person and purpose: record, show, report."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Consent per person and purpose: record, show, report.", no_args_is_help=True
)
