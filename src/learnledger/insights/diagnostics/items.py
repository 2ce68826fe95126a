"""Item analysis of one assessment: difficulty, discrimination, distractors, reliability, and
the items to fix with the reason.

Input: each person's first attempt (`item_sources`), from `item_responses` or xAPI
``answered`` statements. Attempts that did not answer every item are left out of the
statistics (reliability needs complete data) and counted. Upper and lower groups are the top
and bottom 27 % of total scores.

Flags (`ItemRules` sets the thresholds; only with at least `ItemRules.min_attempts`
complete attempts):

- ``too easy``: difficulty (p) above `too_easy`; ``too hard``: below `too_hard`;
- ``negative discrimination``: corrected item-total correlation below 0;
  ``low discrimination``: below `low_discrimination`;
- ``raises alpha if removed``: alpha without the item exceeds the test's alpha by more than
  `alpha_gain`;
- ``distractor X attracts high scorers``: a wrong option chosen by a larger share of the upper
  group than of the lower group;
- ``distractor X not chosen``: a wrong option chosen by fewer than `non_functioning` of all
  (informational: it does not distract).

Privacy: nothing is computed for fewer than `min_group_size` complete attempts; the option
counts follow `distractors` (wrong options protected as a partition of the wrong answers).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import orjson

from learnledger.errors import NotFoundError
from learnledger.insights.diagnostics import reliability as ctt
from learnledger.insights.diagnostics.distractors import OptionShare, option_shares
from learnledger.insights.diagnostics.item_sources import (
    ItemKey,
    Response,
    load_items,
    load_responses,
)
from learnledger.insights.diagnostics.population import Population
from learnledger.insights.diagnostics.report import Row, rounded, rows
from learnledger.insights.diagnostics.suppression import suppression_reason
from learnledger.storage.engine import Engine


@dataclass(frozen=True)
class ItemRules:
    """Thresholds of the item flags (see the module docstring)."""

    too_easy: float = 0.90
    too_hard: float = 0.20
    low_discrimination: float = 0.20
    alpha_gain: float = 0.01
    non_functioning: float = 0.05
    min_attempts: int = 20


@dataclass(frozen=True)
class ItemStat:
    """One item's statistics and flags."""

    item: str
    position: int | None
    correct_response: str | None
    responses: int
    difficulty: float | None
    discrimination: float | None
    upper_lower_index: float | None
    alpha_if_deleted: float | None
    flags: str
    to_fix: bool


@dataclass(frozen=True)
class Reliability:
    """The test's reliability."""

    attempts: int
    items: int
    mean_score: float | None
    sd_score: float | None
    cronbach_alpha: float | None
    kr20: float | None
    sem: float | None


@dataclass(frozen=True)
class ItemFlag:
    """An item to fix and why (for recommendations)."""

    assessment_id: str
    item: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ItemAnalysis:
    """The item analysis of one assessment."""

    assessment_id: str
    assessment: str
    source: str
    min_group_size: int
    rules: ItemRules
    attempts: int
    incomplete_attempts: int
    suppressed: bool
    reliability: Reliability | None = None
    items: list[ItemStat] = field(default_factory=list)
    options: list[OptionShare] = field(default_factory=list)

    @property
    def flags(self) -> list[ItemFlag]:
        """Items to fix with their reasons."""
        return [
            ItemFlag(self.assessment_id, s.item, tuple(s.flags.split("; ")))
            for s in self.items
            if s.to_fix
        ]

    def summary(self) -> Row:
        """Assessment, source, attempts, reliability and suppression."""
        rel = self.reliability
        return {
            "assessment_id": self.assessment_id,
            "assessment": self.assessment,
            "source": self.source,
            "attempts": self.attempts,
            "incomplete_attempts": self.incomplete_attempts,
            "suppressed": self.suppressed,
            "cronbach_alpha": rel.cronbach_alpha if rel else None,
            "kr20": rel.kr20 if rel else None,
            "sem": rel.sem if rel else None,
            "mean_score": rel.mean_score if rel else None,
            "sd_score": rel.sd_score if rel else None,
            "items": rel.items if rel else len(self.items),
            "items_to_fix": [f.item for f in self.flags],
            "method": "first attempt per person; upper/lower groups: top/bottom 27 % of totals",
            "min_group_size": self.min_group_size,
            "suppression": suppression_reason(self.min_group_size),
        }

    def tables(self) -> dict[str, list[Row]]:
        """items, options."""
        return {"items": rows(self.items), "options": rows(self.options)}


