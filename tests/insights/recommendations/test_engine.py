"""The engine composes independent recommenders and ranks their output; the model's JSON and
CSV forms round-trip."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnledger.errors import ValidationError
from learnledger.impact.portfolio import Evidence
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.engine import (
    RecommendationEngine,
    RecommenderOutput,
    parse_kinds,
)
from learnledger.insights.recommendations.export import csv_text
from learnledger.insights.recommendations.model import (
    ROW_COLUMNS,
    Audience,
    ExpectedEffect,
    Priority,
    Recommendation,
    RecommendationKind,
)
from learnledger.storage import Engine


def _item(
    kind: RecommendationKind, subject: str, priority: Priority, strength: Evidence
) -> Recommendation:
    return Recommendation(
        kind=kind,
        action="act",
        subject_type="thing",
        subject_id=subject,
        title=f"Do {subject}",
        reason="because",
        strength=strength,
        priority=priority,
        audiences=(Audience.LEARNING_TEAM,),
        evidence={"n": 7},
        expected=ExpectedEffect("more", 1.0, "points", 0.5, 1.5),
    )


class Fixed:
    """A recommender returning fixed recommendations (any object with kind, name and
    recommend plugs into the engine)."""

    def __init__(self, name: str, kind: RecommendationKind, items: list[Recommendation]) -> None:
        self.name, self.kind, self.items = name, kind, items

    def recommend(self, context: RecommendationContext) -> RecommenderOutput:
        return RecommenderOutput(list(self.items), [f"{self.name} ran"])


def test_engine_ranks_by_priority_then_strength_and_filters_kinds(
    duckdb_engine: Engine,
) -> None:
    courses = Fixed(
        "c",
        RecommendationKind.COURSES,
        [
            _item(RecommendationKind.COURSES, "low", Priority.LOW, Evidence.STRONG),
            _item(RecommendationKind.COURSES, "high-weak", Priority.HIGH, Evidence.WEAK),
        ],
    )
    roles = Fixed(
        "r",
        RecommendationKind.ROLES,
        [_item(RecommendationKind.ROLES, "high-strong", Priority.HIGH, Evidence.STRONG)],
    )
    engine = RecommendationEngine([courses, roles])
    context = RecommendationContext(duckdb_engine)
    result = engine.run(context)
    assert [r.subject_id for r in result.recommendations] == ["high-strong", "high-weak", "low"]
    assert result.notes == {"c": ["c ran"], "r": ["r ran"]}
    only = engine.run(context, [RecommendationKind.ROLES])
    assert [r.subject_id for r in only.recommendations] == ["high-strong"]
    assert list(only.notes) == ["r"]


def test_engine_refuses_two_recommenders_with_one_name() -> None:
    with pytest.raises(ValidationError, match="share a name"):
        RecommendationEngine(
            [Fixed("x", RecommendationKind.ROLES, []), Fixed("x", RecommendationKind.PATHS, [])]
        )


def test_unknown_kind_is_named_in_the_error() -> None:
    with pytest.raises(ValidationError, match="unknown kind 'robots'"):
        parse_kinds(["paths", "robots"])


def test_recommendation_id_is_stable_and_depends_on_the_subject() -> None:
    a = _item(RecommendationKind.ROLES, "one", Priority.LOW, Evidence.WEAK)
    b = _item(RecommendationKind.ROLES, "one", Priority.HIGH, Evidence.STRONG)
    c = _item(RecommendationKind.ROLES, "two", Priority.LOW, Evidence.WEAK)
    assert a.recommendation_id == b.recommendation_id != c.recommendation_id


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@given(
    subject=_text,
    reason=_text,
    value=st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False, width=32)),
    kind=st.sampled_from(list(RecommendationKind)),
)
def test_json_and_csv_forms_round_trip(
    subject: str, reason: str, value: float | None, kind: RecommendationKind
) -> None:
    item = Recommendation(
        kind=kind,
        action="act",
        subject_type="thing",
        subject_id=subject,
        title="t",
        reason=reason,
        strength=Evidence.MODERATE,
        priority=Priority.MEDIUM,
        audiences=(Audience.LEARNER, Audience.MANAGER),
        evidence={"value": value, "label": reason},
        expected=ExpectedEffect("e", value, "points"),
        person_id="P1",
    )
    data = json.loads(json.dumps(item.as_json()))
    assert data == item.as_json()
    row = item.as_row()
    assert tuple(row) == ROW_COLUMNS
    (parsed,) = list(csv.DictReader(io.StringIO(csv_text([row], columns=ROW_COLUMNS))))
    assert parsed == {k: "" if v is None else str(v) for k, v in row.items()}
