"""The risk recommender connected to the early-warning model: open enrolments scored by the
stored model, top factors for those at risk, coaching and nudges recommended from them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from learnledger.config import Settings
from learnledger.governance.keys import load_key_ring
from learnledger.insights.early_warning.team_risk import open_enrolment_risks
from learnledger.insights.recommendations.context import RecommendationContext
from learnledger.insights.recommendations.early_warning_source import EarlyWarningRiskSource
from learnledger.insights.recommendations.engine import RecommendationEngine
from learnledger.insights.recommendations.risk import RiskRecommender
from learnledger.storage import Migrator, open_engine


def _as_of(engine: object) -> dt.datetime:
    row = engine.fetch_one(  # type: ignore[attr-defined]
        "SELECT MAX(enrolled_at) FROM enrolments WHERE status IN ('enrolled', 'in_progress')"
    )
    return row[0] + dt.timedelta(days=14)  # type: ignore[no-any-return]


def test_open_enrolments_are_scored_and_the_risky_ones_explained(
    trained_demo: Callable[[], Settings],
) -> None:
    settings = trained_demo()
    keys = load_key_ring(settings)
    with open_engine(settings.database_url) as engine:
        as_of = _as_of(engine)
        source = EarlyWarningRiskSource(keys, min_probability=0.3)
        scores = source.risk_scores(engine, as_of)
        assert scores
        assert all(0.0 <= s.probability <= 1.0 for s in scores)
        assert all(s.model_id and s.model_auc is not None for s in scores)
        risky = [s for s in scores if s.probability >= 0.3]
        calm = [s for s in scores if s.probability < 0.3]
        assert all(s.top_factors for s in risky)
        assert not any(s.top_factors for s in calm)
        context = RecommendationContext.from_settings(engine, settings, as_of=as_of)
        result = RecommendationEngine([RiskRecommender(source)]).run(context)
        notes = [n for lines in result.notes.values() for n in lines]
        assert not any("no early-warning model" in n.lower() for n in notes)
        limits = settings.recommendations
        if any(s.probability >= limits.nudge_probability for s in scores):
            assert {r.action for r in result.recommendations} & {"coach", "manager_nudge"}


def test_without_a_trained_model_there_are_no_scores(demo_copy: Callable[[], Settings]) -> None:
    settings = demo_copy()
    with open_engine(settings.database_url) as engine:
        Migrator(engine).migrate()
        source = EarlyWarningRiskSource.from_settings(settings, load_key_ring(settings))
        assert source.risk_scores(engine, _as_of(engine)) == []


def test_a_teams_open_enrolments_are_scored_for_its_manager(
    trained_demo: Callable[[], Settings],
) -> None:
    settings = trained_demo()
    keys = load_key_ring(settings)
    with open_engine(settings.database_url) as engine:
        as_of = _as_of(engine)
        open_people = [
            str(p)
            for (p,) in engine.fetch_all(
                "SELECT DISTINCT person_id FROM enrolments "
                "WHERE status IN ('enrolled', 'in_progress') ORDER BY person_id LIMIT 12"
            )
        ]
        rows = open_enrolment_risks(engine, keys, open_people, on=as_of.date())
        assert rows
        assert {r["person_id"] for r in rows} <= set(open_people)
        assert [r["risk_pct"] for r in rows] == sorted((r["risk_pct"] for r in rows), reverse=True)
        assert all(0 <= r["risk_pct"] <= 100 for r in rows)
        assert rows[0]["factors"]  # the riskiest enrolment's reasons are named
        assert open_enrolment_risks(engine, keys, [], on=as_of.date()) == []


def test_no_team_risks_without_a_trained_model(demo_copy: Callable[[], Settings]) -> None:
    settings = demo_copy()
    with open_engine(settings.database_url) as engine:
        Migrator(engine).migrate()
        people = [str(p) for (p,) in engine.fetch_all("SELECT person_id FROM people LIMIT 5")]
        assert open_enrolment_risks(engine, load_key_ring(settings), people) == []
