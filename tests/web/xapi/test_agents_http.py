"""The xAPI Agents resource over HTTP: a Person object for any valid Agent."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.lrs.credentials import CredentialStore
from learnledger.storage import Migrator, open_engine
from learnledger.web.app import create_app

AGENTS = "/xapi/agents"
ANN = {"objectType": "Agent", "name": "Ann Lee", "mbox": "mailto:ann@example.com"}
ANN_ACCOUNT = {"homePage": "https://lms.example.com", "name": "ann"}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """A client with every scope on a database where Ann's e-mail and LMS account are linked."""
    url = f"duckdb:///{tmp_path / 'lrs.duckdb'}"
    with open_engine(url) as engine:
        Migrator(engine).migrate()
        key, secret = CredentialStore(engine).add("agents test", ["all"])
        for ifi, kind in (
            ("mbox:mailto:ann@example.com", "mbox"),
            ("account:https://lms.example.com|ann", "account"),
        ):
            engine.execute(
                "INSERT INTO identities (ifi, person_id, kind, linked_at) VALUES (?, ?, ?, ?)",
                [ifi, "P1", kind, datetime.now(UTC)],
            )
    token = base64.b64encode(f"{key}:{secret}".encode()).decode()
    headers = {"X-Experience-API-Version": "2.0.0", "Authorization": f"Basic {token}"}
    with TestClient(create_app(Settings(database_url=url)), headers=headers) as test_client:
        yield test_client


def agents(agent: Any) -> str:
    value = agent if isinstance(agent, str) else orjson.dumps(agent).decode()
    return f"{AGENTS}?{urlencode({'agent': value})}"


def test_person_combines_linked_identifiers(client: TestClient) -> None:
    response = client.get(agents(ANN))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "objectType": "Person",
        "name": ["Ann Lee"],
        "mbox": ["mailto:ann@example.com"],
        "account": [ANN_ACCOUNT],
    }


def test_person_includes_names_from_statements(client: TestClient) -> None:
    statement = {
        "actor": {"name": "Ann L.", "account": ANN_ACCOUNT},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
        "object": {"id": "http://www.example.com/meetings/1"},
    }
    assert client.post("/xapi/statements", json=statement).status_code == 200
    person = client.get(agents({"mbox": "mailto:ann@example.com"})).json()
    assert person["name"] == ["Ann L."]


def test_unknown_agent_still_gets_a_person(client: TestClient) -> None:
    bob = {"openid": "http://openid.example.org/bob"}
    assert client.get(agents(bob)).json() == {
        "objectType": "Person",
        "openid": ["http://openid.example.org/bob"],
    }


def test_head_has_no_body(client: TestClient) -> None:
    response = client.head(agents(ANN))
    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(AGENTS, id="missing"),
        pytest.param(agents("not JSON"), id="not-json"),
        pytest.param(agents({"objectType": "Agent", "name": "no ifi"}), id="no-ifi"),
        pytest.param(agents(ANN) + "&profileId=x", id="unknown-parameter"),
    ],
)
def test_invalid_agent_parameter_is_400(client: TestClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 400
    assert response.json()["path"] in ("agent", "profileId")
