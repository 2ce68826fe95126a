"""The typed recommendation: what to do, for whom, why (in numbers), what it is expected to
change, how strong the evidence is and how urgent it is."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from learnledger.impact.portfolio import Evidence

EvidenceValue = float | int | str | None


class RecommendationKind(StrEnum):
    """The families of recommendations (one or more recommenders each)."""

    LEARNERS = "learners"
    COURSES = "courses"
    CHANNELS = "channels"
    PROGRAMMES = "programmes"
    ROLES = "roles"
    PATHS = "paths"


#: Kinds whose recommendations name one person (the others describe groups of people).
PERSON_KINDS = frozenset({RecommendationKind.LEARNERS, RecommendationKind.PATHS})


#: The columns of `Recommendation.as_row` (CSV exports and tables), in order.
ROW_COLUMNS = (
    "id",
    "kind",
    "recommender",
    "action",
    "subject_type",
    "subject_id",
    "title",
    "reason",
    "strength",
    "priority",
    "audiences",
    "expected_effect",
    "expected_value",
    "expected_low",
    "expected_high",
    "expected_unit",
    "evidence",
    "person_id",
    "programme_id",
    "course_id",
    "module_id",
    "role_id",
    "org_unit_id",
    "skill_id",
    "channel",
)


class Priority(StrEnum):
    """How soon a recommendation should be acted on."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


PRIORITY_ORDER = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
STRENGTH_ORDER = {Evidence.STRONG: 0, Evidence.MODERATE: 1, Evidence.WEAK: 2}


class Audience(StrEnum):
    """Who a recommendation is for."""

    LEARNER = "learner"
    MANAGER = "manager"
    PROGRAMME_OWNER = "programme_owner"
    LEARNING_TEAM = "learning_team"
    EXECUTIVE = "executive"


@dataclass(frozen=True)
class ExpectedEffect:
    """What acting on a recommendation is expected to change: `value` with its 95 % interval
    (`low`, `high`; None when not estimable) in `unit`, and what the number means."""

    description: str
    value: float | None
    unit: str
    low: float | None = None
    high: float | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready effect (numbers rounded to 4 places)."""
        return {
            "description": self.description,
            "value": _round(self.value),
            "low": _round(self.low),
            "high": _round(self.high),
            "unit": self.unit,
        }


@dataclass(frozen=True)
class Recommendation:
    """One recommendation.

    `action` is a short verb code (``reinforce``, ``coach``, ``redesign_module``, ``scale``,
    ...); `subject_type`/`subject_id` name what it is about (a person, a module, a programme,
    a role, a channel for an audience); `evidence` holds the numbers behind `reason`. The ids of
    the person, programme, course (the recommended or concerned activity), module, role and
    skill it involves are set where they apply, so it can be scoped and exported.
    """

    kind: RecommendationKind
    action: str
    subject_type: str
    subject_id: str
    title: str
    reason: str
    strength: Evidence
    priority: Priority
    audiences: tuple[Audience, ...]
    evidence: Mapping[str, EvidenceValue] = field(default_factory=dict)
    expected: ExpectedEffect | None = None
    person_id: str | None = None
    programme_id: str | None = None
    course_id: str | None = None
    module_id: str | None = None
    role_id: str | None = None
    org_unit_id: str | None = None
    skill_id: str | None = None
    channel: str | None = None
    recommender: str = ""

    @property
    def recommendation_id(self) -> str:
        """A stable id: the same recommendation on the same data gets the same id."""
        key = "|".join((self.kind.value, self.action, self.subject_type, self.subject_id))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]

    def as_json(self) -> dict[str, Any]:
        """JSON-ready recommendation."""
        return {
            "id": self.recommendation_id,
            "kind": self.kind.value,
            "recommender": self.recommender,
            "action": self.action,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "title": self.title,
            "reason": self.reason,
            "strength": self.strength.value,
            "priority": self.priority.value,
            "audiences": [a.value for a in self.audiences],
            "expected_effect": None if self.expected is None else self.expected.as_json(),
            "evidence": {k: _round(v) for k, v in self.evidence.items()},
            "person_id": self.person_id,
            "programme_id": self.programme_id,
            "course_id": self.course_id,
            "module_id": self.module_id,
            "role_id": self.role_id,
            "org_unit_id": self.org_unit_id,
            "skill_id": self.skill_id,
            "channel": self.channel,
        }

    def as_row(self) -> dict[str, Any]:
        """One flat row for CSV and tables (evidence as ``key=value; ...``)."""
        data = self.as_json()
        effect = data.pop("expected_effect") or {}
        evidence = data.pop("evidence")
        data["audiences"] = " ".join(data["audiences"])
        data.update(
            {
                "expected_effect": effect.get("description", ""),
                "expected_value": effect.get("value"),
                "expected_low": effect.get("low"),
                "expected_high": effect.get("high"),
                "expected_unit": effect.get("unit", ""),
                "evidence": "; ".join(f"{k}={v}" for k, v in evidence.items()),
            }
        )
        return {column: data[column] for column in ROW_COLUMNS}


def sort_key(item: Recommendation) -> tuple[int, int, str, str]:
    """Most urgent first, then strongest evidence, then by kind and subject (stable order)."""
    return (
        PRIORITY_ORDER[item.priority],
        STRENGTH_ORDER[item.strength],
        item.kind.value,
        item.subject_id,
    )


def _round(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    return value
