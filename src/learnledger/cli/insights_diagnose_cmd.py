"""`learnledger insights diagnose`: funnels, item analysis, skill gaps, segment comparisons,
engagement patterns and audience profiles (`learnledger.insights.diagnostics`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from learnledger.cli.common import console, date_option, engine_for, fail, settings_from
from learnledger.config import Settings
from learnledger.governance.actors import cli_actor
from learnledger.governance.consent import ANALYTICS, INDIVIDUAL_REPORTING
from learnledger.insights.diagnostics import (
    FunnelRules,
    ItemRules,
    Viewer,
    aggregate_population,
    as_dict,
    audience_profile,
    compare_segments,
    course_funnel,
    engagement_patterns,
    individual_population,
    item_analysis,
    skill_gap_report,
)
from learnledger.insights.diagnostics.report import DiagnosticResult
from learnledger.storage import Engine, Migrator

app = typer.Typer(
    help="Diagnostics: why things happened (funnels, items, skill gaps, comparisons, "
    "engagement, audiences).",
    no_args_is_help=True,
)

FORMATS = ("table", "csv", "json")
Format = Annotated[str, typer.Option("--format", help="table, csv or json.")]
TableName = Annotated[
    str | None, typer.Option("--table", help="Only this table (csv: default the first).")
]
Filters = Annotated[
    list[str] | None,
    typer.Option(
        "--filter",
        help="KEY=VALUE, repeatable: org_unit, role, location, cohort, programme, course, person.",
    ),
]


def _viewer(settings: Settings) -> Viewer:
    return Viewer(
        cli_actor(),
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        individual_opt_in=INDIVIDUAL_REPORTING in settings.consent_opt_in_purposes,
    )


def _filters(items: list[str] | None) -> dict[str, str]:
    filters = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--filter")
        filters[key.strip()] = value.strip()
    return filters


def _run(
    ctx: typer.Context,
    output: str,
    table: str | None,
    build: Callable[[Engine, Settings], DiagnosticResult],
) -> None:
    if output not in FORMATS:
        raise typer.BadParameter(
            f"{output!r} is not one of {', '.join(FORMATS)}", param_hint="--format"
        )
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        with console.status("analysing ..."):
            result = build(engine, settings)
    _print(as_dict(result), output, table)


def _print(data: dict[str, Any], output: str, table: str | None) -> None:
    tables: dict[str, list[dict[str, Any]]] = data["tables"]
    if table is not None and table not in tables:
        raise fail(f"no table {table!r}; this result has {', '.join(tables)}")
    if output == "json":
        chosen = {table: tables[table]} if table else tables
        typer.echo(json.dumps({"summary": data["summary"], "tables": chosen}, indent=2))
        return
    if output == "csv":
        rows = tables[table or next(iter(tables))]
        if rows:
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            typer.echo(buffer.getvalue(), nl=False)
        return
    summary = Table(title="Summary", show_header=False)
    for key, value in data["summary"].items():
        summary.add_row(key, _cell(value))
    console.print(summary)
    for name, rows in tables.items():
        if table is not None and name != table:
            continue
        grid = Table(title=f"{name} ({len(rows)} rows)")
        for column in rows[0] if rows else ["(empty)"]:
            grid.add_column(column)
        for row in rows:
            grid.add_row(*(_cell(v) for v in row.values()))
        console.print(grid)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@app.command("funnel")
def funnel(
    ctx: typer.Context,
    course_id: Annotated[str, typer.Argument(help="Course id.")],
    flag_rate: Annotated[
        float, typer.Option(help="Flag modules whose stop rate is at least this.")
    ] = 0.10,
    flag_top: Annotated[int, typer.Option(help="Flag at most this many modules.")] = 3,
    filters: Filters = None,
    output: Format = "table",
    table: TableName = None,
) -> None:
    """Where people stop in a course: by module, by last activity, by video position."""

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        people = aggregate_population(engine, _viewer(settings), _filters(filters))
        return course_funnel(
            engine, course_id, people, min_group_size=settings.min_group_size,
            rules=FunnelRules(flag_rate, flag_top),
        )  # fmt: skip

    _run(ctx, output, table, build)


@app.command("items")
def items(
    ctx: typer.Context,
    assessment_id: Annotated[str, typer.Argument(help="Assessment id.")],
    source: Annotated[str, typer.Option(help="auto, item_responses or xapi.")] = "auto",
    min_attempts: Annotated[
        int, typer.Option(help="Flag items only with this many attempts.")
    ] = 20,
    filters: Filters = None,
    output: Format = "table",
    table: TableName = None,
) -> None:
    """Item analysis: difficulty, discrimination, distractors, reliability, items to fix."""

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        people = aggregate_population(engine, _viewer(settings), _filters(filters))
        return item_analysis(
            engine, assessment_id, people, min_group_size=settings.min_group_size,
            source=source, rules=ItemRules(min_attempts=min_attempts),
        )  # fmt: skip

    _run(ctx, output, table, build)


@app.command("skill-gaps")
def skill_gaps(
    ctx: typer.Context,
    level: Annotated[str, typer.Option(help="person, team, manager or role.")] = "role",
    as_of: Annotated[str | None, typer.Option(help="Ratings up to this day (YYYY-MM-DD).")] = None,
    filters: Filters = None,
    output: Format = "table",
    table: TableName = None,
) -> None:
    """Skill gaps against role requirements, per person, team, manager's reports or role."""
    day = date_option(as_of, "--as-of")

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        viewer = _viewer(settings)
        if level == "person":
            people, _ = individual_population(engine, viewer, _filters(filters))
        else:
            people = aggregate_population(engine, viewer, _filters(filters))
        return skill_gap_report(
            engine, people, level=level, min_group_size=settings.min_group_size, as_of=day
        )

    _run(ctx, output, table, build)


