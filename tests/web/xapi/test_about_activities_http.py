"""The About resource (open to all, any version header) and the Activities resource."""

from __future__ import annotations

import uuid
from typing import Any

ABOUT = "/xapi/about"
ACTIVITIES = "/xapi/activities"
STATEMENTS = "/xapi/statements"
COURSE = "https://learn.example.com/courses/cs-101"


def test_about_needs_no_credentials_nor_version_header(lrs: Any) -> None:
    with lrs.client(scopes=None, version=None) as client:
        response = client.get(ABOUT)
        head = client.head(ABOUT)
        odd = client.get(ABOUT, headers={"X-Experience-API-Version": "0.9"})
    assert response.status_code == 200
    about = response.json()
    assert about["version"] == ["1.0.3", "2.0.0"]
    assert set(about) <= {"version", "extensions"}
    assert head.status_code == 200
    assert head.content == b""
    assert odd.status_code == 200


def test_an_unknown_activity_is_still_an_activity(lrs: Any) -> None:
    with lrs.client() as client:
        response = client.get(ACTIVITIES, params={"activityId": COURSE})
    assert response.status_code == 200
    assert response.json() == {"objectType": "Activity", "id": COURSE}


def test_activities_return_the_definition_merged_from_statements(lrs: Any) -> None:
    def about(definition: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(uuid.uuid4()),
            "actor": {"mbox": "mailto:ann@example.com"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
            "object": {"id": COURSE, "definition": definition},
        }

    with lrs.client() as client:
        client.post(STATEMENTS, json=about({"name": {"en-US": "CS 101"}}))
        client.post(STATEMENTS, json=about({"description": {"en-US": "Basics"}}))
        response = client.get(ACTIVITIES, params={"activityId": COURSE})
        head = client.head(ACTIVITIES, params={"activityId": COURSE})
    assert response.json() == {
        "objectType": "Activity",
        "id": COURSE,
        "definition": {"name": {"en-US": "CS 101"}, "description": {"en-US": "Basics"}},
    }
    assert head.content == b""


def test_activities_parameters_are_checked(lrs: Any) -> None:
    with lrs.client() as client:
        missing = client.get(ACTIVITIES)
        bad = client.get(ACTIVITIES, params={"activityId": "not an iri"})
        extra = client.get(ACTIVITIES, params={"activityId": COURSE, "x": "1"})
    assert [r.status_code for r in (missing, bad, extra)] == [400, 400, 400]
    assert missing.json()["path"] == "activityId"


def test_activities_need_a_read_scope(lrs: Any) -> None:
    with lrs.client(scopes="state") as client:
        response = client.get(ACTIVITIES, params={"activityId": COURSE})
    assert response.status_code == 403
