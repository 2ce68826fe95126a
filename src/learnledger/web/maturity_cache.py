"""The maturity assessment kept in the running app until what it reads changes.

The assessment runs a few dozen counts (0.1-0.2 s on a 10,000-person demo); the executive
page shows it on every view, so the last one is kept, keyed on the data version
(`learnledger.metrics.data_version`), the day (data currency), the audit log's head (impact
runs and source reviews are audited), the saved views and pins, and the early-warning models
when the model has a table for them.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from learnledger.config import Settings
from learnledger.governance.actors import Actor
from learnledger.governance.consent import ANALYTICS
from learnledger.insights.maturity import (
    MaturityAssessment,
    assess_maturity,
    require_organisation_view,
)
from learnledger.insights.maturity.evidence import RISK_MODELS
from learnledger.metrics.data_version import data_version
from learnledger.storage.engine import Engine


class MaturityCache:
    """The last assessment and the key it was computed for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._result: MaturityAssessment | None = None
        self.runs = 0  # assessments computed (tests read it)

    def assessment(self, engine: Engine, actor: Actor, settings: Settings) -> MaturityAssessment:
        """The assessment for `actor`; PermissionDeniedError unless an organisation-wide role."""
        require_organisation_view(actor)
        key = (*_key(engine), settings.min_group_size, tuple(settings.consent_opt_in_purposes))
        with self._lock:
            if key == self._key and self._result is not None:
                return self._result
        result = assess_maturity(
            engine,
            min_group_size=settings.min_group_size,
            consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        )
        with self._lock:
            self._key, self._result = key, result
            self.runs += 1
        return result


def _key(engine: Engine) -> tuple[Any, ...]:
    queries = [
        "SELECT MAX(seq) FROM audit_events",
        "SELECT COUNT(*) FROM saved_views",
        "SELECT COUNT(*) FROM saved_view_pins",
    ]
    if RISK_MODELS in engine.table_names():
        queries.append(f'SELECT COUNT(*) FROM "{RISK_MODELS}"')
    counts = tuple(value for sql in queries for value in (engine.fetch_one(sql) or ()))
    return (data_version(engine), dt.datetime.now(dt.UTC).date(), counts)