@app.command("compare")
def compare(
    ctx: typer.Context,
    outcome: Annotated[
        str,
        typer.Argument(
            help="completion, score, learning_hours, performance:<metric_id> or "
            "proficiency:<skill_id>."
        ),
    ],
    by: Annotated[
        str, typer.Option(help="role, cohort, programme, org_unit or location.")
    ] = "role",
    correction: Annotated[
        str | None, typer.Option(help="holm or bh (default: the comparison_correction setting).")
    ] = None,
    test: Annotated[
        str, typer.Option(help="auto, welch_t or mann_whitney (values only).")
    ] = "auto",
    alpha: Annotated[
        float, typer.Option(help="Significance level of the adjusted p-values.")
    ] = 0.05,
    since: Annotated[str | None, typer.Option(help="From this day (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this day (YYYY-MM-DD).")] = None,
    org_parent: Annotated[
        str | None, typer.Option(help="With --by org_unit: the units below this one.")
    ] = None,
    filters: Filters = None,
    output: Format = "table",
    table: TableName = None,
) -> None:
    """Compare an outcome across segments: tests, effect sizes, corrected p-values."""
    start, end = date_option(since, "--since"), date_option(until, "--until")

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        people = aggregate_population(engine, _viewer(settings), _filters(filters))
        return compare_segments(
            engine, outcome, by, people, min_group_size=settings.min_group_size,
            correction=correction or settings.comparison_correction, test=test, alpha=alpha,
            since=start, until=end, org_parent=org_parent,
        )  # fmt: skip

    _run(ctx, output, table, build)


@app.command("engagement")
def engagement(
    ctx: typer.Context,
    course_id: Annotated[str | None, typer.Option("--course", help="Only this course.")] = None,
    gap_minutes: Annotated[
        int | None, typer.Option(help="Session gap (default: session_gap_minutes).")
    ] = None,
    spacing_days: Annotated[float, typer.Option(help="Median gap below this is massed.")] = 1.0,
    as_of: Annotated[str | None, typer.Option(help="Up to this day (YYYY-MM-DD).")] = None,
    people: Annotated[bool, typer.Option("--people", help="List each person too.")] = False,
    filters: Filters = None,
    output: Format = "table",
    table: TableName = None,
) -> None:
    """Engagement patterns: sessions, length, recency, time of day, weekday, spacing."""
    day = date_option(as_of, "--as-of")

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        viewer = _viewer(settings)
        if people:
            chosen, _ = individual_population(engine, viewer, _filters(filters))
        else:
            chosen = aggregate_population(engine, viewer, _filters(filters))
        return engagement_patterns(
            engine, chosen, min_group_size=settings.min_group_size, as_of=day,
            gap_minutes=gap_minutes or settings.session_gap_minutes,
            spacing_days=spacing_days, course_id=course_id, list_people=people,
        )  # fmt: skip

    _run(ctx, output, table, build)


@app.command("audience")
def audience(
    ctx: typer.Context,
    programme_id: Annotated[str, typer.Argument(help="Programme id.")],
    target: Annotated[str, typer.Option(help="enrolled or role_requirements.")] = "enrolled",
    cohort_id: Annotated[str | None, typer.Option("--cohort", help="A (planned) cohort.")] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Start day when there is no cohort or launch date.")
    ] = None,
    lookback_days: Annotated[int, typer.Option(help="Days of engagement before the start.")] = 180,
    filters: Filters = None,
    output: Format = "table",
    table: TableName = None,
) -> None:
    """Who a programme targets and where they start: proficiency, roles, past behaviour."""
    day = date_option(as_of, "--as-of")

    def build(engine: Engine, settings: Settings) -> DiagnosticResult:
        people = aggregate_population(engine, _viewer(settings), _filters(filters))
        return audience_profile(
            engine, programme_id, people, min_group_size=settings.min_group_size,
            target=target, cohort_id=cohort_id, as_of=day, lookback_days=lookback_days,
        )  # fmt: skip

    _run(ctx, output, table, build)
