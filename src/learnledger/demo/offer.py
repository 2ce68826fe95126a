"""The learning offer flattened into indexed arrays: courses, modules, assessments and items.

Generators refer to courses, modules and assessment items by their index here; the writers
turn indices into ids and IRIs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from learnledger.demo.spec import Scenario
from learnledger.demo.timeline import FloatArray, IntArray, stream

STREAM = 2
PRE, POST, DELAYED = 0, 1, 2
ASSESSMENT_KINDS = ("pre", "post", "delayed")
CHOICES = ("a", "b", "c", "d")
ATTENDANCE_CHANNELS = ("instructor_led", "virtual_classroom", "coaching", "on_the_job")


@dataclass
class Offer:
    """Courses, modules, assessments and items of every programme, by index."""

    course_ids: list[str]
    course_iris: list[str]
    course_programme: IntArray
    course_position: IntArray  # 0-based order within the programme
    course_channel: list[str]
    course_names: list[str]
    module_ids: list[str]
    module_iris: list[str]
    module_names: list[str]
    module_course: IntArray
    module_kind: list[str]
    module_minutes: FloatArray
    module_dropout: FloatArray
    programme_iris: list[str]
    programme_courses: list[IntArray]  # global course indices of each programme, in order
    assessment_ids: list[str]
    assessment_iris: list[str]
    assessment_names: list[str]
    assessment_programme: IntArray
    assessment_kind: IntArray  # PRE, POST or DELAYED
    assessment_course: IntArray
    item_ids: list[str]
    item_iris: list[str]
    item_assessment: IntArray
    item_position: IntArray
    item_skill: list[str]
    item_correct: IntArray  # index into CHOICES
    item_difficulty: FloatArray  # added to the probability of a correct answer
    item_prompts: list[str]

    def assessment_of(self, programme: int, kind: int) -> int:
        """Index of the programme's assessment of `kind`."""
        hits = np.flatnonzero(
            (self.assessment_programme == programme) & (self.assessment_kind == kind)
        )
        return int(hits[0])

    def items_of(self, assessment: int) -> IntArray:
        """Indices of the assessment's items, in order."""
        return np.flatnonzero(self.item_assessment == assessment)


def build_offer(scenario: Scenario, seed: int) -> Offer:
    """Flatten the scenario's programmes into an `Offer` (items drawn from the seed)."""
    rng = stream(seed, STREAM)
    text: dict[str, list[str]] = {name: [] for name in _TEXT_FIELDS}
    ints: dict[str, list[int]] = {name: [] for name in _INT_FIELDS}
    floats: dict[str, list[float]] = {name: [] for name in _FLOAT_FIELDS}
    programme_courses: list[IntArray] = []
    for p, prog in enumerate(scenario.programmes):
        base = prog.xapi_base
        text["programme_iris"].append(f"{base}/programmes/{prog.slug}")
        first = len(text["course_ids"])
        for k, course in enumerate(prog.courses):
            c = len(text["course_ids"])
            slug = course.code.lower()
            text["course_ids"].append(f"CRS-{course.code}")
            text["course_iris"].append(f"{base}/courses/{slug}")
            text["course_names"].append(course.name)
            text["course_channel"].append(course.channel)
            ints["course_programme"].append(p)
            ints["course_position"].append(k)
            for j, module in enumerate(course.modules):
                text["module_ids"].append(f"CRS-{course.code}-M{j + 1}")
                text["module_iris"].append(f"{base}/courses/{slug}/m{j + 1}")
                text["module_names"].append(module.name)
                text["module_kind"].append(module.kind)
                ints["module_course"].append(c)
                floats["module_minutes"].append(module.minutes)
                floats["module_dropout"].append(module.dropout)
        programme_courses.append(np.arange(first, len(text["course_ids"]), dtype=np.int64))
        for kind, label in enumerate(ASSESSMENT_KINDS):
            a = len(text["assessment_ids"])
            slug = f"{prog.code.lower()}-{label}"
            text["assessment_ids"].append(f"ASM-{prog.code}-{label.upper()}")
            text["assessment_iris"].append(f"{base}/assessments/{slug}")
            text["assessment_names"].append(f"{prog.name} {label}-test")
            ints["assessment_programme"].append(p)
            ints["assessment_kind"].append(kind)
            ints["assessment_course"].append(first if kind == PRE else c)
            n_items = prog.assessment_items
            difficulty = rng.uniform(-0.12, 0.12, n_items)
            difficulty -= difficulty.mean()
            for q in range(n_items):
                skill = prog.skills[q % len(prog.skills)]
                text["item_ids"].append(f"ASM-{prog.code}-{label.upper()}-Q{q + 1:02d}")
                text["item_iris"].append(f"{base}/assessments/{slug}/q{q + 1:02d}")
                text["item_skill"].append(skill)
                topic = skill.removeprefix("SK-").replace("-", " ").lower()
                text["item_prompts"].append(f"{prog.name}: {topic}, question {q + 1}")
                ints["item_assessment"].append(a)
                ints["item_position"].append(q + 1)
                ints["item_correct"].append(int(rng.integers(0, len(CHOICES))))
                floats["item_difficulty"].append(float(difficulty[q]))
    fields: dict[str, Any] = {
        **text,
        **{k: np.array(v, dtype=np.int64) for k, v in ints.items()},
        **{k: np.array(v, dtype=np.float64) for k, v in floats.items()},
    }
    return Offer(**fields, programme_courses=programme_courses)


_TEXT_FIELDS = (
    "course_ids",
    "course_iris",
    "course_channel",
    "course_names",
    "module_ids",
    "module_iris",
    "module_names",
    "module_kind",
    "programme_iris",
    "assessment_ids",
    "assessment_iris",
    "assessment_names",
    "item_ids",
    "item_iris",
    "item_skill",
    "item_prompts",
)
_INT_FIELDS = (
    "course_programme",
    "course_position",
    "module_course",
    "assessment_programme",
    "assessment_kind",
    "assessment_course",
    "item_assessment",
    "item_position",
    "item_correct",
)
_FLOAT_FIELDS = ("module_minutes", "module_dropout", "item_difficulty")
