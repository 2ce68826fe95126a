"""`learnledger governance` commands: the governance summary."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `governance` group."""
