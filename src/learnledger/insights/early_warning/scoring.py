"""Scores from stored models on features computed now: no retraining to rescore.

`enrolment_risks` is the public entry point (the recommendation engine calls it): for every
enrolment in scope it computes the features as of a cut-off (a day after each enrolment's day 0,
or a calendar date, by default today) from the data as it is now, applies the newest stored
gradient-boosting model (or a named one) and returns the probability with the top factors.
New xAPI statements or imports change the features and so the next scores; the model is not
retrained. When no model has been trained yet, the Open edX Aspects rule answers (a 0/1 flag,
named as the method) so that an organisation without history still gets warnings.

Given a `ScoreCache`, scores are kept under the data version (`metrics.data_version`: imports,
new xAPI statements, consent decisions, newly trained models, ...), the cut-off date, the
model, the request's options and the set of enrolments its scope selects now: a repeated
request answers from memory, and the first request after new data computes afresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from learnledger.errors import ValidationError
from learnledger.governance.consent import ANALYTICS, exclusion_subquery
from learnledger.governance.keys import KeyRing
from learnledger.insights.early_warning.explain import Factor, reference_rows, top_factors
from learnledger.insights.early_warning.features import (
    FeatureFrame,
    Scope,
    enrolment_features,
    features_on,
    scope_digest,
)
from learnledger.insights.early_warning.models import ModelKind, aspects_rule, risk
from learnledger.insights.early_warning.performance import performance_frame
from learnledger.insights.early_warning.store import ModelStore, StoredModel
from learnledger.metrics.data_version import data_version
from learnledger.metrics.versioned_cache import VersionedCache
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class RiskRequest:
    """Which enrolments to score, at which cut-off, with which model.

    `day`: a day after each enrolment's day 0; when None, the cut-off is calendar day `on`
    (default today) and each enrolment is at its own day. `model_id` None: the newest
    gradient-boosting model. `open_only`: leave out enrolments already completed or withdrawn
    at the cut-off. `factors`: how many top factors per enrolment (0: none, faster).
    """

    day: int | None = None
    on: dt.date | None = None
    scope: Scope = field(default_factory=Scope)
    model_id: str | None = None
    factors: int = 3
    open_only: bool = True
    #: ``completion`` or ``performance`` (risk of missing a programme objective)
    target: str = "completion"


@dataclass(frozen=True)
class EnrolmentRisk:
    """One enrolment's risk at the cut-off."""

    enrolment_id: str
    person_id: str
    course_id: str
    day: int
    probability: float
    aspects_flag: bool
    factors: list[Factor]
    objective_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready row."""
        return {
            "enrolment_id": self.enrolment_id,
            "person_id": self.person_id,
            "course_id": self.course_id,
            "day": self.day,
            "probability": round(self.probability, 4),
            "aspects_flag": self.aspects_flag,
            "objective_id": self.objective_id,
            "factors": [f.as_json() for f in self.factors],
        }


@dataclass(frozen=True)
class RiskScores:
    """Scores of one request, highest risk first, and how they were made."""

    method: str
    model_id: str | None
    cutoff: str
    rows: list[EnrolmentRisk]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready scores."""
        return {
            "method": self.method,
            "model_id": self.model_id,
            "cutoff": self.cutoff,
            "enrolments": [r.as_json() for r in self.rows],
        }


#: Scores kept per data version (see the module docstring).
ScoreCache = VersionedCache["RiskScores"]

#: Entries a score cache keeps: one holds every enrolment's row of a request.
SCORE_CACHE_ENTRIES = 32


def new_score_cache() -> ScoreCache:
    """An empty score cache."""
    return VersionedCache(max_entries=SCORE_CACHE_ENTRIES)


def analytics_scope(scope: Scope, *, opt_in: bool = False, at: dt.datetime | None = None) -> Scope:
    """`scope` without the people excluded from analytics (consent) at `at` (default now)."""
    moment = at or dt.datetime.now(dt.UTC)
    return Scope(
        courses=scope.courses,
        enrolment_ids=scope.enrolment_ids,
        people=scope.people,
        excluded=exclusion_subquery(ANALYTICS, moment, opt_in=opt_in),
        condition=scope.condition,
    )


