"""`learnledger governance` commands: data subject requests: export and erasure."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `governance` group."""
