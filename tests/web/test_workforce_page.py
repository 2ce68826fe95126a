"""The workforce planning page (/workforce) on a small demo company: formats, filters, access
per role, suppression of small cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.insights.workforce import COLUMNS
from learnledger.storage import open_engine
from learnledger.web.app import create_app

PAGE = "/workforce"
PASSWORD = "a long test password"


@pytest.fixture(scope="module")
def web_settings(small_demo_with_users: Callable[[], Settings]) -> Settings:
    """A 300-person demo company with the demo's users (one per role)."""
    return small_demo_with_users()


def test_html_json_csv_and_chart_exports(sign_in: Callable[[str], TestClient], as_of: str) -> None:
    analyst = sign_in("analyst")
    query = f"as_of={as_of}&quarters=3"
    html = analyst.get(f"{PAGE}?{query}")
    assert html.status_code == 200
    text = html.text
    assert "<h1>Workforce planning</h1>" in text
    assert 'id="chart-supply"' in text
    assert "<svg" in text
    assert 'id="table-forecast"' in text
    assert 'class="sortable"' in text
    assert 'href="/workforce"' in text  # the navigation link
    assert 'id="lineage-forecast"' in text
    assert 'id="lineage-supply"' in text
    for fmt in ("csv", "svg", "png"):
        assert f'data-format="{fmt}"' in text
    assert "Data to import next" not in text  # the demo has every input

    page = analyst.get(f"{PAGE}.json?{query}").json()
    api = analyst.get(f"/api/insights/workforce/forecast?{query}").json()
    assert page["tables"]["forecast"] == [{c: r[c] for c in COLUMNS} for r in api["rows"]]
    assert page["quarters"] == api["quarters"]
    assert page["plan_name"] == api["plan_name"]
    assert set(page["lineage"]) == {"forecast", "supply", "offers"}
    assert page["lineage"]["forecast"]["filters"] == {"as_of": as_of, "quarters": "3"}
    assert page["missing_inputs"] == []
    assert page["charted_pairs"] >= 1

    exported = analyst.get(f"{PAGE}.csv?{query}")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert tuple(rows[0]) == COLUMNS
    assert len(rows) == len(page["tables"]["forecast"])
    offers = analyst.get(f"{PAGE}.csv?{query}&table=offers")
    assert offers.status_code == 200
    assert "completion_rate" in offers.text.splitlines()[0]
    svg = analyst.get(f"{PAGE}.svg?{query}&chart=supply")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert "aria-label" in svg.text  # tooltips on the marks
    assert "Expected supply:" in svg.text
    png = analyst.get(f"{PAGE}.png?{query}&chart=supply")
    assert png.content.startswith(b"\x89PNG")
    assert analyst.get(f"{PAGE}.svg?{query}&chart=nothing").status_code == 404


def test_filters_role_skill_and_horizon(sign_in: Callable[[str], TestClient], as_of: str) -> None:
    analyst = sign_in("analyst")
    everything = analyst.get(f"{PAGE}.json?as_of={as_of}").json()
    assert len(everything["quarters"]) == 4
    role_id, _ = everything["options"]["roles"][0]
    one_role = analyst.get(f"{PAGE}.json?as_of={as_of}&role={role_id}").json()
    assert one_role["tables"]["forecast"]
    assert {r["role_id"] for r in one_role["tables"]["forecast"]} == {role_id}
    assert one_role["filters"]["role"] == role_id
    skill_id = one_role["tables"]["forecast"][0]["skill_id"]
    one_skill = analyst.get(f"{PAGE}.json?as_of={as_of}&skill={skill_id}").json()
    assert {r["skill_id"] for r in one_skill["tables"]["forecast"]} == {skill_id}
    assert len(one_skill["tables"]["forecast"]) < len(everything["tables"]["forecast"])
    both = analyst.get(f"{PAGE}.json?as_of={as_of}&role={role_id}&skill={skill_id}").json()
    assert {(r["role_id"], r["skill_id"]) for r in both["tables"]["forecast"]} == {
        (role_id, skill_id)
    }
    six = analyst.get(f"{PAGE}.json?as_of={as_of}&quarters=6&role={role_id}").json()
    assert len(six["quarters"]) == 6
    assert {r["quarter"] for r in six["tables"]["forecast"]} == set(six["quarters"])
    html = analyst.get(f"{PAGE}?as_of={as_of}&role={role_id}").text
    assert f'<option value="{role_id}" selected>' in html
    bad = analyst.get(f"{PAGE}.json?quarters=many")
    assert bad.status_code == 400
    assert "quarters" in bad.json()["error"]
    assert analyst.get(f"{PAGE}.json?quarters=13").status_code == 400
    assert analyst.get(f"{PAGE}.json?role=NO-SUCH-ROLE").status_code == 404
    assert analyst.get(f"{PAGE}.xml").status_code == 404


