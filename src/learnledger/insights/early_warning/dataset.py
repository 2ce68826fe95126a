"""Labelled feature rows at several cut-off days, and the temporal split of them.

The split is by day 0: enrolments whose course started on or after `test_from` are the test
set, earlier ones the training set, so a model is judged on later cohorts than it learned
from (the way it will be used), never on a random share of the same cohorts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from learnledger.errors import ValidationError
from learnledger.insights.early_warning.features import (
    FeatureFrame,
    Scope,
    features_at_days,
)
from learnledger.insights.early_warning.targets import Outcomes, completion_outcomes
from learnledger.storage.engine import Engine

Progress = Callable[[str, int, int], None]

#: Share of the latest course starts held out when no split date is given.
DEFAULT_TEST_SHARE = 0.3


@dataclass(frozen=True)
class LabelledSet:
    """Feature rows with known outcomes, their labels and their day 0."""

    frame: FeatureFrame
    labels: np.ndarray
    anchors: np.ndarray  # datetime64[D]

    def __len__(self) -> int:
        return len(self.frame)

    def take(self, mask: np.ndarray) -> LabelledSet:
        """The rows where `mask` is true."""
        return LabelledSet(self.frame.take(mask), self.labels[mask], self.anchors[mask])


def labelled_set(
    engine: Engine,
    days: Sequence[int],
    scope: Scope | None = None,
    progress: Progress | None = None,
    outcomes: Outcomes | None = None,
) -> LabelledSet:
    """Features at each of `days` (one query for all) for every enrolment with a known
    completion outcome."""
    outcomes = outcomes or completion_outcomes(engine)
    if progress:
        progress(f"features at days {', '.join(str(d) for d in days)}", 0, 1)
    frame = features_at_days(engine, days, scope or Scope())
    if progress:
        progress("features", 1, 1)
    labels = outcomes.for_frame(frame)
    known = ~np.isnan(labels)
    frame = frame.take(known)
    anchors = np.array(outcomes.anchors_for(frame), dtype="datetime64[D]")
    return LabelledSet(frame, labels[known].astype(int), anchors)


def split_date(data: LabelledSet, test_share: float = DEFAULT_TEST_SHARE) -> dt.date:
    """The first day 0 of the latest `test_share` of distinct course starts."""
    starts = np.unique(data.anchors)
    if len(starts) < 2:
        raise ValidationError(
            "temporal split",
            "a temporal split needs courses with at least two different start dates; "
            f"all {len(data)} labelled rows start on the same day",
        )
    index = min(max(int(np.floor(len(starts) * (1 - test_share))), 1), len(starts) - 1)
    return dt.date.fromisoformat(str(starts[index]))


def temporal_split(data: LabelledSet, test_from: dt.date) -> tuple[LabelledSet, LabelledSet]:
    """(train, test): rows whose day 0 is before `test_from`, and the others."""
    is_test = data.anchors >= np.datetime64(test_from, "D")
    train, test = data.take(~is_test), data.take(is_test)
    for name, part in (("training", train), ("test", test)):
        if len(part) == 0 or len(np.unique(part.labels)) < 2:
            raise ValidationError(
                "temporal split",
                f"the {name} set (day 0 {'before' if name == 'training' else 'on or after'} "
                f"{test_from}) needs both completed and not completed enrolments; it has "
                f"{len(part)} rows with {int(part.labels.sum())} not completed",
            )
    return train, test
