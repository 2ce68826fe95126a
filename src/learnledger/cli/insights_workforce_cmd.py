"""`learnledger insights workforce forecast`: skill supply per role, skill and quarter against
the requirements and the headcount plan."""

from __future__ import annotations

import csv
import datetime as dt
import io
from enum import StrEnum
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from learnledger.cli.common import console, date_option, engine_for, settings_from
from learnledger.governance.actors import cli_actor
from learnledger.governance.consent import ANALYTICS
from learnledger.insights.workforce import COLUMNS, ForecastRequest, forecast_for
from learnledger.storage import Migrator

app = typer.Typer(
    help="Workforce planning: skill supply forecasts by quarter.", no_args_is_help=True
)


class Format(StrEnum):
    """Output formats."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


_TABLE_COLUMNS = (
    ("role_id", "role"), ("skill_id", "skill"), ("required_level", "level"),
    ("quarter", "quarter"), ("planned_headcount", "planned"), ("headcount", "headcount"),
    ("meeting_now", "meet now"), ("in_training", "training"),
    ("expected_supply", "supply"), ("supply_low", "low"), ("supply_high", "high"),
    ("gap", "gap"), ("coverage", "coverage"),
)  # fmt: skip


@app.command("forecast")
def forecast(
    ctx: typer.Context,
    role: Annotated[str | None, typer.Option("--role", help="Only this role id.")] = None,
    quarters: Annotated[
        int, typer.Option("--quarters", help="Quarters to forecast, from the current one.")
    ] = 4,
    org_unit: Annotated[
        str | None, typer.Option("--org-unit", help="Only this org unit and the units below.")
    ] = None,
    plan: Annotated[
        str | None,
        typer.Option("--plan", help="Headcount plan version (default: the latest updated)."),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Forecast date, YYYY-MM-DD (default today).")
    ] = None,
    output: Annotated[
        Format, typer.Option("--format", "-f", help="table, csv or json.", case_sensitive=False)
    ] = Format.TABLE,
) -> None:
    """Forecast, per role, skill and quarter, how many people will meet the required level
    (current ratings, open training with its measured gain and completion rate, known hires
    and leavers) against the planned headcount, and the gap."""
    settings = settings_from(ctx)
    request = ForecastRequest(
        as_of=date_option(as_of, "--as-of") or dt.datetime.now(dt.UTC).date(),
        quarters=quarters,
        role_id=role,
        org_unit_id=org_unit,
        plan_name=plan,
        fiscal_start=settings.fiscal_year_start_month,
        min_group_size=settings.min_group_size,
        consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        result = forecast_for(engine, cli_actor(), request)
    if output is Format.JSON:
        typer.echo(orjson.dumps(result.as_dict(), option=orjson.OPT_INDENT_2).decode())
        return
    rows = [r.__dict__ for r in result.rows]
    if output is Format.CSV:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([_text(row[c]) for c in COLUMNS] for row in rows)
        typer.echo(buffer.getvalue(), nl=False)
        return
    table = Table(title=f"Skill supply forecast ({result.scope}, as of {result.as_of})")
    for _, header in _TABLE_COLUMNS:
        table.add_column(
            header, justify="left" if header in ("role", "skill", "quarter") else "right"
        )
    for row in rows:
        table.add_row(*(_text(row[c]) for c, _ in _TABLE_COLUMNS))
    console.print(table)
    for note in result.notes:
        console.print(f"- {note}")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
