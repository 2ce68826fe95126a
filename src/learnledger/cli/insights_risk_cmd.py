"""`learnledger insights risk`: train, validate, score, explain and describe the early-warning
models (risk of not completing an enrolment)."""

from __future__ import annotations

import csv
import datetime as dt
import sys
from typing import Annotated, Any

import orjson
import typer
from rich.table import Table

from learnledger.cli.common import (
    console,
    date_option,
    engine_for,
    fail,
    settings_from,
    step_progress,
)
from learnledger.config import Settings
from learnledger.governance.consent import ANALYTICS
from learnledger.governance.keys import load_key_ring
from learnledger.insights.early_warning.card import card_markdown
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.models import ModelKind
from learnledger.insights.early_warning.scoring import (
    RiskRequest,
    RiskScores,
    analytics_scope,
    enrolment_risks,
)
from learnledger.insights.early_warning.store import ModelStore
from learnledger.insights.early_warning.training import (
    TrainingRequest,
    train_models,
    validate_models,
)
from learnledger.insights.early_warning.validation import DEFAULT_BUDGET, ValidationReport
from learnledger.storage import Migrator

app = typer.Typer(
    help="Early warning: risk of not completing, per enrolment.", no_args_is_help=True
)

Days = Annotated[str, typer.Option("--days", help="Cut-off days after day 0, comma-separated.")]
TestFrom = Annotated[
    str | None,
    typer.Option(
        "--test-from",
        help="Temporal split: enrolments whose day 0 is on or after this date (YYYY-MM-DD) "
        "are the test set (default: the latest 30 % of course starts).",
    ),
]
Budget = Annotated[
    float, typer.Option("--budget", min=0.01, max=1.0, help="Share of enrolments flagged.")
]
Courses = Annotated[
    list[str] | None, typer.Option("--course", help="Limit to a course (repeatable).")
]
Format = Annotated[str, typer.Option("--format", help="table, csv or json.")]
Day = Annotated[
    int | None,
    typer.Option("--day", help="Cut-off day after each enrolment's day 0 (default: --on)."),
]
On = Annotated[
    str | None,
    typer.Option("--on", help="Cut-off calendar date YYYY-MM-DD (default: today)."),
]
Target = Annotated[
    str,
    typer.Option(
        "--target",
        help="completion (risk of not completing) or performance (risk of missing a "
        "programme's performance objective).",
    ),
]
Model = Annotated[
    str | None, typer.Option("--model", help="Stored model id (default: the newest).")
]


def _days(value: str) -> tuple[int, ...]:
    try:
        days = tuple(sorted({int(part) for part in value.split(",") if part.strip()}))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a list of whole days", param_hint="--days"
        ) from exc
    if not days or min(days) < 0:
        raise typer.BadParameter("give one or more days >= 0", param_hint="--days")
    return days


def _check_format(output: str, allowed: tuple[str, ...] = ("table", "csv", "json")) -> None:
    if output not in allowed:
        raise typer.BadParameter(
            f"{output!r} is not one of {', '.join(allowed)}", param_hint="--format"
        )


def _scope(settings: Settings, courses: list[str] | None, enrolment: str | None = None) -> Scope:
    return analytics_scope(
        Scope(courses=tuple(courses or ()), enrolment_ids=(enrolment,) if enrolment else ()),
        opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )


def _check_target(target: str) -> None:
    if target not in ("completion", "performance"):
        raise typer.BadParameter(
            f"{target!r} is not completion or performance", param_hint="--target"
        )


def _request(
    settings: Settings,
    days: str,
    test_from: str | None,
    budget: float,
    courses: list[str] | None,
    target: str,
    refit: bool = True,
) -> TrainingRequest:
    _check_target(target)
    return TrainingRequest(
        target=target,
        days=_days(days),
        test_from=date_option(test_from, "--test-from"),
        budget=budget,
        refit_on_all=refit,
        scope=_scope(settings, courses),
    )


