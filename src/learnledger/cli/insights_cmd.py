"""`learnledger insights`: diagnostic, predictive and prescriptive analytics."""

from __future__ import annotations

import typer

from learnledger.cli import insights_diagnose_cmd, insights_recommend_cmd

app = typer.Typer(
    help="Insights: diagnostics, early warning, recommendations.", no_args_is_help=True
)
app.add_typer(insights_diagnose_cmd.app, name="diagnose")
app.add_typer(insights_recommend_cmd.app, name="recommend")
