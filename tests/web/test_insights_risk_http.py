"""The early-warning API on a small demo company with trained models, role by role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.demo.users import demo_users
from learnledger.governance.access import AccessService
from learnledger.governance.actors import Actor, Role
from learnledger.governance.keys import load_key_ring
from learnledger.insights.early_warning.training import TrainingRequest, train_models
from learnledger.storage import open_engine


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """The 300-person demo with its users and completion models trained on it."""
    settings = small_demo_with_users()
    with open_engine(settings.database_url) as engine:
        starts = engine.fetch_all(
            "SELECT DISTINCT COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)) AS d "
            "FROM enrolments e LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id ORDER BY d"
        )
        train_models(
            engine,
            load_key_ring(settings),
            TrainingRequest(days=(0, 14, 28, 56), test_from=starts[len(starts) // 2][0]),
            trained_by="tests",
        )
    return settings


@pytest.fixture(scope="module")
def scopes(web_settings: Settings) -> dict[str, object]:
    """The demo users' scopes: the learner's person id, the people in the manager's subtree."""
    with open_engine(web_settings.database_url) as engine:
        users = {u.username: u for u in demo_users(engine)}
        manager = users["manager"].scope
        subtree = AccessService(engine).org_subtree(str(manager.org_unit_id))
        people = {
            str(r[0])
            for r in engine.fetch_all("SELECT person_id, org_unit_id FROM people")
            if r[1] in subtree
        }
        programme = users["owner"].scope.programme_ids[0]
        courses = {
            str(r[0])
            for r in engine.fetch_all(
                "SELECT course_id FROM courses WHERE programme_id = ?", [programme]
            )
        }
    return {"learner": users["learner"].scope.person_id, "team": people, "courses": courses}


def test_a_learner_sees_only_their_own_risk(
    sign_in: Callable[[str], TestClient], scopes: dict[str, object]
) -> None:
    body = sign_in("learner").get("/api/insights/risk?day=28&factors=2").json()
    assert body["method"] == "gradient_boosting"
    assert body["identified"] is True
    assert {row["person_id"] for row in body["enrolments"]} <= {scopes["learner"]}


def test_a_manager_sees_their_team_with_reasons(
    sign_in: Callable[[str], TestClient], scopes: dict[str, object]
) -> None:
    body = sign_in("manager").get("/api/insights/risk?day=28&limit=500").json()
    rows = body["enrolments"]
    assert rows
    assert {row["person_id"] for row in rows} <= scopes["team"]  # type: ignore[operator]
    assert [r["probability"] for r in rows] == sorted(
        (r["probability"] for r in rows), reverse=True
    )
    assert any(row["factors"] for row in rows)
    admin = sign_in("admin").get("/api/insights/risk?day=28&limit=100000").json()
    assert admin["scored"] > body["scored"]


def test_an_analyst_sees_pseudonyms_only(sign_in: Callable[[str], TestClient]) -> None:
    rows = sign_in("analyst").get("/api/insights/risk?day=28").json()["enrolments"]
    assert rows
    assert all(row["person_id"].startswith("p") and "-" in row["person_id"] for row in rows)
    admin_people = {
        r["person_id"]
        for r in sign_in("admin").get("/api/insights/risk?day=28").json()["enrolments"]
    }
    assert not admin_people & {row["person_id"] for row in rows}


def test_executives_get_counts_by_course_with_small_groups_suppressed(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    executive = sign_in("executive")
    assert executive.get("/api/insights/risk?day=28").status_code == 403
    body = executive.get("/api/insights/risk/summary?day=28").json()
    assert body["threshold"] == web_settings.risk_alert_threshold
    assert body["courses"]
    text = str(body)
    assert "person_id" not in text
    assert "enrolment_id" not in text
    for course in body["courses"]:
        if course["suppressed"]:
            assert course["at_risk"] is None
        else:
            assert course["enrolments"] >= web_settings.min_group_size
            assert course["at_risk"] == 0 or course["at_risk"] >= web_settings.min_group_size


def test_a_programme_owner_counts_only_their_programmes_courses(
    sign_in: Callable[[str], TestClient], scopes: dict[str, object]
) -> None:
    body = sign_in("owner").get("/api/insights/risk/summary?day=28").json()
    assert {c["course_id"] for c in body["courses"]} <= scopes["courses"]  # type: ignore[operator]


def test_auditors_read_the_model_cards(sign_in: Callable[[str], TestClient]) -> None:
    body = sign_in("auditor").get("/api/insights/risk/models?cards=1").json()
    kinds = {m["kind"] for m in body["models"]}
    assert kinds == {"gradient_boosting", "logistic_regression"}
    assert all(m["card"]["validation"]["split"].startswith("temporal") for m in body["models"])


def test_a_bad_day_is_a_clear_error(sign_in: Callable[[str], TestClient]) -> None:
    response = sign_in("admin").get("/api/insights/risk?day=soon")
    assert response.status_code in (400, 422)
    assert "day" in response.json()["error"]


def test_the_access_rules_behind_the_routes() -> None:
    """Learners see individuals (themselves) but no aggregates; auditors neither."""
    from learnledger.governance.access import Capability, decide

    assert decide(Actor("u", Role.LEARNER), Capability.VIEW_INDIVIDUALS).allowed
    assert not decide(Actor("u", Role.LEARNER), Capability.VIEW_AGGREGATES).allowed
