"""Segments: labels of segment values and the org-unit roll-up.

An org-unit breakdown is a partition of one parent unit: one cell per child unit holding the
child and all its descendants, plus one cell for the people directly in the parent (keyed by
the parent's id). The parent defaults to the single root of the hierarchy (or, with several
roots, each root is a cell). A filter on an org unit keeps the unit and its descendants.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from learnledger.errors import NotFoundError
from learnledger.storage import Engine

#: Segment -> (table, key column, label column) for segments whose values have names.
_LABELS = {
    "role": ("roles", "role_id", "name"),
    "org_unit": ("org_units", "org_unit_id", "name"),
    "programme": ("programmes", "programme_id", "name"),
    "course": ("courses", "course_id", "name"),
    "cohort": ("cohorts", "cohort_id", "name"),
    "measure": ("performance_metrics", "metric_id", "name"),
    "kpi": ("business_kpis", "kpi_id", "name"),
}


@dataclass(frozen=True)
class OrgTree:
    """The org-unit hierarchy: each unit's parent."""

    parents: Mapping[str, str | None]

    @classmethod
    def load(cls, engine: Engine) -> OrgTree:
        """Read the hierarchy from `org_units`."""
        rows = engine.fetch_all("SELECT org_unit_id, parent_id FROM org_units")
        return cls({str(unit): (str(parent) if parent else None) for unit, parent in rows})

    @functools.cached_property
    def _below(self) -> dict[str, list[str]]:
        """Each unit's children (indexed once per tree)."""
        below: dict[str, list[str]] = {}
        for child, parent in self.parents.items():
            if parent is not None:
                below.setdefault(parent, []).append(child)
        return below

    def children(self, unit: str | None) -> list[str]:
        """Units whose parent is `unit` (None: the roots), sorted."""
        known = set(self.parents)
        return sorted(
            u
            for u, p in self.parents.items()
            if (p == unit if unit is not None else (p is None or p not in known))
        )

    def subtree(self, unit: str) -> set[str]:
        """`unit` and all its descendants."""
        if unit not in self.parents:
            raise NotFoundError(f"org unit {unit!r} does not exist")
        below = self._below
        found = {unit}
        frontier = [unit]
        while frontier:
            nxt = [u for p in frontier for u in below.get(p, ()) if u not in found]
            found.update(nxt)
            frontier = nxt
        return found

    def roll_up(self, parent: str | None) -> dict[str, str]:
        """Each unit under `parent` -> the cell it counts in (a child of `parent`, or `parent`).

        With `parent` None: the children of the single root when there is one, else the roots.
        """
        if parent is None:
            roots = self.children(None)
            if len(roots) != 1:
                return {u: cell for root in roots for u, cell in self._cells(root, root).items()}
            parent = roots[0]
        mapping = {parent: parent}
        for child in self.children(parent):
            mapping.update(self._cells(child, child))
        return mapping

    def _cells(self, top: str, cell: str) -> dict[str, str]:
        return dict.fromkeys(self.subtree(top), cell)


def segment_names(engine: Engine, segment: str) -> dict[str, str]:
    """Display names of the values of `segment` that have one (none for unnamed segments)."""
    if segment not in _LABELS:
        return {}
    table, key_column, label_column = _LABELS[segment]
    rows = engine.fetch_all(f'SELECT "{key_column}", "{label_column}" FROM "{table}"')
    return {str(k): str(v) for k, v in rows if v is not None}


def segment_labels(engine: Engine, segment: str, keys: set[str]) -> dict[str, str]:
    """Display names of `keys` of `segment` (keys without a name label themselves)."""
    if segment not in _LABELS or not keys:
        return {k: k for k in keys}
    names = segment_names(engine, segment)
    return {k: names.get(k, k) for k in keys}