def item_analysis(
    engine: Engine,
    assessment_id: str,
    people: Population,
    *,
    min_group_size: int,
    source: str = "auto",
    rules: ItemRules | None = None,
) -> ItemAnalysis:
    """Analyse `assessment_id` over `people` (see the module docstring)."""
    chosen = rules or ItemRules()
    found = engine.fetch_one(
        "SELECT name FROM assessments WHERE assessment_id = ?", [assessment_id]
    )
    if found is None:
        raise NotFoundError(f"no assessment {assessment_id!r}")
    used, responses = load_responses(engine, assessment_id, people, source)
    keys = {k.item: k for k in load_items(engine, assessment_id)}
    keys.update(
        {k.activity_id: k for k in keys.values() if k.activity_id and k.activity_id not in keys}
    )
    items = _item_order(responses, keys)
    by_person: dict[str, dict[str, Response]] = defaultdict(dict)
    for r in responses:
        by_person[r.person_id][r.item] = r
    complete = sorted(p for p, answers in by_person.items() if len(answers) == len(items))
    base = ItemAnalysis(
        assessment_id=assessment_id,
        assessment=str(found[0]),
        source=used,
        min_group_size=min_group_size,
        rules=chosen,
        attempts=len(complete),
        incomplete_attempts=len(by_person) - len(complete),
        suppressed=True,
    )
    if len(complete) < max(min_group_size, 2) or len(items) < 1:
        return base
    matrix = np.array([[by_person[p][i].points for i in items] for p in complete], float)
    max_points = np.maximum(matrix.max(axis=0), 1e-12)
    dichotomous = bool(np.isin(matrix, (0.0, 1.0)).all())
    alpha = ctt.cronbach_alpha(matrix)
    reliability = Reliability(
        attempts=len(complete),
        items=len(items),
        mean_score=rounded(float(matrix.sum(axis=1).mean())),
        sd_score=rounded(float(matrix.sum(axis=1).std(ddof=1))),
        cronbach_alpha=rounded(alpha),
        kr20=rounded(ctt.kr20(matrix)) if dichotomous else None,
        sem=rounded(ctt.standard_error_of_measurement(matrix, alpha)),
    )
    difficulty = ctt.item_difficulty(matrix, max_points)
    discrimination = ctt.corrected_item_total(matrix)
    ul = ctt.upper_lower_index(matrix, max_points)
    without = ctt.alpha_if_deleted(matrix) if len(items) > 2 else np.full(len(items), np.nan)
    upper, lower = ctt.upper_lower_groups(matrix.sum(axis=1))
    groups = ({complete[i] for i in upper}, {complete[i] for i in lower})
    options, bad = _options(
        engine, items, keys, complete, by_person, groups, min_group_size, chosen
    )
    stats = []
    enough = len(complete) >= chosen.min_attempts
    for j, item in enumerate(items):
        reasons = _reasons(
            float(difficulty[j]), float(discrimination[j]), float(without[j]), alpha, chosen
        )
        reasons += bad.get(item, [])
        key = keys.get(item)
        stats.append(
            ItemStat(
                item=item,
                position=key.position if key else j + 1,
                correct_response=key.correct_response if key else None,
                responses=len(complete),
                difficulty=rounded(float(difficulty[j])),
                discrimination=rounded(float(discrimination[j])),
                upper_lower_index=rounded(float(ul[j])),
                alpha_if_deleted=rounded(float(without[j])),
                flags="; ".join(reasons) if enough else "",
                to_fix=enough and any(not r.endswith("not chosen") for r in reasons),
            )
        )
    return ItemAnalysis(
        **{
            **base.__dict__,
            "suppressed": False,
            "reliability": reliability,
            "items": stats,
            "options": options,
        }
    )


def _item_order(responses: list[Response], keys: dict[str, ItemKey]) -> list[str]:
    seen = sorted({r.item for r in responses})
    return sorted(
        seen,
        key=lambda i: (
            keys[i].position if i in keys and keys[i].position is not None else 10**9,
            i,
        ),
    )


def _reasons(p: float, r: float, without: float, alpha: float, rules: ItemRules) -> list[str]:
    reasons = []
    if p > rules.too_easy:
        reasons.append(f"too easy (p {p:.2f} > {rules.too_easy:.2f})")
    if p < rules.too_hard:
        reasons.append(f"too hard (p {p:.2f} < {rules.too_hard:.2f})")
    if not np.isnan(r):
        if r < 0:
            reasons.append(f"negative discrimination (r {r:.2f})")
        elif r < rules.low_discrimination:
            reasons.append(f"low discrimination (r {r:.2f} < {rules.low_discrimination:.2f})")
    if not np.isnan(without) and not np.isnan(alpha) and without > alpha + rules.alpha_gain:
        reasons.append(f"raises alpha if removed ({alpha:.2f} -> {without:.2f})")
    return reasons


def _options(
    engine: Engine,
    items: list[str],
    keys: dict[str, ItemKey],
    complete: list[str],
    by_person: dict[str, dict[str, Response]],
    groups: tuple[set[str], set[str]],
    k: int,
    rules: ItemRules,
) -> tuple[list[OptionShare], dict[str, list[str]]]:
    """Option rows of every item with responses, and each item's distractor flags."""
    iris = {i: (keys[i].activity_id or i) if i in keys else i for i in items}
    choices = _defined_choices(engine, list(iris.values()))
    shares: list[OptionShare] = []
    bad: dict[str, list[str]] = {}
    for item in items:
        answers = {p: by_person[p][item] for p in complete}
        if all(a.response is None for a in answers.values()):
            continue
        key = keys.get(item)
        correct_option = key.correct_response if key else None
        if correct_option is None:
            right = Counter(a.response for a in answers.values() if a.correct)
            correct_option = right.most_common(1)[0][0] if right else None
        rows, reasons = option_shares(
            item,
            {p: a.response for p, a in answers.items()},
            correct_option,
            choices.get(iris[item], []),
            groups,
            min_group_size=k,
            non_functioning=rules.non_functioning,
        )
        shares += rows
        if reasons:
            bad[item] = reasons
    return shares, bad


def _defined_choices(engine: Engine, activity_ids: list[str]) -> dict[str, list[str]]:
    """Choice ids of choice-type interactions, from their activity definitions."""
    found: dict[str, list[str]] = {}
    unique = sorted(set(activity_ids))
    for lo in range(0, len(unique), 500):
        chunk = unique[lo : lo + 500]
        marks = ", ".join("?" for _ in chunk)
        for activity_id, definition in engine.fetch_all(
            f"SELECT activity_id, definition FROM xapi_activities WHERE activity_id IN ({marks})",
            chunk,
        ):
            parsed = orjson.loads(definition) if isinstance(definition, str | bytes) else definition
            listed = parsed.get("choices") if isinstance(parsed, dict) else None
            if isinstance(listed, list):
                found[str(activity_id)] = [
                    str(c["id"]) for c in listed if isinstance(c, dict) and "id" in c
                ]
    return found
