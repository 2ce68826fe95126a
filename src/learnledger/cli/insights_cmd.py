"""`learnledger insights`: diagnostic, predictive and prescriptive analytics, workforce planning
and the maturity assessment (each area registers its commands here from its own module)."""

from __future__ import annotations

import typer

from learnledger.cli import (
    insights_diagnose_cmd,
    insights_maturity_cmd,
    insights_recommend_cmd,
    insights_risk_cmd,
    insights_workforce_cmd,
)

app = typer.Typer(
    help="Insights: diagnostics, early warning, recommendations, workforce planning, maturity.",
    no_args_is_help=True,
)
app.add_typer(insights_diagnose_cmd.app, name="diagnose")
app.add_typer(insights_risk_cmd.app, name="risk")
app.add_typer(insights_recommend_cmd.app, name="recommend")
app.add_typer(insights_workforce_cmd.app, name="workforce")
app.command("maturity")(insights_maturity_cmd.maturity)
