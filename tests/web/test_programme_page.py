"""The programme page on a small demo organisation: content, filters, twins and access."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import open_engine
from learnledger.web.app import create_app

PASSWORD = "a long test password"
FLAGSHIP = "PRG-CONSULTATIVE-SELLING"
OTHER = "PRG-SECURE-CODING"
USERS: dict[str, tuple[Role, Scope]] = {
    "admin": (Role.ADMIN, Scope()),
    "analyst": (Role.ANALYST, Scope()),
    "executive": (Role.EXECUTIVE, Scope()),
    "owner": (Role.PROGRAMME_OWNER, Scope(programme_ids=(FLAGSHIP,))),
    "manager": (Role.MANAGER, Scope()),  # scoped to the root unit below
    "learner": (Role.LEARNER, Scope()),  # scoped to the first person below
    "auditor": (Role.AUDITOR, Scope()),
}


@pytest.fixture(scope="module")
def demo_settings(
    tmp_path_factory: pytest.TempPathFactory, small_demo: Callable[[Path], None]
) -> Settings:
    """A 300-person, 12-month demo (seed 11) with one user per role."""
    folder = tmp_path_factory.mktemp("programme-demo")
    settings = Settings(
        database_url=f"duckdb:///{folder / 'demo.duckdb'}",
        secret_key="programme-page-tests-secret-key",
        min_group_size=5,
        login_max_failures=50,
    )
    small_demo(folder / "demo.duckdb")
    with open_engine(settings.database_url) as engine:
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        root = engine.fetch_one("SELECT MIN(org_unit_id) FROM org_units WHERE parent_id IS NULL")
        person = engine.fetch_one("SELECT MIN(person_id) FROM people")
        assert root is not None
        assert person is not None
        scopes = {"manager": Scope(org_unit_id=root[0]), "learner": Scope(person_id=person[0])}
        for name, (role, scope) in USERS.items():
            scope = scopes.get(name, scope)
            directory.add(f"t-{name}", PASSWORD, role, scope, actor="cli:test")
    return settings


@pytest.fixture(scope="module")
def clients(
    demo_settings: Settings, login: Callable[[TestClient, str, str], int]
) -> Iterator[Callable[[str], TestClient]]:
    """Signed-in clients by role name, sharing one running app."""
    with TestClient(create_app(demo_settings), base_url="https://testserver") as app_client:
        made: dict[str, TestClient] = {}

        def client(role: str) -> TestClient:
            if role not in made:
                signed = TestClient(app_client.app, base_url="https://testserver")
                assert login(signed, f"t-{role}", PASSWORD) == 303
                made[role] = signed
            return made[role]

        yield client


@pytest.fixture(scope="module")
def login() -> Callable[[TestClient, str, str], int]:
    """Post the sign-in form the way a browser does (module-scoped copy of conftest's)."""

    def sign_in(client: TestClient, username: str, password: str) -> int:
        client.get("/login")
        token = client.cookies.get("ll_login_csrf")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token or ""},
            follow_redirects=False,
        )
        return response.status_code

    return sign_in


