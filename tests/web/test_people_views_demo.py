"""The team and governance pages on a small demo company (real imports, statements, ratings)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def test_an_admin_drills_down_from_the_whole_company(
    sign_in: Callable[[str], TestClient],
) -> None:
    admin = sign_in("admin")
    top = admin.get("/team.json").json()
    assert top["org_unit_id"] == "OU-NB"
    divisions = {u["org_unit_id"]: u for u in top["tables"]["sub_units"]}
    assert "OU-SALES" in divisions
    assert top["choosing"]
    assert top["tables"]["people"] == []
    assert sum(u["people"] for u in divisions.values()) <= top["people_in_scope"]
    sales = admin.get("/team.json?org_unit=OU-SALES").json()
    assert not sales["choosing"]
    assert sales["people_in_scope"] == divisions["OU-SALES"]["people"]
    assert all(p["org_unit_id"].startswith("OU-SALES") for p in sales["tables"]["people"])
    assert sales["tables"]["skills"]  # the demo rates people against role requirements
    reasons = {r for p in sales["tables"]["people"] for r in p["reasons"].split(", ") if r}
    assert reasons <= {"overdue", "inactive 30+ days", "failing score"}
    assert reasons


def test_the_demo_managers_team_stays_in_their_unit(sign_in: Callable[[str], TestClient]) -> None:
    manager = sign_in("manager")
    data = manager.get("/team.json").json()
    unit = data["org_unit_id"]
    assert {p["org_unit_id"] for p in data["tables"]["people"]} == {unit}
    assert manager.get("/team.json?org_unit=OU-NB").status_code == 403


def test_governance_shows_the_demo_imports_and_identity_resolution(
    sign_in: Callable[[str], TestClient],
) -> None:
    admin = sign_in("admin").get("/governance.json").json()
    assert admin["imports"]["runs"] == len(admin["tables"]["import_runs"]) > 10
    assert admin["imports"]["failed_runs"] == 0
    assert admin["identity"]["observed"] > 0
    assert admin["identity"]["linked"] == admin["identity"]["observed"]
    assert admin["tables"]["unlinked_identifiers"] == []
    assert len(admin["tables"]["sources"]) == admin["summary"]["counts"]["sources"]
    analyst = sign_in("analyst").get("/governance.json").json()
    assert "identity" in analyst["tables"]
    assert "unlinked_identifiers" not in analyst["tables"]
    page = sign_in("admin").get("/governance", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "No rejected cells" in page.text
