"""Train, validate and store the early-warning models (the service behind `risk train`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from learnledger.errors import ValidationError
from learnledger.governance.keys import KeyRing
from learnledger.insights.early_warning.card import model_card
from learnledger.insights.early_warning.dataset import LabelledSet, Progress, labelled_set
from learnledger.insights.early_warning.explain import references_by_day
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.models import LEARNED, ModelKind, fit
from learnledger.insights.early_warning.performance import performance_labelled_set
from learnledger.insights.early_warning.store import ModelStore
from learnledger.insights.early_warning.validation import (
    DEFAULT_BUDGET,
    DEFAULT_DAYS,
    ValidationReport,
    validate,
)
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class TrainingRequest:
    """What to train: cut-off days, split date, alert budget, scope."""

    days: tuple[int, ...] = DEFAULT_DAYS
    test_from: dt.date | None = None
    budget: float = DEFAULT_BUDGET
    seed: int = 0
    refit_on_all: bool = True
    scope: Scope = field(default_factory=Scope)
    #: ``completion`` (not completing the enrolment) or ``performance`` (missing an objective)
    target: str = "completion"


@dataclass(frozen=True)
class TrainingResult:
    """Ids of the stored models and the validation they carry."""

    model_ids: dict[str, str]
    report: ValidationReport


def validate_models(
    engine: Engine, request: TrainingRequest, progress: Progress | None = None
) -> ValidationReport:
    """Validate without storing anything."""
    data = training_data(engine, request, progress)
    return validate(
        data,
        request.days,
        target=request.target,
        test_from=request.test_from,
        budget=request.budget,
        seed=request.seed,
    ).report


def train_models(
    engine: Engine,
    keys: KeyRing,
    request: TrainingRequest,
    *,
    trained_by: str | None,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> TrainingResult:
    """Validate on the temporal split, refit on all labelled rows (unless told not to) and
    store the gradient-boosting and logistic-regression models with their cards."""
    data = training_data(engine, request, progress)
    if progress:
        progress("validating on later cohorts", 0, 1)
    validated = validate(
        data,
        request.days,
        target=request.target,
        test_from=request.test_from,
        budget=request.budget,
        seed=request.seed,
    )
    final: LabelledSet = data if request.refit_on_all else validated.train
    moment = now or dt.datetime.now(dt.UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%S")
    store = ModelStore(engine, keys)
    references = references_by_day(final.frame.matrix, final.frame.days, request.days)
    description = _data_description(final)
    ids: dict[str, str] = {}
    for i, kind in enumerate(LEARNED):
        if progress:
            progress(f"fitting {kind.value}", i, len(LEARNED))
        estimator = (
            fit(kind, final.frame, final.labels, request.seed)
            if request.refit_on_all
            else validated.estimators[kind]
        )
        model_id = f"RISK-{request.target}-{_short(kind)}-{stamp}"
        card = model_card(
            model_id=model_id,
            kind=kind.value,
            target=request.target,
            names=final.frame.names,
            days=request.days,
            data=description,
            validation=validated.report.as_json(),
            references=references,
            refit_on_all=request.refit_on_all,
        )
        store.save(
            model_id=model_id,
            target=request.target,
            kind=kind.value,
            days=request.days,
            features=final.frame.names,
            card=card,
            estimator=estimator,
            trained_by=trained_by,
            trained_at=moment,
        )
        ids[kind.value] = model_id
    if progress:
        progress("stored", len(LEARNED), len(LEARNED))
    return TrainingResult(ids, validated.report)


def training_data(
    engine: Engine, request: TrainingRequest, progress: Progress | None = None
) -> LabelledSet:
    """The labelled rows of the request's target."""
    if request.target == "performance":
        return performance_labelled_set(engine, request.days, request.scope, progress)
    if request.target != "completion":
        raise ValidationError("target", f"{request.target!r} is not completion or performance")
    return labelled_set(engine, request.days, request.scope, progress)


def _short(kind: ModelKind) -> str:
    return "gb" if kind is ModelKind.GRADIENT_BOOSTING else "lr"


def _data_description(data: LabelledSet) -> dict[str, object]:
    anchors = data.anchors
    return {
        "rows": len(data),
        "enrolments": len(set(data.frame.enrolment_ids)),
        "people": len(set(data.frame.person_ids)),
        "courses": len(set(data.frame.course_ids)),
        "first_day_0": str(anchors.min()) if len(anchors) else None,
        "last_day_0": str(anchors.max()) if len(anchors) else None,
        "not_completed_rate": round(float(np.mean(data.labels)), 4) if len(data) else None,
    }