@app.command()
def train(
    ctx: typer.Context,
    days: Days = "0,14,28,56,84,140",
    test_from: TestFrom = None,
    budget: Budget = DEFAULT_BUDGET,
    course: Courses = None,
    refit: Annotated[
        bool,
        typer.Option(
            "--refit/--no-refit",
            help="After validation, refit on every labelled enrolment (default) or keep the "
            "models fitted on the earlier cohorts only.",
        ),
    ] = True,
    target: Target = "completion",
    output: Format = "table",
) -> None:
    """Validate on later cohorts, then fit and store the gradient-boosting and logistic-
    regression models (signed, with their model cards)."""
    _check_format(output, ("table", "json"))
    settings = settings_from(ctx)
    request = _request(settings, days, test_from, budget, course, target, refit)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        with step_progress() as progress:
            result = train_models(
                engine,
                load_key_ring(settings),
                request,
                trained_by="cli",
                progress=progress,
            )
    if output == "json":
        sys.stdout.write(
            orjson.dumps(
                {"models": result.model_ids, "validation": result.report.as_json()}
            ).decode()
            + "\n"
        )
        return
    _print_report(result.report)
    for kind, model_id in result.model_ids.items():
        console.print(f"stored {kind}: [bold]{model_id}[/]")


@app.command()
def validate(
    ctx: typer.Context,
    days: Days = "0,14,28,56,84,140",
    test_from: TestFrom = None,
    budget: Budget = DEFAULT_BUDGET,
    course: Courses = None,
    target: Target = "completion",
    output: Format = "table",
) -> None:
    """Temporal validation of both models and the Aspects rule, without storing anything."""
    _check_format(output, ("table", "json"))
    settings = settings_from(ctx)
    request = _request(settings, days, test_from, budget, course, target)
    with engine_for(settings) as engine, step_progress() as progress:
        report = validate_models(engine, request, progress)
    if output == "json":
        sys.stdout.write(orjson.dumps(report.as_json()).decode() + "\n")
        return
    _print_report(report)


@app.command()
def score(
    ctx: typer.Context,
    day: Day = None,
    on: On = None,
    course: Courses = None,
    model: Model = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Rows shown (0: all).")] = 50,
    factors: Annotated[
        int, typer.Option("--factors", min=0, max=10, help="Top factors per enrolment.")
    ] = 3,
    include_closed: Annotated[
        bool,
        typer.Option(
            "--include-closed", help="Also score enrolments completed or withdrawn by then."
        ),
    ] = False,
    target: Target = "completion",
    output: Format = "table",
) -> None:
    """Score enrolments with the stored model on the data as it is now (highest risk first)."""
    _check_format(output)
    _check_target(target)
    settings = settings_from(ctx)
    request = RiskRequest(
        day=day,
        on=date_option(on, "--on"),
        scope=_scope(settings, course),
        model_id=model,
        factors=factors,
        open_only=not include_closed,
        target=target,
    )
    with engine_for(settings) as engine:
        scores = enrolment_risks(engine, load_key_ring(settings), request)
    _print_scores(scores, limit, output)


@app.command()
def explain(
    ctx: typer.Context,
    enrolment: Annotated[str, typer.Argument(help="Enrolment id.")],
    day: Day = None,
    on: On = None,
    model: Model = None,
    factors: Annotated[int, typer.Option("--factors", min=1, max=20)] = 5,
    target: Target = "completion",
    output: Format = "table",
) -> None:
    """One enrolment's risk and the factors that raise it most."""
    _check_format(output, ("table", "json"))
    _check_target(target)
    settings = settings_from(ctx)
    request = RiskRequest(
        day=day,
        on=date_option(on, "--on"),
        scope=_scope(settings, None, enrolment),
        model_id=model,
        factors=factors,
        open_only=False,
        target=target,
    )
    with engine_for(settings) as engine:
        scores = enrolment_risks(engine, load_key_ring(settings), request)
    if not scores.rows:
        raise fail(
            f"no enrolment {enrolment!r} known at {scores.cutoff} (unknown id, enrolled later, "
            "day 0 still ahead, or excluded by consent)"
        )
    row = scores.rows[0]
    if output == "json":
        sys.stdout.write(
            orjson.dumps(
                {**scores.as_json(), "enrolments": None, "enrolment": row.as_json()}
            ).decode()
            + "\n"
        )
        return
    source = scores.method + (f", {scores.model_id}" if scores.model_id else "")
    console.print(
        f"[bold]{row.enrolment_id}[/] ({row.course_id}) at day {row.day}: risk "
        f"[bold]{row.probability:.1%}[/] ({source}); "
        f"Aspects rule {'flags' if row.aspects_flag else 'does not flag'} it"
    )
    table = Table("factor", "value", "typical", "adds to risk", title="What raises the risk")
    for f in row.factors:
        table.add_row(f.description, _num(f.value), _num(f.reference), f"{f.contribution:+.1%}")
    console.print(table)


