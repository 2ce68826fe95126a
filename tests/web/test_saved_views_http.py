"""Saved views over HTTP: save with the CSRF token, pin, share, delete, and the dashboard that
runs each view narrowed to the viewer's scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.testclient import TestClient

HTML = {"accept": "text/html"}


def _csrf(client: TestClient) -> str:
    token = client.get("/api/me").json().get("csrf_token")
    if token:
        return str(token)
    page = client.get("/views", headers=HTML).text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _post(client: TestClient, **fields: Any) -> Any:
    return client.post("/views", data={"csrf_token": _csrf(client), **fields})


def test_saving_needs_the_csrf_token(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("analyst")
    before = client.get("/views.json").json()["views"]
    refused = client.post("/views", data={"action": "save", "name": "x", "metric": "enrolments"})
    assert refused.status_code == 403
    assert "CSRF" in refused.text
    assert client.get("/views.json").json()["views"] == before


def test_save_pin_and_see_the_view_on_the_dashboard(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("executive")
    saved = _post(
        client,
        action="save",
        name="Enrolments by unit",
        metric="enrolments",
        by="org_unit",
        display="bar",
        pin="1",
    )
    assert saved.status_code == 200, saved.text
    view = saved.json()["view"]
    assert view["pinned"]
    assert view["mine"]
    assert not view["shared"]
    assert view["query"] == "metric=enrolments&by=org_unit&display=bar"
    board = client.get("/dashboard.json").json()
    card = next(c for c in board["cards"] if c["view_id"] == view["view_id"])
    assert card["error"] is None
    assert card["chart"] == f"view-{view['view_id']}"
    assert {r["segment"]: r["value"] for r in card["rows"]} == {
        "(total)": 25.0,
        "OU-A": 13.0,
        "OU-B": 12.0,
    }
    page = client.get("/dashboard", headers=HTML).text
    assert "Enrolments by unit" in page
    assert "<svg" in page
    _post(client, action="unpin", view_id=view["view_id"])
    assert client.get("/dashboard.json").json()["cards"] == []


def test_browser_form_posts_redirect_back(sign_in: Callable[[str], TestClient]) -> None:
    client = sign_in("admin")
    answer = client.post(
        "/views",
        data={
            "csrf_token": _csrf(client),
            "action": "save",
            "name": "Rate",
            "metric": "completion_rate",
            "next": "/dashboard",
            "pin": "1",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/dashboard"
    away = client.post(
        "/views",
        data={
            "csrf_token": _csrf(client),
            "action": "save",
            "name": "Rate 2",
            "metric": "completion_rate",
            "next": "//elsewhere.example/",
        },
        headers=HTML,
        follow_redirects=False,
    )
    assert away.headers["location"] == "/views"
    bad = client.post(
        "/views",
        data={"csrf_token": _csrf(client), "action": "save", "name": "", "metric": "enrolments"},
        headers=HTML,
    )
    assert bad.status_code == 400
    assert "name: give the view a name" in bad.text


def test_shared_views_run_in_the_viewers_scope_never_the_savers(
    sign_in: Callable[[str], TestClient],
) -> None:
    analyst = sign_in("analyst")
    view = _post(
        analyst,
        action="save",
        name="All enrolments",
        metric="enrolments",
        by="org_unit",
        shared="1",
    ).json()["view"]
    manager = sign_in("manager")
    listed = manager.get("/views.json").json()["tables"]["views"]
    assert view["view_id"] in {v["view_id"] for v in listed}
    pinned = _post(manager, action="pin", view_id=view["view_id"]).json()["view"]
    assert pinned["pinned"]
    assert not pinned["mine"]
    card = next(
        c for c in manager.get("/dashboard.json").json()["cards"] if c["view_id"] == view["view_id"]
    )
    segments = {r["segment"] for r in card["rows"]}
    assert "OU-B" not in segments
    assert segments <= {"(total)", "OU-A", "OU-A1"}
    assert manager.get("/dashboard?board=shared", headers=HTML).status_code == 200
    # The manager may not share or delete someone else's view.
    refused = _post(manager, action="delete", view_id=view["view_id"])
    assert refused.status_code == 403
    assert "only the user who saved" in refused.json()["error"]


def test_a_shared_view_outside_the_viewers_scope_shows_the_reason(
    sign_in: Callable[[str], TestClient],
) -> None:
    executive = sign_in("executive")
    view = _post(
        executive,
        action="save",
        name="Service only",
        metric="enrolments",
        **{"filter.org_unit": "OU-B"},
        shared="1",
    ).json()["view"]
    manager = sign_in("manager")
    _post(manager, action="pin", view_id=view["view_id"])
    card = next(
        c for c in manager.get("/dashboard.json").json()["cards"] if c["view_id"] == view["view_id"]
    )
    assert "outside your organisation" in card["error"]
    assert "rows" not in card


def test_delete_own_view_and_unknown_actions_are_named(
    sign_in: Callable[[str], TestClient],
) -> None:
    owner = sign_in("owner")
    view = _post(owner, action="save", name="Mine", metric="enrolments").json()["view"]
    assert _post(owner, action="share", view_id=view["view_id"]).json()["view"]["shared"]
    assert _post(owner, action="delete", view_id=view["view_id"]).json() == {
        "deleted": view["view_id"]
    }
    assert [v for v in owner.get("/views.json").json()["views"] if v["mine"]] == []
    wrong = _post(owner, action="rename", view_id="x")
    assert wrong.status_code == 400
    assert "action: unknown action 'rename'" in wrong.json()["error"]
    missing = _post(owner, action="pin", view_id="VIEW-nope")
    assert missing.status_code == 404
    assert sign_in("learner").get("/views.json").status_code == 403
