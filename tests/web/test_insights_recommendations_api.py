"""The recommendations API on a small demo company, role by role: learners see their own,
managers their team, programme owners their programmes, executives group-level kinds only,
analysts people under pseudonyms; views of people and CSV exports are audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.governance.access import AccessService
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.storage import open_engine

PATH = "/api/insights/recommendations"
PERSON_KINDS = {"learners", "paths"}


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def _get(client: TestClient, query: str = "") -> dict[str, Any]:
    response = client.get(PATH + query)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _people_of(settings: Settings, condition: str, params: list[str]) -> set[str]:
    with open_engine(settings.database_url) as engine:
        return {
            str(r[0]) for r in engine.fetch_all(f"SELECT person_id FROM people {condition}", params)
        }


def test_an_admin_sees_every_kind_with_identified_people(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    data = _get(sign_in("admin"))
    kinds = {r["kind"] for r in data["recommendations"]}
    assert {"learners", "paths", "roles", "programmes", "channels"} <= kinds
    everyone = _people_of(web_settings, "", [])
    people = {r["person_id"] for r in data["recommendations"] if r["kind"] in PERSON_KINDS}
    assert people
    assert people <= everyone
    for item in data["recommendations"]:
        assert item["reason"]
        assert item["strength"] in ("strong", "moderate", "weak")
        assert item["priority"] in ("high", "medium", "low")


def test_a_learner_sees_only_their_own_learner_facing_recommendations(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    learner = sign_in("learner")
    me = learner.get("/api/me").json()
    data = _get(learner)
    assert set(data["kinds"]) == PERSON_KINDS
    assert {r["person_id"] for r in data["recommendations"]} <= {me["person_id"]}
    assert all("learner" in r["audiences"] for r in data["recommendations"])
    assert learner.get(PATH + "?kind=programmes").status_code == 403


def test_a_manager_sees_their_team_only(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    manager = sign_in("manager")
    unit = manager.get("/api/me").json()["org_unit_id"]
    with open_engine(web_settings.database_url) as engine:
        units = sorted(AccessService(engine).org_subtree(unit))
    marks = ", ".join("?" for _ in units)
    team = _people_of(web_settings, f"WHERE org_unit_id IN ({marks})", units)
    data = _get(manager)
    assert set(data["kinds"]) == PERSON_KINDS
    people = {r["person_id"] for r in data["recommendations"]}
    assert people
    assert people <= team
    assert manager.get(PATH + "?kind=channels").status_code == 403


def test_an_owner_sees_their_programmes_and_no_channels(
    sign_in: Callable[[str], TestClient],
) -> None:
    owner = sign_in("owner")
    mine = set(owner.get("/api/me").json()["programme_ids"])
    data = _get(owner)
    assert "channels" not in data["kinds"]
    assert not PERSON_KINDS & set(data["kinds"])
    assert data["recommendations"]
    assert {r["programme_id"] for r in data["recommendations"]} <= mine
    assert owner.get(PATH + "?kind=channels").status_code == 403


def test_an_executive_gets_group_level_recommendations_only(
    sign_in: Callable[[str], TestClient],
) -> None:
    executive = sign_in("executive")
    data = _get(executive)
    assert set(data["kinds"]) == {"courses", "channels", "programmes", "roles"}
    assert all(r["person_id"] is None for r in data["recommendations"])
    assert executive.get(PATH + "?kind=paths").status_code == 403
    assert sign_in("auditor").get(PATH).status_code == 403


def test_an_analyst_sees_people_under_pseudonyms(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    data = _get(sign_in("analyst"), "?kind=paths,learners")
    everyone = _people_of(web_settings, "", [])
    people = {r["person_id"] for r in data["recommendations"]}
    assert people
    assert all(p.startswith("p1-") for p in people)
    assert not people & everyone
    assert not any(p in r["subject_id"] for r in data["recommendations"] for p in everyone)


def test_programme_recommendations_follow_the_executive_portfolio(
    sign_in: Callable[[str], TestClient],
) -> None:
    admin = sign_in("admin")
    rows = {r["programme_id"]: r for r in admin.get("/executive.json").json()["roi_rows"]}
    data = _get(admin, "?kind=programmes")
    actions = {"invest": "scale", "improve": "improve", "retire": "retire"}
    compared = 0
    for item in data["recommendations"]:
        row = rows[item["programme_id"]]
        assert item["action"] == actions[row["decision"]]
        assert item["strength"] == row["evidence"]
        if row["roi_pct"] is not None:
            assert round(item["evidence"]["roi_percent"], 1) == row["roi_pct"]
            compared += 1
    assert compared


def test_csv_export_and_views_of_people_are_audited(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    manager = sign_in("manager")
    response = manager.get(PATH + ".csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows
    assert {r["kind"] for r in rows} <= PERSON_KINDS
    _get(manager)
    with open_engine(web_settings.database_url) as engine:
        entries = AuditLog(engine, load_key_ring(web_settings)).entries(target="recommendations")
    actions = [e.action for e in entries]
    assert "export" in actions
    assert "view_individual" in actions


def test_recommendations_are_computed_once_per_data_version(
    sign_in: Callable[[str], TestClient],
) -> None:
    admin = sign_in("admin")
    _get(admin)
    cache = admin.app.state.recommendation_cache  # type: ignore[attr-defined]
    runs = cache.runs
    _get(sign_in("executive"))
    _get(admin, "?kind=roles")
    assert cache.runs == runs
