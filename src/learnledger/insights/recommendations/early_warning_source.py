"""The early-warning model as the risk recommender's source.

Every open enrolment is scored with the newest stored gradient-boosting model on the data as
it is now (no retraining), people without consent to analytics left out; the top factors are
worked out only for the enrolments at or above `min_probability` (they cost several times the
scoring). Without a trained model the Aspects rule's flags are not turned into probabilities:
the source returns nothing and the recommender says no model is connected.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from learnledger.config import Settings
from learnledger.governance.consent import ANALYTICS
from learnledger.governance.keys import KeyRing
from learnledger.insights.early_warning import RiskRequest, Scope, analytics_scope, enrolment_risks
from learnledger.insights.early_warning.scoring import load_model
from learnledger.insights.recommendations.risk import RiskFactor, RiskScore
from learnledger.storage.engine import Engine

#: Most factors named per enrolment.
FACTORS = 3


@dataclass(frozen=True)
class EarlyWarningRiskSource:
    """`RiskScoreSource` over `learnledger.insights.early_warning`."""

    keys: KeyRing
    min_probability: float = 0.5
    analytics_opt_in: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, keys: KeyRing) -> EarlyWarningRiskSource:
        """The source with the recommendation thresholds and consent rule of `settings`."""
        limits = settings.recommendations
        return cls(
            keys,
            min(limits.nudge_probability, limits.coaching_probability),
            ANALYTICS in settings.consent_opt_in_purposes,
        )

    def risk_scores(self, engine: Engine, as_of: dt.datetime) -> Sequence[RiskScore]:
        """The score of every open enrolment on `as_of`'s date, with top factors for those at
        or above `min_probability`."""
        model = load_model(engine, self.keys, None)
        if model is None:
            return []
        scope = analytics_scope(Scope(), opt_in=self.analytics_opt_in, at=as_of)
        request = RiskRequest(on=as_of.date(), scope=scope, model_id=model.model_id, factors=0)
        scores = enrolment_risks(engine, self.keys, request)
        flagged = [r.enrolment_id for r in scores.rows if r.probability >= self.min_probability]
        factors: dict[str, tuple[RiskFactor, ...]] = {}
        if flagged:
            explained = enrolment_risks(
                engine,
                self.keys,
                RiskRequest(
                    on=as_of.date(),
                    scope=analytics_scope(
                        Scope(enrolment_ids=tuple(flagged)), opt_in=self.analytics_opt_in, at=as_of
                    ),
                    model_id=model.model_id,
                    factors=FACTORS,
                ),
            )
            factors = {
                row.enrolment_id: tuple(
                    RiskFactor(f.description or f.feature, f.contribution, f.value)
                    for f in row.factors
                )
                for row in explained.rows
            }
        auc = validated_auc(model.card, model.kind)
        return [
            RiskScore(
                person_id=row.person_id,
                enrolment_id=row.enrolment_id,
                probability=row.probability,
                top_factors=factors.get(row.enrolment_id, ()),
                model_id=model.model_id,
                model_auc=auc,
                scored_at=as_of,
            )
            for row in scores.rows
        ]


def validated_auc(card: dict[str, Any], kind: str) -> float | None:
    """The model's median AUC over its validation cut-offs on the later cohort (all
    enrolments), or None when the card has none."""
    by_day = card.get("validation", {}).get("all_enrolments", {}).get(kind, {})
    values = [m["auc"] for m in by_day.values() if m.get("auc") is not None]
    return float(statistics.median(values)) if values else None
