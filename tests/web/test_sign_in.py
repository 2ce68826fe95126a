"""Security of signing in through HTTP: cookies, CSRF, throttling, bad credentials, redirects."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.web.app import create_app

PASSWORD = "a long test password"


@pytest.fixture(scope="module")
def client(web_settings: Settings) -> Iterator[TestClient]:
    """An anonymous client of an app that refuses sign-ins after 3 failures."""
    settings = web_settings.model_copy(update={"login_max_failures": 3})
    with TestClient(create_app(settings), base_url="https://testserver") as test_client:
        yield test_client


def _form(client: TestClient) -> str:
    client.get("/login")
    return client.cookies.get("ll_login_csrf") or ""


def test_the_session_cookie_is_http_only_secure_and_strict(client: TestClient) -> None:
    client.cookies.clear()
    token = _form(client)
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": "/api/me"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/api/me"
    cookie = next(h for h in response.headers.get_list("set-cookie") if "ll_session=" in h)
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    me = client.get("/api/me")
    assert me.json()["role"] == "admin"
    assert me.headers["cache-control"] == "no-store"
    assert me.headers["x-frame-options"] == "DENY"


def test_sign_in_needs_the_forms_csrf_token(client: TestClient) -> None:
    client.cookies.clear()
    _form(client)
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "ll_session" not in response.cookies


def test_state_changing_requests_need_the_session_csrf_token(
    client: TestClient, login: Callable[[TestClient, str, str], int]
) -> None:
    client.cookies.clear()
    assert login(client, "analyst", PASSWORD) == 303
    assert client.post("/logout", follow_redirects=False).status_code == 403
    assert client.post("/logout", data={"csrf_token": "0" * 64}).status_code == 403
    assert client.get("/api/me").status_code == 200  # still signed in
    csrf = client.get("/api/me").json()["csrf_token"]
    out = client.post("/logout", headers={"x-csrf-token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/api/me").status_code == 401


def test_a_stolen_cookie_is_useless_after_sign_out(
    client: TestClient, login: Callable[[TestClient, str, str], int]
) -> None:
    client.cookies.clear()
    assert login(client, "executive", PASSWORD) == 303
    stolen = client.cookies.get("ll_session")
    csrf = client.get("/api/me").json()["csrf_token"]
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.set("ll_session", stolen or "", domain="testserver")
    assert client.get("/api/me").status_code == 401


def test_wrong_credentials_get_401_then_429_when_repeated(client: TestClient) -> None:
    client.cookies.clear()
    responses = []
    for _ in range(4):
        token = _form(client)
        responses.append(
            client.post(
                "/login",
                data={"username": "auditor", "password": "not the password", "csrf_token": token},
                follow_redirects=False,
            )
        )
    assert [r.status_code for r in responses] == [401, 401, 401, 429]
    assert "Wrong username or password" in responses[0].text
    assert "Too many failed sign-ins" in responses[3].text
    assert "ll_session" not in client.cookies


@pytest.mark.parametrize("target", ["//evil.example.com/", "https://evil.example.com/", "\\\\x"])
def test_sign_in_never_redirects_off_site(web_settings: Settings, target: str) -> None:
    with TestClient(create_app(web_settings), base_url="https://testserver") as fresh:
        token = _form(fresh)
        response = fresh.post(
            "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": target},
            follow_redirects=False,
        )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
