"""The diagnostics API on a small demo company, as each role sees it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.storage import open_engine

API = "/api/insights/diagnostics"


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


@pytest.fixture(scope="module")
def demo_ids(web_settings: Settings) -> dict[str, str]:
    """A video course, a post-test, the owner's programme and another programme's course."""
    with open_engine(web_settings.database_url) as engine:
        owned = engine.fetch_one("SELECT programme_ids FROM app_users WHERE username = 'owner'")
        assert owned is not None
        programme = str(owned[0]).strip('[]" ')
        course = engine.fetch_one(
            "SELECT c.course_id FROM courses c JOIN course_modules m ON m.course_id = c.course_id "
            "WHERE m.kind = 'video' AND c.programme_id = ? ORDER BY c.course_id LIMIT 1",
            [programme],
        )
        other = engine.fetch_one(
            "SELECT course_id FROM courses WHERE programme_id <> ? ORDER BY course_id LIMIT 1",
            [programme],
        )
        test = engine.fetch_one(
            "SELECT assessment_id FROM assessments WHERE kind = 'post' AND programme_id = ?",
            [programme],
        )
    assert course is not None
    assert other is not None
    assert test is not None
    return {
        "programme": programme,
        "course": str(course[0]),
        "other": str(other[0]),
        "test": str(test[0]),
    }


def test_funnel_and_items_as_json(
    sign_in: Callable[[str], TestClient], demo_ids: dict[str, str]
) -> None:
    analyst = sign_in("analyst")
    funnel = analyst.get(f"{API}/funnel/{demo_ids['course']}").json()
    assert funnel["summary"]["course_id"] == demo_ids["course"]
    assert {"steps", "activities", "video"} <= set(funnel["tables"])
    assert funnel["tables"]["video"]
    for step in funnel["tables"]["steps"]:
        assert (
            step["stopped_here"] is None or step["stopped_here"] == 0 or step["stopped_here"] >= 5
        )
    items = analyst.get(f"{API}/items/{demo_ids['test']}?source=xapi&table=items").json()
    assert items["summary"]["source"] == "xapi"
    assert items["summary"]["kr20"] == items["summary"]["cronbach_alpha"]
    assert set(items["tables"]) == {"items"}
    assert analyst.get(f"{API}/items/NOPE").status_code == 404
    assert analyst.get(f"{API}/items/{demo_ids['test']}?table=nope").status_code == 400


def test_programme_owner_sees_only_their_programme(
    sign_in: Callable[[str], TestClient], demo_ids: dict[str, str]
) -> None:
    owner = sign_in("owner")
    assert owner.get(f"{API}/funnel/{demo_ids['course']}").status_code == 200
    assert owner.get(f"{API}/funnel/{demo_ids['other']}").status_code == 403
    profile = owner.get(f"{API}/audience/{demo_ids['programme']}").json()
    assert profile["summary"]["programme_id"] == demo_ids["programme"]
    assert set(profile["tables"]) == {"mix", "skills"}


def test_compare_names_its_correction_and_refuses_bad_input(
    sign_in: Callable[[str], TestClient],
) -> None:
    executive = sign_in("executive")
    result = executive.get(f"{API}/compare?outcome=completion&by=org_unit&correction=bh").json()
    assert result["summary"]["correction"].startswith("Benjamini-Hochberg")
    for row in result["tables"]["segments"]:
        if row["p_value"] is not None:
            assert row["p_adjusted"] >= row["p_value"]
    refused = executive.get(f"{API}/compare?outcome=happiness")
    assert refused.status_code == 400
    assert "outcome" in refused.text


def test_people_level_answers_follow_the_viewer(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    with open_engine(web_settings.database_url) as engine:
        found = engine.fetch_one("SELECT person_id FROM app_users WHERE username = 'learner'")
        real_ids = {str(r[0]) for r in engine.fetch_all("SELECT person_id FROM people")}
    assert found is not None
    learner_id = str(found[0])
    learner = sign_in("learner").get(f"{API}/skill-gaps").json()
    assert {row["person_id"] for row in learner["tables"]["gaps"]} <= {learner_id}
    assert learner["summary"]["identified"]
    engagement = sign_in("learner").get(f"{API}/engagement").json()
    assert {row["person_id"] for row in engagement["tables"].get("people", [])} <= {learner_id}
    analyst = sign_in("analyst").get(f"{API}/skill-gaps?level=person").json()
    assert analyst["tables"]["gaps"]
    assert not analyst["summary"]["identified"]
    assert all(row["given_name"] is None for row in analyst["tables"]["gaps"])
    assert not {row["person_id"] for row in analyst["tables"]["gaps"]} & real_ids
    assert sign_in("executive").get(f"{API}/skill-gaps?level=person").status_code == 403
    manager = sign_in("manager").get(f"{API}/skill-gaps?level=team").json()
    assert manager["tables"]["groups"]