@app.command()
def card(
    ctx: typer.Context,
    model_id: Annotated[str | None, typer.Argument(help="Model id (default: the newest).")] = None,
    target: Target = "completion",
    output: Annotated[str, typer.Option("--format", help="markdown or json.")] = "markdown",
) -> None:
    """The model card of a stored model."""
    _check_format(output, ("markdown", "json"))
    _check_target(target)
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        store = ModelStore(engine, load_key_ring(settings))
        chosen = model_id or store.latest_id(target, ModelKind.GRADIENT_BOOSTING.value)
        if chosen is None:
            raise fail("no risk model has been trained yet: run `learnledger insights risk train`")
        stored = store.load(chosen)
    if output == "json":
        sys.stdout.write(orjson.dumps(stored.card, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        sys.stdout.write(card_markdown(stored.card))


@app.command("models")
def list_models(ctx: typer.Context, output: Format = "table") -> None:
    """Stored risk models, newest first."""
    _check_format(output)
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        rows = ModelStore(engine, load_key_ring(settings)).list()
    _print_rows(rows, output, "Risk models")


def _print_report(report: ValidationReport) -> None:
    table = Table(
        "day",
        "model",
        "AUC",
        "AUC still registered",
        f"precision @{report.budget:.0%}",
        f"recall @{report.budget:.0%}",
        "Brier",
        title=f"Temporal validation: trained before {report.test_from}, tested on "
        f"{report.test_enrolments} later enrolments",
    )
    for kind, by_day in report.all_enrolments.items():
        for day, e in by_day.items():
            registered = report.still_registered[kind][day]
            table.add_row(
                str(day),
                kind,
                _num(e.auc),
                _num(registered.auc),
                _num(e.precision_at_budget),
                _num(e.recall_at_budget),
                _num(e.brier),
            )
    console.print(table)


def _print_scores(scores: RiskScores, limit: int, output: str) -> None:
    rows = scores.rows[:limit] if limit else scores.rows
    if output == "json":
        data = scores.as_json()
        data["enrolments"] = [r.as_json() for r in rows]
        sys.stdout.write(orjson.dumps(data).decode() + "\n")
        return
    flat = [
        {
            "enrolment_id": r.enrolment_id,
            "person_id": r.person_id,
            "course_id": r.course_id,
            "day": r.day,
            "risk": round(r.probability, 4),
            "aspects_flag": r.aspects_flag,
            "objective_id": r.objective_id or "",
            "top_factors": "; ".join(f.feature for f in r.factors),
        }
        for r in rows
    ]
    title = f"Risk ({scores.method}, {scores.cutoff})"
    _print_rows(flat, output, title)
    if output == "table":
        console.print(f"{len(scores.rows)} enrolments scored; {len(rows)} shown")


def _print_rows(rows: list[dict[str, Any]], output: str, title: str) -> None:
    if output == "json":
        sys.stdout.write(orjson.dumps(rows, default=str).decode() + "\n")
        return
    if output == "csv":
        if not rows:
            return
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(*(rows[0].keys() if rows else ["(none)"]), title=title)
    for row in rows:
        table.add_row(*(_cell(v) for v in row.values()))
    console.print(table)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return "" if value is None else str(value)


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
