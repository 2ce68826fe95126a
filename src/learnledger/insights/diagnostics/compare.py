"""Segment comparisons: is an outcome different in one segment than in the rest, by how much,
and is that more than chance once many segments are tested?

Each published segment (a role, cohort, programme, org unit or location) is compared with all
other units of the outcome (`outcomes`):

- rates (completion): two-proportion z-test, risk difference with a 95 % interval, Cohen's h;
  across all segments a chi-square test of independence;
- values: Welch's t-test with Hedges' g and a 95 % interval of the difference of means, or,
  when either side is skewed (|skewness| > 1) or `test="mann_whitney"`, Mann-Whitney U with
  Cliff's delta (difference of medians); across all segments Kruskal-Wallis.

The p-values of the segment-vs-rest tests are one family, adjusted by Holm (default; controls
the family-wise error rate) or Benjamini-Hochberg (``bh``; the false discovery rate); the
result names the correction used, and `significant` uses the adjusted p-value.

Privacy: segments partition the people counted (org units rolled up to the children of
`org_parent`, default the root), so the people per segment pass `protect_partition`; a
suppressed segment shows no values and no test. With ``cohort`` or ``programme`` on person-level
outcomes (performance, proficiency) a person enrolled in several counts in each; the rest of a
segment is then the people outside it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from learnledger.errors import ValidationError
from learnledger.insights.diagnostics import significance as sig
from learnledger.insights.diagnostics.outcomes import Unit, outcome_units, parse_outcome
from learnledger.insights.diagnostics.population import Population
from learnledger.insights.diagnostics.report import Row, rounded, rows
from learnledger.insights.diagnostics.suppression import protect_partition, suppression_reason
from learnledger.metrics.segments import OrgTree, segment_labels
from learnledger.storage.engine import Engine

SEGMENTS = ("role", "cohort", "programme", "org_unit", "location")
TESTS = ("auto", "welch_t", "mann_whitney")
_ATTRIBUTE = {"role": "role_id", "org_unit": "org_unit_id", "location": "location"}


@dataclass(frozen=True)
class SegmentResult:
    """One segment against the rest (None: suppressed or not computable)."""

    segment: str
    name: str
    people: int | None
    units: int | None
    value: float | None
    rest_value: float | None
    difference: float | None
    low: float | None
    high: float | None
    test: str | None
    statistic: float | None
    p_value: float | None
    p_adjusted: float | None
    effect: float | None
    effect_name: str | None
    significant: bool
    suppressed: bool


@dataclass(frozen=True)
class SegmentComparison:
    """An outcome compared across the segments of one breakdown."""

    outcome: str
    by: str
    correction: str
    alpha: float
    min_group_size: int
    people: int
    excluded_for_consent: int
    omnibus_test: str | None
    omnibus_statistic: float | None
    omnibus_p_value: float | None
    segments: list[SegmentResult] = field(default_factory=list)

    def summary(self) -> Row:
        """Outcome, breakdown, correction, omnibus test and suppression."""
        return {
            "outcome": self.outcome,
            "by": self.by,
            "people": self.people,
            "excluded_for_consent": self.excluded_for_consent,
            "comparison": "each segment against all other units",
            "correction": {
                "holm": "Holm (family-wise error rate)",
                "bh": "Benjamini-Hochberg (false discovery rate)",
            }[self.correction],
            "alpha": self.alpha,
            "omnibus_test": self.omnibus_test,
            "omnibus_statistic": self.omnibus_statistic,
            "omnibus_p_value": self.omnibus_p_value,
            "significant_segments": [s.segment for s in self.segments if s.significant],
            "min_group_size": self.min_group_size,
            "suppression": suppression_reason(self.min_group_size),
        }

    def tables(self) -> dict[str, list[Row]]:
        """segments."""
        return {"segments": rows(self.segments)}


def compare_segments(
    engine: Engine,
    outcome: str,
    by: str,
    people: Population,
    *,
    min_group_size: int,
    correction: str = "holm",
    test: str = "auto",
    alpha: float = 0.05,
    since: dt.date | None = None,
    until: dt.date | None = None,
    org_parent: str | None = None,
) -> SegmentComparison:
    """Compare `outcome` across the segments of `by` (see the module docstring)."""
    parsed = parse_outcome(outcome)
    if by not in SEGMENTS:
        raise ValidationError("by", f"{by!r} is not one of {', '.join(SEGMENTS)}")
    if correction not in sig.CORRECTIONS:
        raise ValidationError("correction", f"{correction!r} is not one of holm, bh")
    if test not in TESTS:
        raise ValidationError("test", f"{test!r} is not one of {', '.join(TESTS)}")
    units = outcome_units(engine, parsed, people, since, until)
    groups = _groups(engine, units, by, parsed.unit == "person", org_parent)
    values_all = np.array([u.value for u in units], dtype=float)
    persons_all = np.array([u.person_id for u in units], dtype=object)
    everyone = set(persons_all.tolist())
    cells = sorted((key, len(set(persons_all[idx].tolist()))) for key, idx in groups.items())
    hidden, _ = protect_partition(cells, len(everyone), min_group_size)
    labels = segment_labels(engine, by, set(groups))
    drafts: list[tuple[str, list[int], sig.TestResult | None, list[float]]] = []
    for key, _n in cells:
        members = groups[key]
        rest: list[float] = []
        result = None
        if not hidden[key]:
            outside = np.ones(len(units), dtype=bool)
            if parsed.unit == "person":
                outside = ~np.isin(persons_all, list(set(persons_all[members].tolist())))
            else:
                outside[members] = False
            rest = values_all[outside].tolist()
            result = _test(values_all[members].tolist(), rest, parsed.is_rate, test)
        drafts.append((key, members, result, rest))
    adjusted = sig.adjust([r.p_value if r else math.nan for _, _, r, _ in drafts], correction)
    segments = []
    for (key, members, result, rest), p_adj in zip(drafts, adjusted, strict=True):
        gone = hidden[key]
        values = values_all[members].tolist()
        segments.append(
            SegmentResult(
                segment=key,
                name=labels.get(key, key),
                people=None if gone else len(set(persons_all[members].tolist())),
                units=None if gone else len(members),
                value=None if gone else rounded(_centre(values, result)),
                rest_value=None if gone or not rest else rounded(_centre(rest, result)),
                difference=rounded(result.difference) if result else None,
                low=rounded(result.low) if result and result.low is not None else None,
                high=rounded(result.high) if result and result.high is not None else None,
                test=result.test if result else None,
                statistic=rounded(result.statistic) if result else None,
                p_value=rounded(result.p_value, 6) if result else None,
                p_adjusted=rounded(p_adj, 6),
                effect=rounded(result.effect) if result else None,
                effect_name=result.effect_name if result else None,
                significant=bool(result and not math.isnan(p_adj) and p_adj < alpha),
                suppressed=gone,
            )
        )
    omnibus = _omnibus(
        [values_all[groups[k]].tolist() for k, _ in cells if not hidden[k]], parsed.is_rate
    )
    _counted, excluded = people.counts(engine)
    return SegmentComparison(
        outcome=outcome,
        by=by,
        correction=correction,
        alpha=alpha,
        min_group_size=min_group_size,
        people=len(everyone),
        excluded_for_consent=excluded,
        omnibus_test=omnibus[0],
        omnibus_statistic=rounded(omnibus[1]),
        omnibus_p_value=rounded(omnibus[2], 6),
        segments=segments,
    )


def _groups(
    engine: Engine, units: list[Unit], by: str, person_level: bool, org_parent: str | None
) -> dict[str, list[int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    if by in _ATTRIBUTE:
        column = _ATTRIBUTE[by]
        attribute = {
            str(p): (str(v) if v is not None else "(none)")
            for p, v in engine.fetch_all(f"SELECT person_id, {column} FROM people")
        }
        cell = OrgTree.load(engine).roll_up(org_parent) if by == "org_unit" else None
        for index, unit in enumerate(units):
            key = attribute.get(unit.person_id, "(none)")
            if cell is not None:
                key = cell.get(key, "(none)")
            groups[key].append(index)
        return groups
    if not person_level:
        for index, unit in enumerate(units):
            own = unit.cohort_id if by == "cohort" else unit.programme_id
            groups[own or "(none)"].append(index)
        return groups
    column = "e.cohort_id" if by == "cohort" else "c.programme_id"
    membership: dict[str, set[str]] = defaultdict(set)
    for person, key in engine.fetch_all(
        f"SELECT DISTINCT e.person_id, {column} FROM enrolments e "
        "JOIN courses c ON c.course_id = e.course_id "
        f"WHERE e.status <> 'cancelled' AND {column} IS NOT NULL"
    ):
        membership[str(person)].add(str(key))
    for index, unit in enumerate(units):
        for key in sorted(membership.get(unit.person_id, {"(none)"})):
            groups[key].append(index)
    return groups


def _test(
    values: list[float], rest: list[float], is_rate: bool, test: str
) -> sig.TestResult | None:
    if len(values) < 2 or len(rest) < 2:
        return None
    if is_rate:
        return sig.two_proportions(round(sum(values)), len(values), round(sum(rest)), len(rest))
    if test == "mann_whitney" or (test == "auto" and sig.skewed(values, rest)):
        return sig.mann_whitney(values, rest)
    if np.std(values) == 0 and np.std(rest) == 0:
        return None
    return sig.welch_t(values, rest)


def _centre(values: list[float], result: sig.TestResult | None) -> float:
    if result is not None and result.test == "mann_whitney":
        return float(np.median(values))
    return float(np.mean(values)) if values else math.nan


def _omnibus(groups: list[list[float]], is_rate: bool) -> tuple[str | None, float, float]:
    if len(groups) < 2:
        return None, math.nan, math.nan
    if is_rate:
        successes = [round(sum(g)) for g in groups]
        statistic, p_value, _df = sig.chi_square(successes, [len(g) for g in groups])
        return "chi_square", statistic, p_value
    statistic, p_value = sig.kruskal(groups)
    return "kruskal_wallis", statistic, p_value
