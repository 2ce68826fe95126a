"""The permission matrix: every role against every route of the web app and its API.

The expected answers are written out here, independently of the rules in
`learnledger.governance.access`; a route added to the app without a row here fails the test.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from starlette.testclient import TestClient

from learnledger.web.app import app_routes
from learnledger.web.security import access_of

ROLES = ("admin", "analyst", "executive", "owner", "manager", "learner", "auditor")
ORG_WIDE = {"admin", "analyst", "executive"}
AGGREGATES = {"admin", "analyst", "executive", "owner", "manager"}
INDIVIDUALS = {"admin", "analyst", "manager", "learner"}

#: (path checked, route path it exercises) -> roles allowed (200); others get 403.
MATRIX: dict[tuple[str, str], set[str]] = {
    ("/", "/"): set(ROLES),
    ("/api/me", "/api/me"): set(ROLES),
    ("/overview", "/overview"): ORG_WIDE,
    ("/overview.json", "/overview.{fmt:str}"): ORG_WIDE,
    ("/overview.csv", "/overview.{fmt:str}"): ORG_WIDE,
    ("/api/metrics", "/api/metrics"): AGGREGATES,
    ("/api/metrics/completion_rate", "/api/metrics/{metric_id:str}"): AGGREGATES,
    ("/api/metrics/completion_rate.csv", "/api/metrics/{metric_id:str}.{fmt:str}"): AGGREGATES,
    ("/api/people", "/api/people"): INDIVIDUALS,
    ("/api/people.csv", "/api/people.{fmt:str}"): INDIVIDUALS,
    ("/api/people/A1-00", "/api/people/{person_id:str}"): INDIVIDUALS,
    ("/api/users", "/api/users"): {"admin"},
    ("/api/audit/verify", "/api/audit/verify"): {"admin", "auditor"},
}
PUBLIC = {"/health", "/login"}


def _matrix_files() -> dict[tuple[str, str], set[str]]:
    """Rows kept beside this test, one YAML file per area of the app:
    ``- {path: /x.json, route: "/x.{fmt:str}", allowed: [admin, analyst]}``."""
    rows: dict[tuple[str, str], set[str]] = {}
    for file in sorted((Path(__file__).parent / "permissions").glob("*.yml")):
        for row in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
            allowed = set(row["allowed"])
            assert allowed <= set(ROLES), (file.name, row)
            rows[(row["path"], row["route"])] = allowed
    return rows


MATRIX.update(_matrix_files())
SIGN_OUT = "/logout"


def test_every_route_declares_its_access_and_is_in_the_matrix() -> None:
    covered = {route for _, route in MATRIX} | PUBLIC | {SIGN_OUT}
    for route in app_routes():
        assert access_of(route.endpoint) != "undeclared", route.path
        assert route.path in covered, f"{route.path} is missing from the permission matrix"
        if route.path in PUBLIC:
            assert access_of(route.endpoint) is None, route.path


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("path", "route"), sorted(MATRIX))
def test_role_against_route(
    sign_in: Callable[[str], TestClient], role: str, path: str, route: str
) -> None:
    response = sign_in(role).get(path)
    expected = 200 if role in MATRIX[(path, route)] else 403
    assert response.status_code == expected, (role, path, response.text[:200])


@pytest.mark.parametrize(("path", "route"), sorted(MATRIX))
def test_anonymous_requests_are_refused_and_browsers_sent_to_sign_in(
    web_app_client: TestClient, path: str, route: str
) -> None:
    web_app_client.cookies.clear()
    assert web_app_client.get(path).status_code == 401
    if not path.startswith("/api/") and not path.endswith((".json", ".csv")):
        page = web_app_client.get(path, headers={"accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=")


def test_rows_are_limited_to_the_scope_and_identities_to_roles_that_need_them(
    sign_in: Callable[[str], TestClient],
) -> None:
    admin = sign_in("admin").get("/api/people").json()
    assert admin["identified"]
    assert len(admin["people"]) == 25
    assert admin["people"][0]["email"].endswith("@example.com")
    analyst = sign_in("analyst").get("/api/people").json()
    assert not analyst["identified"]
    assert len(analyst["people"]) == 25
    text = str(analyst)
    assert "example.com" not in text
    assert "Given" not in text
    assert "A1-00" not in text
    assert all(p["person"].startswith("p1-") for p in analyst["people"])
    manager = sign_in("manager").get("/api/people").json()
    assert {p["org_unit_id"] for p in manager["people"]} == {"OU-A", "OU-A1"}
    assert len(manager["people"]) == 13
    assert manager["identified"]
    learner = sign_in("learner").get("/api/people").json()
    assert [p["person"] for p in learner["people"]] == ["A1-00"]
    assert sign_in("manager").get("/api/people/B-00").status_code == 404
    assert sign_in("learner").get("/api/people/A1-01").status_code == 404
    assert sign_in("manager").get("/api/people/A1-03").status_code == 200


def test_aggregates_are_narrowed_to_the_scope(sign_in: Callable[[str], TestClient]) -> None:
    manager = sign_in("manager")
    own = manager.get("/api/metrics/completion_rate?filter.org_unit=OU-A1")
    assert own.status_code == 200
    assert manager.get("/api/metrics/completion_rate?filter.org_unit=OU-B").status_code == 403
    owner = sign_in("owner")
    assert owner.get("/api/metrics/completion_rate?filter.programme=PRG-1").status_code == 200
    refused = owner.get("/api/metrics/completion_rate?filter.programme=PRG-2")
    assert refused.status_code == 403
    assert "PRG-2" in refused.json()["error"]
    everyone = sign_in("executive").get("/api/metrics/completion_rate").json()
    narrowed = manager.get("/api/metrics/completion_rate").json()
    assert everyone != narrowed


def test_refusals_for_browsers_are_a_page_that_says_why(
    sign_in: Callable[[str], TestClient],
) -> None:
    page = sign_in("learner").get("/overview", headers={"accept": "text/html"})
    assert page.status_code == 403
    assert "Not allowed" in page.text
    assert "learner role may not view aggregates" in page.text
    page = sign_in("manager").get("/overview", headers={"accept": "text/html"})
    assert page.status_code == 403
    assert "whole organisation" in page.text