def test_access_per_role(
    sign_in: Callable[[str], TestClient],
    web_app_client: TestClient,
    as_of: str,
    web_settings: Settings,
) -> None:
    web_app_client.cookies.clear()
    anonymous = web_app_client.get(PAGE, headers={"accept": "text/html"}, follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    assert web_app_client.get(f"{PAGE}.json").status_code == 401
    for role in ("learner", "auditor"):
        refused = sign_in(role).get(PAGE, headers={"accept": "text/html"})
        assert refused.status_code == 403
        assert "Not allowed" in refused.text
        assert 'href="/workforce"' not in sign_in(role).get("/").text
        assert sign_in(role).get(f"{PAGE}.csv").status_code == 403

    everyone = sign_in("executive").get(f"{PAGE}.json?as_of={as_of}").json()
    assert everyone["scope"] == "whole organisation"
    manager = sign_in("manager")
    own = manager.get(f"{PAGE}.json?as_of={as_of}").json()
    assert own["scope"].startswith("org unit ")
    assert 'href="/workforce"' in manager.get("/").text
    with open_engine(web_settings.database_url) as engine:
        root = engine.fetch_one("SELECT org_unit_id FROM org_units WHERE parent_id IS NULL")
    assert root is not None
    outside = manager.get(f"{PAGE}?org_unit={root[0]}", headers={"accept": "text/html"})
    assert outside.status_code == 403
    assert "outside your organisation" in outside.text

    owner = sign_in("owner").get(f"{PAGE}.json?as_of={as_of}").json()
    owner_skills = {r["skill_id"] for r in owner["tables"]["forecast"]}
    assert owner_skills < {r["skill_id"] for r in everyone["tables"]["forecast"]}
    assert {s for s, _ in owner["options"]["skills"]} == owner_skills
    other = next(
        r["skill_id"] for r in everyone["tables"]["forecast"] if r["skill_id"] not in owner_skills
    )
    narrowed = sign_in("owner").get(f"{PAGE}.json?as_of={as_of}&skill={other}").json()
    assert narrowed["tables"]["forecast"] == []


def test_small_cells_are_never_shown(sign_in: Callable[[str], TestClient], as_of: str) -> None:
    page = sign_in("analyst").get(f"{PAGE}.json?as_of={as_of}&quarters=2").json()
    rows = page["tables"]["forecast"]
    assert any(not r["suppressed"] for r in rows)
    for r in rows:
        if r["suppressed"]:
            assert r["headcount"] is None
            assert r["expected_supply"] is None
            assert r["supply_low"] is None
        else:
            assert r["headcount"] == 0 or r["headcount"] >= page["min_group_size"]
    assert page["suppressed_cells"] == sum(r["suppressed"] for r in rows)


@pytest.fixture
def strict_client(
    small_demo_with_users: Callable[[], Settings],
    login: Callable[[TestClient, str, str], int],
) -> Iterator[TestClient]:
    """An analyst on a copy of the demo whose minimum group size exceeds every role."""
    settings = small_demo_with_users().model_copy(update={"min_group_size": 1000})
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        assert login(client, "analyst", PASSWORD) == 303
        yield client


def test_a_minimum_group_size_above_every_role_withholds_every_figure(
    strict_client: TestClient, as_of: str
) -> None:
    page = strict_client.get(f"{PAGE}.json?as_of={as_of}").json()
    rows = page["tables"]["forecast"]
    assert rows
    assert all(r["suppressed"] for r in rows if r["headcount"] != 0)
    assert all(r["expected_supply"] is None for r in rows if r["suppressed"])
    assert page["charted_pairs"] == 0
    html = strict_client.get(f"{PAGE}?as_of={as_of}").text
    assert 'id="chart-supply"' not in html
    assert "Nothing to draw" in html
    assert strict_client.get(f"{PAGE}.svg?as_of={as_of}").status_code == 404
    exported = list(csv.DictReader(io.StringIO(strict_client.get(f"{PAGE}.csv").text)))
    assert all(r["expected_supply"] == "" for r in exported if r["suppressed"] == "True")


def test_a_repeated_view_comes_from_the_cache_until_the_data_changes(
    sign_in: Callable[[str], TestClient], as_of: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from learnledger.web import routes_workforce

    computed: list[str] = []
    real_forecast, real_version = routes_workforce.forecast_for, routes_workforce.data_version

    def counting_forecast(engine: Any, actor: Any, wanted: Any) -> Any:
        computed.append(actor.role.value)
        return real_forecast(engine, actor, wanted)

    monkeypatch.setattr(routes_workforce, "forecast_for", counting_forecast)
    query = f"{PAGE}.json?as_of={as_of}&quarters=7"  # asked by no other test
    first = sign_in("analyst").get(query).json()
    again = sign_in("analyst").get(query).json()
    assert again["tables"] == first["tables"]
    assert computed == ["analyst"]
    sign_in("manager").get(query)  # another scope is never served the analyst's forecast
    assert computed == ["analyst", "manager"]
    monkeypatch.setattr(routes_workforce, "data_version", lambda e: (*real_version(e), "new"))
    sign_in("analyst").get(query)
    assert computed == ["analyst", "manager", "analyst"]
