"""The programme view service: URL filters, the evidence summary's rules, the cache, and the
funnel, drop-off and proficiency aggregates on both engines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.estimate import EffectEstimate, Interval
from learnledger.impact.programme_evidence import (
    GainFinding,
    ImpactFinding,
    RoiFinding,
    summarise_evidence,
)
from learnledger.impact.programme_view import (
    ProgrammeFilters,
    ProgrammeViewCache,
    ViewSettings,
    choose_outcome,
    programme_view,
)
from learnledger.storage import Engine, Migrator


def _did(effect: float, low: float, high: float, **extra: Any) -> EffectEstimate:
    return EffectEstimate("staggered_did", effect, 1.0, Interval(low, high), 40, 80, **extra)


def _naive(effect: float) -> EffectEstimate:
    return EffectEstimate("naive_difference", effect, 1.0, Interval(effect - 1, effect + 1), 40, 80)


def _kinds(lines: list[Any], kind: str) -> list[str]:
    return [line.text for line in lines if line.kind == kind]


def test_filters_from_the_url_default_and_name_the_bad_parameter() -> None:
    default = ProgrammeFilters.from_query({})
    assert (default.treatment, default.from_month, default.scale) == ("completed", 3, "level")
    chosen = ProgrammeFilters.from_query(
        {"treatment": "enrolled", "from_month": "0", "outcome": "m", "value_per_unit": "2.5"}
    )
    assert chosen.treatment == "enrolled"
    assert chosen.from_month == 0
    assert chosen.value_per_unit == 2.5
    assert chosen.key() != default.key()
    for query, name in (
        ({"treatment": "sometimes"}, "treatment"),
        ({"from_month": "-1"}, "from_month"),
        ({"settle_months": "99"}, "settle_months"),
        ({"value_per_unit": "lots"}, "value_per_unit"),
        ({"value_per_unit": "-3"}, "value_per_unit"),
        ({"basis": "hunch"}, "basis"),
        ({"scale": "cubic"}, "scale"),
    ):
        with pytest.raises(ValidationError) as error:
            ProgrammeFilters.from_query(query)
        assert error.value.path == name


def test_outcome_prefers_the_business_objective_then_behaviour_then_observed() -> None:
    metrics = {
        "sales": {"observed": True},
        "questions": {"observed": True},
        "idle": {"observed": False},
    }
    objectives = [
        {"level": "behaviour", "metric_id": "questions"},
        {"level": "business", "metric_id": "sales"},
    ]
    assert choose_outcome(objectives, metrics, None)[0] == "sales"
    assert choose_outcome(objectives[:1], metrics, None)[0] == "questions"
    unobserved_first = {"idle": {"observed": False}, **metrics}
    outcome, reason = choose_outcome([], unobserved_first, None)
    assert outcome is None
    assert "objectives" in reason
    kpi_only = [{"level": "business", "metric_id": "kpi_only"}]
    assert choose_outcome(kpi_only, unobserved_first, None)[0] is None
    outcome, reason = choose_outcome([], {}, None)
    assert outcome is None
    assert "import performance observations" in reason
    with pytest.raises(ValidationError):
        choose_outcome(objectives, metrics, "unknown")


def test_summary_supports_a_credible_improvement_and_flags_the_naive_gap() -> None:
    finding = ImpactFinding("Sales", "EUR", 1, _did(100.0, 40.0, 160.0), (_naive(400.0),))
    lines = summarise_evidence([finding], None, GainFinding(30, 12.0, 8.0, 16.0))
    supported = _kinds(lines, "supports")
    assert any("Scores rose by 12.0 points" in text for text in supported)
    assert any(text.startswith("Sales improved by 100 EUR") for text in supported)
    assert any("Difference-in-differences" in text and "40 trained" in text for text in supported)
    assert any("naive" in text and "overstate" in text for text in _kinds(lines, "caveat"))
    assert any("ROI is not computed" in t for t in _kinds(lines, "does_not_support"))


def test_summary_does_not_claim_an_interval_across_zero_or_a_failed_check() -> None:
    across = ImpactFinding("Sales", "EUR", 1, _did(20.0, -30.0, 70.0))
    failed = ImpactFinding(
        "Questions",
        "q",
        1,
        _did(1.0, 0.5, 1.5, diagnostics={"failed": True}, warnings=("Pre-trends differ.",)),
    )
    lower_better = ImpactFinding("Handle time", "min", -1, _did(-2.0, -3.0, -1.0))
    nothing = ImpactFinding("Engagement", "", 1, None, reason="no method isolated an effect")
    lines = summarise_evidence([across, failed, lower_better, nothing], None, None)
    refused = _kinds(lines, "does_not_support")
    assert any("consistent with no effect on Sales" in text for text in refused)
    assert any("Questions" in text and "Pre-trends differ." in text for text in refused)
    assert any("No effect on Engagement can be claimed" in text for text in refused)
    assert any("Learning gains cannot be shown" in text for text in refused)
    assert any(text.startswith("Handle time improved") for text in _kinds(lines, "supports"))


def test_summary_states_where_roi_stands_against_the_hurdle() -> None:
    def roi(low: float, high: float, *, counted: bool = True, rank: int = 1) -> RoiFinding:
        return RoiFinding(50.0, low, high, 0.6, 0.0, counted, "expert_estimate", rank)

    clears = summarise_evidence([], roi(10.0, 90.0), None)
    assert any("ROI clears the 0 % hurdle" in t for t in _kinds(clears, "supports"))
    short = summarise_evidence([], roi(-90.0, -10.0), None)
    assert any("falls short" in t for t in _kinds(short, "does_not_support"))
    unsure = summarise_evidence([], roi(-20.0, 90.0, rank=5), None)
    assert any("uncertain" in t and "60% chance" in t for t in _kinds(unsure, "does_not_support"))
    assert any("credibility 5 of 6" in t for t in _kinds(unsure, "caveat"))
    costs_only = summarise_evidence([], roi(-100.0, -100.0, counted=False), None)
    assert any("cannot be claimed" in t for t in _kinds(costs_only, "does_not_support"))


def test_cache_reuses_a_view_and_drops_older_data_versions() -> None:
    cache = ProgrammeViewCache(max_entries=2)
    built: list[int] = []

    def build(n: int) -> dict[str, Any]:
        built.append(n)
        return {"n": n}

    assert cache.get_or_build((1, "P", ()), lambda: build(1)) == {"n": 1}
    assert cache.get_or_build((1, "P", ()), lambda: build(2)) == {"n": 1}
    assert cache.get_or_build((2, "P", ()), lambda: build(3)) == {"n": 3}
    assert cache.get_or_build((1, "P", ()), lambda: build(4)) == {"n": 4}
    assert built == [1, 3, 4]
    assert (cache.hits, cache.misses) == (1, 3)


def _small_programme(engine: Engine) -> None:
    """Programme P: courses C1 (modules M1..M3) and C2; 12 people enrolled in C1, of whom 10
    reached M1, 9 M2 and 6 M3; 8 completed C1 and 6 of them C2; pre/post scores for 10."""
    Migrator(engine, MIGRATIONS).migrate()
    people = [f"p{i:02d}" for i in range(12)]
    engine.bulk_insert("people", pa.table({"person_id": people}))
    engine.bulk_insert("programmes", pa.table({"programme_id": ["P"], "name": ["Programme"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C1", "C2"],
                "programme_id": ["P", "P"],
                "name": ["First", "Second"],
                "delivery_channel": ["e_learning", "e_learning"],
                "position": [1, 2],
            }
        ),
    )
    engine.bulk_insert(
        "course_modules",
        pa.table(
            {
                "module_id": ["M1", "M2", "M3"],
                "course_id": ["C1"] * 3,
                "name": ["One", "Two", "Three"],
                "position": [1, 2, 3],
                "xapi_activity_id": [f"https://x.example/m{i}" for i in (1, 2, 3)],
            }
        ),
    )
    moment = datetime(2025, 3, 1, tzinfo=UTC)
    enrolments = [(p, "C1", i < 10, i < 8) for i, p in enumerate(people)]
    enrolments += [(p, "C2", True, i < 6) for i, p in enumerate(people[:8])]
    engine.bulk_insert(
        "enrolments",
        pa.table(
            {
                "enrolment_id": [f"E{i}" for i in range(len(enrolments))],
                "person_id": [e[0] for e in enrolments],
                "course_id": [e[1] for e in enrolments],
                "status": ["completed" if e[3] else "enrolled" for e in enrolments],
                "enrolled_at": pa.array([moment] * len(enrolments), pa.timestamp("us", tz="UTC")),
                "started_at": pa.array(
                    [moment if e[2] else None for e in enrolments], pa.timestamp("us", tz="UTC")
                ),
                "completed_at": pa.array(
                    [moment if e[3] else None for e in enrolments], pa.timestamp("us", tz="UTC")
                ),
            }
        ),
    )
    reach = {1: 10, 2: 9, 3: 6}
    events = [(p, m) for m, n in reach.items() for p in people[:n]]
    engine.bulk_insert(
        "learning_events",
        pa.table(
            {
                "event_id": [str(uuid.uuid4()) for _ in events],
                "person_id": [p for p, _ in events],
                "actor_ifi": [f"mbox:mailto:{p}@x.example" for p, _ in events],
                "verb_id": ["http://adlnet.gov/expapi/verbs/experienced"] * len(events),
                "verb": ["experienced"] * len(events),
                "activity_id": [f"https://x.example/m{m}" for _, m in events],
                "timestamp": pa.array([moment] * len(events), pa.timestamp("us", tz="UTC")),
                "stored": pa.array([moment] * len(events), pa.timestamp("us", tz="UTC")),
            }
        ),
    )
    engine.bulk_insert(
        "assessments",
        pa.table(
            {
                "assessment_id": ["PRE", "POST"],
                "programme_id": ["P", "P"],
                "name": ["Pre", "Post"],
                "kind": ["pre", "post"],
                "max_score": [100.0, 100.0],
            }
        ),
    )
    scored = people[:10]
    engine.bulk_insert(
        "assessment_results",
        pa.table(
            {
                "result_id": [f"R{i}" for i in range(20)],
                "assessment_id": ["PRE"] * 10 + ["POST"] * 10,
                "person_id": scored + scored,
                "taken_at": pa.array([moment] * 20, pa.timestamp("us", tz="UTC")),
                "score_raw": [50.0 + i for i in range(10)] + [60.0 + 2 * i for i in range(10)],
            }
        ),
    )


def test_funnel_drop_off_and_proficiency_on_each_engine(engine: Engine) -> None:
    _small_programme(engine)
    view = programme_view(engine, "P", ProgrammeFilters(), ViewSettings(5, "EUR", False))
    stages = {s["stage"]: s for s in view["funnel"]["stages"]}
    assert stages["Enrolled"]["people"] == 12
    assert stages["Started"]["people"] == 10
    assert stages["Completed a course"]["people"] == 8
    assert stages["Completed every course"]["people"] == 6
    assert stages["Completed every course"]["share_of_enrolled_pct"] == 50.0
    assert stages["Started"]["lost_since_previous"] == 2
    modules = view["funnel"]["modules"]
    assert [m["people_reaching"] for m in modules] == [10, 9, 6]
    assert [m["dropped"] for m in modules] == [None, 1, 3]
    assert view["funnel"]["largest_drop_off"]["module"] == "Three"
    courses = {c["course_id"]: c for c in view["funnel"]["courses"]}
    assert courses["C1"]["completion_rate_pct"] == pytest.approx(66.7)
    assert courses["C2"]["completed"] == 6
    by_kind = {k["assessment"]: k for k in view["proficiency"]["by_kind"]}
    assert by_kind["pre"]["mean_score_pct"] == pytest.approx(54.5)
    assert by_kind["post"]["mean_score_pct"] == pytest.approx(69.0)
    assert by_kind["delayed"]["people"] == 0
    gain = view["proficiency"]["gain"]
    assert gain["people"] == 10
    assert gain["mean"] == pytest.approx(14.5)
    assert gain["low"] < 14.5 < gain["high"]
    assert view["impacts"] == []
    assert not view["roi"]["available"]
    assert "import performance observations" in view["roi"]["reason"]
    assert not view["costs"]["available"]
    texts = [line["text"] for line in view["summary"]]
    assert any("Scores rose by 14.5 points" in text for text in texts)


def test_small_groups_are_withheld(engine: Engine) -> None:
    _small_programme(engine)
    view = programme_view(engine, "P", ProgrammeFilters(), ViewSettings(11, "EUR", False))
    stages = {s["stage"]: s["people"] for s in view["funnel"]["stages"]}
    assert stages == {
        "Enrolled": 12,
        "Started": None,
        "Completed a course": None,
        "Completed every course": None,
    }
    assert all(m["people_reaching"] is None for m in view["funnel"]["modules"])
    assert view["proficiency"]["gain"]["mean"] is None


def test_unknown_programme_is_not_found(engine: Engine) -> None:
    Migrator(engine, MIGRATIONS).migrate()
    with pytest.raises(NotFoundError):
        programme_view(engine, "NOPE", ProgrammeFilters(), ViewSettings(5, "EUR", False))


def test_people_who_withdrew_consent_to_analytics_are_left_out(engine: Engine) -> None:
    _small_programme(engine)
    engine.bulk_insert(
        "consent_records",
        pa.table(
            {
                "consent_id": ["CON-1"],
                "person_id": ["p00"],
                "purpose": ["analytics"],
                "status": ["withdrawn"],
                "recorded_at": pa.array(
                    [datetime(2025, 1, 1, tzinfo=UTC)], pa.timestamp("us", tz="UTC")
                ),
            }
        ),
    )
    view = programme_view(engine, "P", ProgrammeFilters(), ViewSettings(5, "EUR", False))
    stages = {s["stage"]: s["people"] for s in view["funnel"]["stages"]}
    assert stages["Enrolled"] == 11
    assert stages["Completed every course"] == 5
    assert [m["people_reaching"] for m in view["funnel"]["modules"]] == [9, 8, 5]
    assert view["proficiency"]["gain"]["people"] == 9