def current_features(engine: Engine, request: RiskRequest) -> FeatureFrame:
    """The features the request scores."""
    if request.target == "performance":
        frame = performance_frame(engine, request.day, request.scope, on=request.on)[0]
    elif request.day is not None:
        frame = enrolment_features(engine, request.day, request.scope)
    else:
        frame = features_on(engine, request.on or dt.date.today(), request.scope)
    if request.open_only and len(frame):
        closed = (frame.column("withdrawn_by_cutoff") > 0) | (
            frame.column("completed_by_cutoff") > 0
        )
        frame = frame.take(~closed)
    return frame


def load_model(
    engine: Engine, keys: KeyRing, model_id: str | None, target: str = "completion"
) -> StoredModel | None:
    """The named model, or the newest gradient-boosting model of `target`, or None."""
    store = ModelStore(engine, keys)
    chosen = model_id or store.latest_id(target, ModelKind.GRADIENT_BOOSTING.value)
    return None if chosen is None else store.load(chosen)


def enrolment_risks(
    engine: Engine, keys: KeyRing, request: RiskRequest, cache: ScoreCache | None = None
) -> RiskScores:
    """Risk of not completing for every enrolment in the request's scope, highest first;
    from `cache` when it holds the answer for the current data.

    Raises NotFoundError for an unknown `model_id` and TamperedModelError for a model whose
    signature does not match.
    """
    if request.day is None and request.on is None:
        request = dataclasses.replace(request, on=dt.date.today())
    if cache is None:
        return _compute_risks(engine, keys, request)
    model_id = request.model_id or ModelStore(engine, keys).latest_id(
        request.target, ModelKind.GRADIENT_BOOSTING.value
    )
    if model_id is not None:
        request = dataclasses.replace(request, model_id=model_id)
    key = (
        data_version(engine),
        request.target,
        request.day,
        request.on,
        model_id,
        request.factors,
        request.open_only,
        scope_digest(engine, request.scope),
    )
    return cache.get_or_build(key, lambda: _compute_risks(engine, keys, request))


def _compute_risks(engine: Engine, keys: KeyRing, request: RiskRequest) -> RiskScores:
    model = load_model(engine, keys, request.model_id, request.target)
    if model is not None and model.target != request.target:
        raise ValidationError(
            "model", f"{model.model_id!r} predicts {model.target}, not {request.target}"
        )
    frame = current_features(engine, request)
    return score_frame(frame, model, request.factors, _cutoff_label(request))


def score_frame(
    frame: FeatureFrame, model: StoredModel | None, factors: int, cutoff: str
) -> RiskScores:
    """Apply `model` (or the Aspects rule when None) to `frame`."""
    flags = aspects_rule(frame)
    if model is None:
        probability = flags
        reasons: list[list[Factor]] = [
            _rule_reasons(frame, i) if factors else [] for i in range(len(frame))
        ]
        method = ModelKind.ASPECTS_RULE.value
    else:
        _check_features(model, frame.names)
        probability = risk(model.estimator, frame.matrix)
        reasons = [[] for _ in range(len(frame))]
        if factors and len(frame):
            references = reference_rows(model.card["references"], frame.days)
            reasons = top_factors(model.estimator, frame.matrix, references, factors, frame.names)
        method = model.kind
    order = np.argsort(-probability, kind="stable")
    rows = [
        EnrolmentRisk(
            frame.enrolment_ids[i],
            frame.person_ids[i],
            frame.course_ids[i],
            int(frame.days[i]),
            float(probability[i]),
            bool(flags[i]),
            reasons[i],
            frame.objective(i),
        )
        for i in order
    ]
    return RiskScores(method, None if model is None else model.model_id, cutoff, rows)


def _check_features(model: StoredModel, names: tuple[str, ...]) -> None:
    if tuple(model.features) != names:
        raise ValidationError(
            f"risk_models[{model.model_id}]",
            f"risk model {model.model_id!r} was trained on other features than this version "
            "computes; retrain it",
        )


def _rule_reasons(frame: FeatureFrame, i: int) -> list[Factor]:
    if not aspects_rule(frame.take(np.array([i])))[0]:
        return []
    idle = frame.column("days_since_last_activity")[i]
    return [
        Factor(
            "days_since_last_activity",
            "no visit in the last 7 days (Aspects rule)",
            None if np.isnan(idle) else float(idle),
            None,
            1.0,
        )
    ]


def _cutoff_label(request: RiskRequest) -> str:
    if request.day is not None:
        return f"day {request.day} after day 0"
    return f"start of {(request.on or dt.date.today()).isoformat()}"