def test_programme_json_has_funnel_proficiency_impact_costs_roi_and_summary(
    clients: Callable[[str], TestClient],
) -> None:
    data = clients("analyst").get(f"/programmes/{FLAGSHIP}.json").json()
    stages = {s["stage"]: s["people"] for s in data["funnel"]["stages"]}
    assert stages["Enrolled"] >= stages["Started"] >= stages["Completed every course"] > 0
    assert data["funnel"]["largest_drop_off"]["dropped"] > 0
    assert [m["position"] for m in data["funnel"]["modules"]][:2] == [1, 2]
    gain = data["proficiency"]["gain"]
    assert gain["people"] >= 5
    assert gain["low"] < gain["mean"] < gain["high"]
    assert data["filters"]["outcome"] == "sales_per_rep"
    assert data["outcome_reason"] == "the programme's business objective"
    metrics = [i["metric_id"] for i in data["impacts"]]
    assert metrics == ["sales_per_rep", "discovery_questions_per_call"]
    for impact in data["impacts"]:
        chosen = impact["chosen"]
        assert chosen["method"]
        assert chosen["n_treated"] >= 5
        assert chosen["n_control"] > 0
        assert chosen["low"] <= chosen["effect"] <= chosen["high"]
        kinds = {row["kind"] for row in impact["estimates"]}
        assert "naive (not isolated)" in kinds
        assert any(k.startswith("isolated") for k in kinds)
    costs = {row["category"]: row["amount"] for row in data["costs"]["rows"]}
    assert set(costs) == {
        "analysis", "development", "delivery", "participant time", "support overhead",
        "evaluation",
    }  # fmt: skip
    roi = data["roi"]
    assert roi["available"]
    assert roi["value_basis"] == "standard value"
    assert roi["interval"]["low"] <= roi["roi_percent"] <= roi["interval"]["high"] + 1e-9
    assert roi["hurdle_percent"] == 100.0
    assert {s["assumption"] for s in roi["sensitivity"]} == {"effect", "value per unit", "costs"}
    assert next(s["step"] for s in data["checklist"]["steps"]) == "Objectives"
    kinds = {line["kind"] for line in data["summary"]}
    assert {"supports", "does_not_support"} <= kinds
    assert "example.com" not in str(data)
    assert "P000" not in str(data)


def test_filters_in_the_url_change_the_estimates_and_are_validated(
    clients: Callable[[str], TestClient],
) -> None:
    client = clients("executive")
    default = client.get(f"/programmes/{FLAGSHIP}.json").json()
    enrolled = client.get(f"/programmes/{FLAGSHIP}.json?treatment=enrolled&from_month=0").json()
    assert enrolled["filters"]["treatment"] == "enrolled"
    assert enrolled["impacts"][0]["chosen"] != default["impacts"][0]["chosen"]
    other = client.get(f"/programmes/{FLAGSHIP}.json?outcome=win_rate").json()
    assert other["filters"]["outcome"] == "win_rate"
    assert other["impacts"][0]["metric_id"] == "win_rate"
    assert not other["roi"]["available"]
    assert "win_rate" in other["roi"]["reason"]
    valued = client.get(
        f"/programmes/{FLAGSHIP}.json?outcome=win_rate&value_per_unit=50000&basis=expert_estimate"
    ).json()
    assert valued["roi"]["available"]
    assert valued["roi"]["value_per_unit"] == 50000
    bad = client.get(f"/programmes/{FLAGSHIP}.json?treatment=sometimes")
    assert bad.status_code == 400
    assert "treatment" in bad.json()["error"]
    assert client.get(f"/programmes/{FLAGSHIP}.json?outcome=nope").status_code == 400


def test_programme_without_a_money_value_says_what_to_record(
    clients: Callable[[str], TestClient],
) -> None:
    data = clients("admin").get(f"/programmes/{OTHER}.json").json()
    assert data["filters"]["outcome"] == "secure_review_rate"
    assert not data["roi"]["available"]
    assert "record a business KPI" in data["roi"]["reason"]
    assert any("ROI is not computed" in line["text"] for line in data["summary"])


