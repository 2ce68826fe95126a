"""Trained early-warning models, stored with a keyed signature.

Migration ``0009_risk_models`` creates `ENTITIES`. A row holds one fitted model (serialised,
base64) with its model card; the signature is an HMAC over the row's content under a key
derived for this purpose, and a model whose signature does not match is refused before it is
deserialised.
"""

from __future__ import annotations

from learnledger.core.model.columns import integer, json, text, timestamp
from learnledger.core.model.spec import Entity, Index

#: What a risk model predicts (``risk_models.target``).
RISK_TARGETS = ("completion", "performance")
#: Which learner (``risk_models.kind``).
RISK_MODEL_KINDS = ("gradient_boosting", "logistic_regression")

RISK_MODELS = Entity(
    name="risk_models",
    group="insights",
    description="Trained early-warning models (risk of not completing an enrolment, or of "
    "missing a performance objective) with their model card and a keyed signature.",
    primary_key=("model_id",),
    columns=(
        text("model_id", "Stable id.", required=True, example="RISK-completion-20260302T0900"),
        text(
            "target", "What it predicts.", required=True, choices=RISK_TARGETS, example="completion"
        ),
        text(
            "kind", "Learner.", required=True, choices=RISK_MODEL_KINDS, example="gradient_boosting"
        ),
        json("days", "Cut-off days it was trained on.", required=True, example=[0, 14, 28]),
        json(
            "features",
            "Feature names, in matrix order.",
            required=True,
            example=["interactions", "active_days"],
        ),
        json(
            "card",
            "Model card: data, cut-offs, metrics, limits, intended use.",
            required=True,
            example={"metrics": {}},
        ),
        text(
            "payload",
            "Fitted model, serialised and base64-encoded.",
            required=True,
            example="gASV...",
        ),
        integer("payload_bytes", "Size of the serialised model.", example=524288),
        text(
            "signature",
            "HMAC-SHA-256 of the row's content under the risk-model key.",
            required=True,
            example="9f2c...",
        ),
        text("trained_by", "Who trained it.", example="cli:analyst"),
        timestamp(
            "trained_at", "When it was trained.", required=True, example="2026-03-02T09:00:00Z"
        ),
    ),
    indexes=(Index("ix_risk_models_target", ("target", "kind", "trained_at")),),
)

ENTITIES = (RISK_MODELS,)
