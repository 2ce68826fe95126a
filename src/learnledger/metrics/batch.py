"""What the runs of one batch read once: consent, summaries, precomputed cells, org tree, labels.

A run needs, besides its own aggregates, the people excluded by consent, the current summaries
(which checks the data version: about 15 small queries), the org hierarchy, the first and last
date of each base's data, the org roll-up, the programme objectives and the names of segment
values. `run_metrics` computes these once for
all its runs (e.g. every metric of the executive set, or of a dashboard), `run_metric` once for
its one run; each is read lazily, when a run first needs it.
"""

from __future__ import annotations

import datetime as dt

from learnledger.governance.consent import ANALYTICS, excluded_count, exclusion_subquery
from learnledger.metrics.cube import MetricCube
from learnledger.metrics.objectives import ObjectiveRow, read_objectives
from learnledger.metrics.segments import OrgTree, segment_names
from learnledger.metrics.summaries import BuildSettings, current_summaries, supports_summaries
from learnledger.storage import Engine

#: (first, last) date of a base's rows, consent applied.
DateRange = tuple[dt.date | None, dt.date | None]


class SharedReads:
    """The reads shared by the runs of one batch, all taken at one moment `as_of`."""

    def __init__(
        self,
        engine: Engine,
        as_of: dt.datetime,
        settings: BuildSettings,
        use_summaries: bool,
    ) -> None:
        self.engine = engine
        self.as_of = as_of
        self.settings = settings
        self.consent = exclusion_subquery(ANALYTICS, as_of, opt_in=settings.analytics_opt_in)
        self.summaries = (
            current_summaries(engine, settings=settings)
            if use_summaries and supports_summaries(engine)
            else None
        )
        #: (base, time column, read from a summary) -> its date range, once known.
        self.ranges: dict[tuple[str, str, bool], DateRange] = {}
        self._excluded: int | None = None
        self._cube: MetricCube | None = None
        self._tree: OrgTree | None = None
        self._names: dict[str, dict[str, str]] = {}
        self._roll_ups: dict[str | None, dict[str, str]] = {}
        self._objectives: list[ObjectiveRow] | None = None

    def _read_consent(self) -> None:
        cube = self.summaries.cube if self.summaries is not None else None
        if cube is None or cube.settings != self.settings:  # no need to list who is excluded
            self._excluded = excluded_count(
                self.engine, ANALYTICS, self.as_of, opt_in=self.settings.analytics_opt_in
            )
            return
        excluded = frozenset(
            str(row[0])
            for row in self.engine.fetch_all(self.consent.sql, list(self.consent.params))
            if row[0] is not None
        )
        self._excluded = len(excluded)
        self._cube = cube if cube.serves(self.settings, excluded) else None

    def excluded_count(self) -> int:
        """How many people consent leaves out of the runs."""
        if self._excluded is None:
            self._read_consent()
        assert self._excluded is not None
        return self._excluded

    def cube(self) -> MetricCube | None:
        """The precomputed cells, when they were computed for these settings and the people
        consent excludes now (else None: read the summaries or base views)."""
        if self._excluded is None:
            self._read_consent()
        return self._cube

    def tree(self) -> OrgTree:
        """The org hierarchy."""
        if self._tree is None:
            self._tree = OrgTree.load(self.engine)
        return self._tree

    def roll_up(self, parent: str | None) -> dict[str, str]:
        """`OrgTree.roll_up(parent)` of the batch's tree, computed once per parent (callers
        must not change it)."""
        if parent not in self._roll_ups:
            self._roll_ups[parent] = self.tree().roll_up(parent)
        return self._roll_ups[parent]

    def objectives(self) -> list[ObjectiveRow]:
        """The programme objectives (`read_objectives`)."""
        if self._objectives is None:
            self._objectives = read_objectives(self.engine)
        return self._objectives

    def labels(self, segment: str, keys: set[str]) -> dict[str, str]:
        """Display names of `keys` of `segment` (keys without a name label themselves)."""
        if not keys:
            return {}
        if segment not in self._names:
            self._names[segment] = segment_names(self.engine, segment)
        names = self._names[segment]
        return {k: names.get(k, k) for k in keys}