def test_html_page_shows_every_section_with_methods_and_charts(
    clients: Callable[[str], TestClient],
) -> None:
    page = clients("owner").get(f"/programmes/{FLAGSHIP}", headers={"accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    for heading in (
        "From enrolment to completion",
        "Where people stop",
        "Proficiency before and after",
        "Behaviour and business impact",
        "Fully loaded costs",
        "Return on investment",
        "ROI calculator checklist",
        "What the evidence supports",
    ):
        assert heading in text, heading
    assert "Difference-in-differences" in text
    assert "95 % interval" in text
    assert text.count("<svg") >= 4
    assert 'href="/static/programme.css"' in text


def test_csv_and_chart_twins(clients: Callable[[str], TestClient]) -> None:
    client = clients("analyst")
    response = client.get(f"/programmes/{FLAGSHIP}.csv?table=estimates")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {"method", "effect", "low", "high", "n_treated", "n_control"} <= set(rows[0])
    funnel = client.get(f"/programmes/{FLAGSHIP}.csv?table=funnel")
    assert funnel.text.splitlines()[0].startswith("stage,people")
    svg = client.get(f"/programmes/{FLAGSHIP}.svg?chart=impact")
    assert svg.status_code == 200
    assert svg.text.startswith("<svg")
    assert client.get(f"/programmes/{FLAGSHIP}.svg?chart=nothing").status_code == 404


def test_access_by_role(clients: Callable[[str], TestClient]) -> None:
    owner = clients("owner")
    listed = owner.get("/programmes.json").json()["programmes"]
    assert [p["programme_id"] for p in listed] == [FLAGSHIP]
    refused = owner.get(f"/programmes/{OTHER}.json")
    assert refused.status_code == 403
    assert OTHER in refused.json()["error"]
    assert owner.get("/programmes/PRG-DOES-NOT-EXIST.json").status_code == 403
    assert clients("admin").get("/programmes/PRG-DOES-NOT-EXIST.json").status_code == 404
    assert len(clients("executive").get("/programmes.json").json()["programmes"]) == 7
    for role in ("manager", "learner", "auditor"):
        assert clients(role).get(f"/programmes/{FLAGSHIP}.json").status_code == 403, role
        assert clients(role).get("/programmes.json").status_code == 403, role


def test_views_are_cached_per_data_version(clients: Callable[[str], TestClient]) -> None:
    client = clients("admin")
    client.get(f"/programmes/{FLAGSHIP}.json?from_month=2")
    cache = client.app.state.programme_views  # type: ignore[attr-defined]
    misses = cache.misses
    again = client.get(f"/programmes/{FLAGSHIP}.json?from_month=2").json()
    assert cache.misses == misses
    client.app.state.engine.execute(  # type: ignore[attr-defined]
        "INSERT INTO programme_costs (cost_id, programme_id, category, amount, currency, "
        "incurred_on, allocation_share) VALUES ('C-TEST', ?, 'evaluation', 1000, 'EUR', "
        "DATE '2026-01-15', 1.0)",
        [FLAGSHIP],
    )
    changed = client.get(f"/programmes/{FLAGSHIP}.json?from_month=2").json()
    assert cache.misses == misses + 1
    assert changed["costs"]["total"] == pytest.approx(again["costs"]["total"] + 1000)


def test_exports_are_audited(clients: Callable[[str], TestClient]) -> None:
    client = clients("analyst")
    client.get(f"/programmes/{FLAGSHIP}.csv?table=costs")
    row = client.app.state.engine.fetch_one(  # type: ignore[attr-defined]
        "SELECT action, target, details FROM audit_events WHERE target = 'programme' "
        "ORDER BY seq DESC LIMIT 1"
    )
    assert row is not None
    assert row[0] == "export"
    assert FLAGSHIP in str(row[2])
    assert "costs" in str(row[2])


def test_roi_is_withheld_with_an_estimate_on_too_few_trained_people(
    clients: Callable[[str], TestClient],
) -> None:
    query = "?outcome=team_engagement&value_per_unit=100&basis=expert_estimate"
    data = clients("executive").get(f"/programmes/PRG-NEW-MANAGER-BOOTCAMP.json{query}").json()
    impact = data["impacts"][0]
    assert impact["metric_id"] == "team_engagement"
    assert impact["chosen"] is None
    assert "fewer than 5 trained people" in impact["reason"]
    assert all(row["effect"] is None for row in impact["estimates"] if row["withheld"])
    assert not data["roi"]["available"]
    assert "fewer than 5 trained people" in data["roi"]["reason"]
    assert "roi_percent" not in data["roi"]
