"""The early-warning model's scores for a group of people a viewer may see by name (a
manager's team): each open enrolment's risk of not completing, with its top factors.

Nothing is returned without a trained model (the rule-based fallback is not a probability),
and people excluded from analytics are left out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from learnledger.governance.keys import KeyRing
from learnledger.insights.early_warning.features import Scope
from learnledger.insights.early_warning.scoring import (
    RiskRequest,
    ScoreCache,
    analytics_scope,
    enrolment_risks,
    load_model,
)
from learnledger.storage.engine import Engine

#: Factors named per enrolment.
FACTORS = 3


def open_enrolment_risks(
    engine: Engine,
    keys: KeyRing,
    person_ids: Sequence[str],
    *,
    analytics_opt_in: bool = False,
    on: dt.date | None = None,
    cache: ScoreCache | None = None,
) -> list[dict[str, Any]]:
    """Rows (person_id, enrolment_id, course_id, day, risk_pct, model_id, factors), highest
    risk first, for the open enrolments of `person_ids` on `on` (default today); scores from
    `cache` when it holds them."""
    if not person_ids:
        return []
    model = load_model(engine, keys, None)
    if model is None:
        return []
    scope = analytics_scope(Scope(people=tuple(person_ids)), opt_in=analytics_opt_in)
    scores = enrolment_risks(
        engine,
        keys,
        RiskRequest(on=on, scope=scope, model_id=model.model_id, factors=FACTORS),
        cache,
    )
    return [
        {
            "person_id": row.person_id,
            "enrolment_id": row.enrolment_id,
            "course_id": row.course_id,
            "day": row.day,
            "risk_pct": round(100 * row.probability, 1),
            "model_id": scores.model_id,
            "factors": "; ".join(f.description or f.feature for f in row.factors),
        }
        for row in scores.rows
    ]
