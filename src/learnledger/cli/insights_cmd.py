"""`learnledger insights`: diagnostic, predictive and prescriptive analytics.

Each area registers its own sub-group here from its own module.
"""

from __future__ import annotations

import typer

from learnledger.cli import insights_risk_cmd

app = typer.Typer(
    help="Insights: early warning, diagnostics, recommendations, planning.",
    no_args_is_help=True,
)
app.add_typer(insights_risk_cmd.app, name="risk")
