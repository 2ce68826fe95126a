"""`learnledger insights` commands: diagnostic, predictive and prescriptive analytics."""

from __future__ import annotations

import typer

from learnledger.cli import insights_recommend_cmd

app = typer.Typer(help="Insights: diagnostics, early warning and recommendations.")
app.add_typer(insights_recommend_cmd.app, name="recommend")
