"""`learnledger governance`: retention enforcement, data subject requests and the summary."""

from __future__ import annotations

import typer

from learnledger.cli import (
    governance_retention_cmd,
    governance_subjects_cmd,
    governance_summary_cmd,
)

app = typer.Typer(
    help="Governance: retention, data subject requests (export, erasure), the summary.",
    no_args_is_help=True,
)
governance_summary_cmd.register(app)
governance_retention_cmd.register(app)
governance_subjects_cmd.register(app)
