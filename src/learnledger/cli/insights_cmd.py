"""`learnledger insights`: diagnostic, predictive and prescriptive analytics, workforce planning
and the maturity assessment (each area registers its commands here)."""

from __future__ import annotations

import typer

from learnledger.cli import insights_maturity_cmd, insights_workforce_cmd

app = typer.Typer(
    help="Insights: workforce planning, maturity and other analyses.", no_args_is_help=True
)
app.add_typer(insights_workforce_cmd.app, name="workforce")
app.command("maturity")(insights_maturity_cmd.maturity)
