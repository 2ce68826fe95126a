"""The workforce forecast and maturity API on a small demo company, for every kind of role."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.storage import open_engine

FORECAST = "/api/insights/workforce/forecast"


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def test_the_organisation_forecast_uses_the_demo_plan(
    sign_in: Callable[[str], TestClient], as_of: str
) -> None:
    data = sign_in("analyst").get(f"{FORECAST}?as_of={as_of}&quarters=3").json()
    assert data["plan_name"].startswith("Workforce plan")
    assert len(data["quarters"]) == 3
    rows = data["rows"]
    assert {r["quarter"] for r in rows} == set(data["quarters"])
    planned = [r for r in rows if r["planned_headcount"] is not None]
    assert planned  # the quarters after the window are planned
    shown = [r for r in rows if not r["suppressed"]]
    assert shown
    for r in shown:
        assert r["supply_low"] <= r["expected_supply"] <= r["supply_high"] <= r["headcount"]
        assert r["meeting_now"] <= r["expected_supply"] + 1e-9
        assert r["gap"] == pytest.approx(r["required"] - r["expected_supply"], abs=0.02)
    assert all(r["headcount"] is None for r in rows if r["suppressed"])
    assert any(r["in_training"] for r in shown) or data["offers"]


def test_csv_export_and_narrowed_views(
    sign_in: Callable[[str], TestClient], as_of: str, web_settings: Settings
) -> None:
    executive = sign_in("executive")
    exported = executive.get(f"{FORECAST}.csv?as_of={as_of}&quarters=2")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows
    assert {"role_id", "skill_id", "quarter", "expected_supply", "gap"} <= set(rows[0])
    manager = sign_in("manager").get(f"{FORECAST}?as_of={as_of}").json()
    assert manager["scope"].startswith("org unit ")
    with open_engine(web_settings.database_url) as engine:
        root = engine.fetch_one("SELECT org_unit_id FROM org_units WHERE parent_id IS NULL")
    assert root is not None
    assert sign_in("manager").get(f"{FORECAST}?org_unit={root[0]}").status_code == 403
    owner = sign_in("owner").get(f"{FORECAST}?as_of={as_of}").json()
    everyone = executive.get(f"{FORECAST}?as_of={as_of}").json()
    assert {r["skill_id"] for r in owner["rows"]} < {r["skill_id"] for r in everyone["rows"]}
    assert sign_in("learner").get(FORECAST).status_code == 403
    bad = executive.get(f"{FORECAST}?quarters=many")
    assert bad.status_code == 400
    assert "quarters" in bad.json()["error"]


def test_maturity_api_for_organisation_wide_roles_only(
    sign_in: Callable[[str], TestClient],
) -> None:
    data = sign_in("admin").get("/api/insights/maturity").json()
    assert 1 <= data["level"] <= 5
    assert len(data["levels"]) == 5
    assert all(c["evidence"] for c in data["criteria"])
    assert sign_in("manager").get("/api/insights/maturity").status_code == 403
    assert sign_in("owner").get("/api/insights/maturity").status_code == 403
