"""Model cards: what a stored model is for, what it learned from, how well it did, its limits.

One card per stored model, as JSON (kept in the model's row, signed with it) and as Markdown.
"""

from __future__ import annotations

from typing import Any

from learnledger.insights.early_warning.features import FEATURE_DESCRIPTIONS, FEATURES

INTENDED_USE = (
    "Rank the enrolments of running courses by their risk of not completing (or of missing "
    "a performance objective) so that tutors and managers can offer help early, within an "
    "alert budget; always with a person deciding. Not for grading, selection, appraisal or "
    "any decision about a person without human review."
)

LIMITS = (
    "Learns from the organisation's own past cohorts: a new course, a new audience or a "
    "changed design can make it wrong; retrain after such changes and re-read the validation.",
    "Scores describe association, not cause: a factor that raises a risk is not necessarily "
    "what to change.",
    "Assessment scores count from the day of submission; where marks arrive later (OULAD "
    "tutor-marked assignments), a live system knows them later than the model assumes.",
    "Enrolments already withdrawn at a cut-off are easy to call; the 'still registered' "
    "metrics show the harder, actionable part.",
    "People who withdrew consent to analytics are left out of training and scoring.",
)


def model_card(
    *,
    model_id: str,
    kind: str,
    target: str,
    days: tuple[int, ...],
    data: dict[str, Any],
    validation: dict[str, Any],
    references: dict[str, list[float | None]],
    refit_on_all: bool,
    names: tuple[str, ...] = FEATURES,
) -> dict[str, Any]:
    """The card of one model as JSON-ready data."""
    return {
        "model_id": model_id,
        "kind": kind,
        "target": target,
        "target_definition": _target_definition(target),
        "intended_use": INTENDED_USE,
        "cutoff": {
            "days": list(days),
            "definition": "day 0 is the start of the enrolment's cohort, else the enrolment "
            "date; at day d only records dated before day 0 + d are used",
        },
        "features": [{"name": n, "description": FEATURE_DESCRIPTIONS.get(n, n)} for n in names],
        "data": data,
        "validation": validation,
        "trained_on": "all labelled enrolments (after validation on the temporal split)"
        if refit_on_all
        else "the training part of the temporal split only",
        "explanations": "contribution = risk minus the risk with the feature set to the median "
        "of the training rows at the same cut-off day (references)",
        "references": references,
        "limits": list(LIMITS),
    }


def _target_definition(target: str) -> str:
    if target == "performance":
        return (
            "1 when the person misses a programme objective on a performance metric within "
            "its months (change from the person's baseline for % objectives, the value "
            "otherwise, in the metric's good direction); 0 when they meet it"
        )
    return "1 when the enrolment ends failed, withdrawn or cancelled; 0 when completed"


def card_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown."""
    lines = [
        f"# Model card: {card['model_id']}",
        "",
        f"- **Model**: {card['kind']}",
        f"- **Predicts**: {card['target_definition']}",
        f"- **Intended use**: {card['intended_use']}",
        f"- **Cut-off**: days {', '.join(str(d) for d in card['cutoff']['days'])}; "
        f"{card['cutoff']['definition']}",
        f"- **Trained on**: {card['trained_on']}",
        "",
        "## Data",
        "",
    ]
    lines += [f"- {key.replace('_', ' ')}: {value}" for key, value in card["data"].items()]
    validation = card["validation"]
    lines += [
        "",
        "## Validation (temporal split)",
        "",
        f"Trained on enrolments whose day 0 is before {validation['test_from']}, tested on "
        f"the later ones ({validation['test_enrolments']} enrolments); alert budget "
        f"{validation['budget']:.0%} flagged.",
        "",
        "| day | population | model | AUC | precision | recall | Brier |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    for population in ("all_enrolments", "still_registered"):
        for kind, by_day in validation[population].items():
            for day, metrics in by_day.items():
                lines.append(
                    f"| {day} | {population.replace('_', ' ')} | {kind} | {_f(metrics['auc'])} "
                    f"| {_f(metrics['precision_at_budget'])} | {_f(metrics['recall_at_budget'])} "
                    f"| {_f(metrics['brier'])} |"
                )
    lines += ["", "## Features", ""]
    lines += [f"- `{f['name']}`: {f['description']}" for f in card["features"]]
    lines += ["", "## Explanations", "", card["explanations"], "", "## Limits", ""]
    lines += [f"- {limit}" for limit in card["limits"]]
    return "\n".join(lines) + "\n"


def _f(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"
