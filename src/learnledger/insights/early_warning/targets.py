"""What the completion model predicts: whether an enrolment ends without completing.

An enrolment's outcome is *not completed* (1) when its status is failed, withdrawn or
cancelled, *completed* (0) when completed, and unknown (no label: scored, never trained on)
while it is enrolled or in progress. The label is read from the current status, which is what
makes it a label: features never read it (they read earlier enrolments' outcomes only once
settled before the cut-off).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from learnledger.insights.early_warning.features import NOT_COMPLETED, FeatureFrame
from learnledger.storage.engine import Engine

_LABEL_SQL = f"""
SELECT e.enrolment_id,
       CASE WHEN e.status = 'completed' THEN 0
            WHEN e.status IN ({", ".join(f"'{s}'" for s in NOT_COMPLETED)}) THEN 1 END AS label,
       COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)) AS anchor
FROM enrolments e
LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id
"""


@dataclass(frozen=True)
class Outcomes:
    """Label (1 not completed, 0 completed, None unknown) and day 0 of each enrolment."""

    labels: dict[str, int | None]
    anchors: dict[str, dt.date]

    def for_frame(self, frame: FeatureFrame) -> np.ndarray:
        """Labels of the frame's rows as floats (NaN: unknown)."""
        return np.array(
            [np.nan if (v := self.labels.get(e)) is None else float(v) for e in frame.enrolment_ids]
        )

    def anchors_for(self, frame: FeatureFrame) -> list[dt.date]:
        """Day 0 of each of the frame's rows."""
        return [self.anchors[e] for e in frame.enrolment_ids]


def completion_outcomes(engine: Engine) -> Outcomes:
    """Every enrolment's completion label and day 0."""
    labels: dict[str, int | None] = {}
    anchors: dict[str, dt.date] = {}
    for enrolment_id, label, anchor in engine.fetch_all(_LABEL_SQL):
        labels[str(enrolment_id)] = None if label is None else int(label)
        anchors[str(enrolment_id)] = anchor
    return Outcomes(labels, anchors)
