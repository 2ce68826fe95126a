"""`learnledger insights maturity`: the organisation's learning-analytics maturity level, the
evidence for each criterion and the next steps."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import orjson
import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, settings_from
from learnledger.governance.actors import cli_actor
from learnledger.governance.consent import ANALYTICS
from learnledger.insights.maturity import assessment_for
from learnledger.storage import Migrator


class Format(StrEnum):
    """Output formats."""

    TABLE = "table"
    JSON = "json"


def maturity(
    ctx: typer.Context,
    output: Annotated[
        Format, typer.Option("--format", "-f", help="table or json.", case_sensitive=False)
    ] = Format.TABLE,
) -> None:
    """Assess learning-analytics maturity (1 reporting, 2 analysis, 3 integration,
    4 optimisation, 5 prediction) from what is connected and used, with next steps."""
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        result = assessment_for(
            engine,
            cli_actor(),
            min_group_size=settings.min_group_size,
            consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        )
    if output is Format.JSON:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    console.print(f"[bold]Maturity level {result.level}: {result.level_name}[/]")
    table = Table(title="Criteria")
    for column in ("level", "criterion", "met", "evidence"):
        table.add_column(column)
    for c in result.criteria:
        table.add_row(f"{c.level} {c.level_name}", c.title, "yes" if c.met else "no", c.evidence)
    console.print(table)
    console.print("[bold]Next steps[/]")
    for step in result.next_steps:
        console.print(f"- ({step.level}) {step.title}: {step.next_step}")
