"""The xAPI document resources (state, activity profile, agent profile) over HTTP."""

from __future__ import annotations

import base64
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
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

COURSE = "http://www.example.com/activityId/hashset"
ANN = {"objectType": "Agent", "account": {"homePage": "http://www.example.com", "name": "ann"}}
REGISTRATION = "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


#: The scope sets the tests use, each with one credential in the template database.
SCOPE_SETS = [("all",), ("statements/write",), ("all/read",), ("profile",), ("state",)]


@dataclass(frozen=True)
class Database:
    """A migrated DuckDB database and the credential (key, secret) of each scope set."""

    url: str
    credentials: dict[tuple[str, ...], tuple[str, str]]


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Database]:
    """Migrated once per session (argon2 hashing and migrations are slow); tests copy it."""
    path = tmp_path_factory.mktemp("template") / "lrs.duckdb"
    with open_engine(f"duckdb:///{path}") as engine:
        Migrator(engine).migrate()
        store = CredentialStore(engine)
        credentials = {scopes: store.add("documents test", scopes) for scopes in SCOPE_SETS}
    return path, Database(f"duckdb:///{path}", credentials)


@pytest.fixture
def database(template: tuple[Path, Database], tmp_path: Path) -> Database:
    """A fresh copy of the template database."""
    path, original = template
    copy = tmp_path / "lrs.duckdb"
    shutil.copyfile(path, copy)
    return Database(f"duckdb:///{copy}", original.credentials)


def make_client(
    database: Database, scopes: tuple[str, ...], version: str = "2.0.0"
) -> Iterator[TestClient]:
    key, secret = database.credentials[scopes]
    headers = {"X-Experience-API-Version": version, "Authorization": basic(key, secret)}
    with TestClient(create_app(Settings(database_url=database.url)), headers=headers) as client:
        yield client


@pytest.fixture(params=["1.0.3", "2.0.0"])
def client(request: pytest.FixtureRequest, database: Database) -> Iterator[TestClient]:
    """A client with every scope, speaking each xAPI version in turn."""
    yield from make_client(database, ("all",), request.param)


@pytest.fixture
def client_v2(database: Database) -> Iterator[TestClient]:
    yield from make_client(database, ("all",), "2.0.0")


@pytest.fixture
def client_v1(database: Database) -> Iterator[TestClient]:
    yield from make_client(database, ("all",), "1.0.3")


def query(**params: Any) -> str:
    return "?" + urlencode(
        {k: orjson.dumps(v).decode() if isinstance(v, dict) else v for k, v in params.items()}
    )


def state(state_id: str = "s1", **extra: Any) -> str:
    return STATE + query(activityId=COURSE, agent=ANN, stateId=state_id, **extra)


def activity_profile(profile_id: str = "p1", **extra: Any) -> str:
    return ACTIVITY_PROFILE + query(activityId=COURSE, profileId=profile_id, **extra)


def agent_profile(profile_id: str = "p1", **extra: Any) -> str:
    return AGENT_PROFILE + query(agent=ANN, profileId=profile_id, **extra)


def assert_400_naming(response: Any, name: str) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["path"] == name


# -- single documents --------------------------------------------------------------------------


def test_put_then_get_returns_the_document_as_sent(client: TestClient) -> None:
    content = b"\x00\x01binary\xff"
    put = client.put(state(), content=content, headers={"Content-Type": "image/png"})
    assert put.status_code == 204, put.text
    got = client.get(state())
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == "image/png"
    assert got.headers["etag"] == f'"{hashlib.sha1(content).hexdigest()}"'
    assert put.headers["etag"] == got.headers["etag"]
    assert parsedate_to_datetime(got.headers["last-modified"]).tzinfo is not None
    assert got.headers["x-experience-api-version"] in ("1.0.3", "2.0.0")


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    client.post(state(), json={"a": 1})
    got, head = client.get(state()), client.head(state())
    assert head.status_code == 200
    assert head.content == b""
    for name in ("etag", "last-modified", "content-type", "content-length"):
        assert head.headers[name] == got.headers[name]
    assert client.head(state("missing")).status_code == 404


def test_get_of_a_missing_document_is_404(client: TestClient) -> None:
    response = client.get(agent_profile("missing"))
    assert response.status_code == 404
    assert "x-experience-api-consistent-through" in response.headers


def test_post_merges_json_documents(client: TestClient) -> None:
    assert client.post(activity_profile(), json={"x": "foo", "y": "bar"}).status_code == 204
    assert client.post(activity_profile(), json={"x": "bash", "z": "faz"}).status_code == 204
    assert client.get(activity_profile()).json() == {"x": "bash", "y": "bar", "z": "faz"}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b"abcdefg", "not/json", id="posted-not-json"),
        pytest.param(b'{"a": 1}{', "application/json", id="posted-invalid-json"),
        pytest.param(b"a=b", "application/x-www-form-urlencoded", id="posted-form"),
    ],
)
def test_post_that_cannot_merge_is_400_and_leaves_the_document(
    client: TestClient, content: bytes, content_type: str
) -> None:
    client.post(state(), json={"car": "MKX"})
    response = client.post(state(), content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert client.get(state()).json() == {"car": "MKX"}


def test_post_of_json_onto_a_binary_document_is_400(client: TestClient) -> None:
    client.put(state(), content=b"/ asdf /", headers={"Content-Type": "application/octet-stream"})
    assert client.post(state(), json={"a": 1}).status_code == 400
    assert client.get(state()).content == b"/ asdf /"


def test_documents_are_kept_apart_by_registration(client: TestClient) -> None:
    client.post(state(), json={"plain": True})
    client.post(state(registration=REGISTRATION), json={"registered": True})
    assert client.get(state()).json() == {"plain": True}
    assert client.get(state(registration=REGISTRATION.upper())).json() == {"registered": True}


def test_an_agent_is_identified_by_its_ifi_not_its_name(client: TestClient) -> None:
    client.post(agent_profile(), json={"a": 1})
    named = {**ANN, "name": "Ann Lee"}
    assert client.get(AGENT_PROFILE + query(agent=named, profileId="p1")).json() == {"a": 1}


# -- several documents -------------------------------------------------------------------------


def test_get_without_id_lists_ids_since(client: TestClient) -> None:
    for state_id in ("b", "a"):
        client.post(state(state_id), json={})
    scope = STATE + query(activityId=COURSE, agent=ANN)
    listed = client.get(scope)
    assert listed.json() == ["a", "b"]
    assert "last-modified" in listed.headers
    assert client.get(scope + "&since=2000-01-01T00:00:00.000Z").json() == ["a", "b"]
    assert client.get(scope + "&since=2999-01-01T00:00:00Z").json() == []
    profiles = ACTIVITY_PROFILE + query(activityId=COURSE)
    client.post(activity_profile("p9"), json={})
    assert client.get(profiles).json() == ["p9"]
    assert client.get(AGENT_PROFILE + query(agent=ANN)).json() == []


def test_delete_without_state_id_deletes_the_scope(client: TestClient) -> None:
    client.post(state("one"), json={})
    client.post(state("two", registration=REGISTRATION), json={})
    other = STATE + query(activityId=COURSE + "/other", agent=ANN, stateId="kept")
    client.post(other, json={})
    scope = STATE + query(activityId=COURSE, agent=ANN)
    assert client.delete(scope).status_code == 204
    assert client.get(scope).json() == []
    assert client.get(other).status_code == 200


def test_delete_of_one_document(client: TestClient) -> None:
    client.post(agent_profile(), json={})
    assert client.delete(agent_profile()).status_code == 204
    assert client.get(agent_profile()).status_code == 404
    assert client.delete(agent_profile()).status_code == 204


# -- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "put", "post", "delete"])
@pytest.mark.parametrize("missing", ["activityId", "agent"])
def test_state_without_a_scope_parameter_is_400(
    client: TestClient, method: str, missing: str
) -> None:
    params = {"activityId": COURSE, "agent": ANN, "stateId": "s"}
    del params[missing]
    response = client.request(method.upper(), STATE + query(**params), json={})
    assert_400_naming(response, missing)


@pytest.mark.parametrize(
    ("method", "url", "name"),
    [
        ("PUT", STATE + query(activityId=COURSE, agent=ANN), "stateId"),
        ("POST", STATE + query(activityId=COURSE, agent=ANN), "stateId"),
        ("PUT", ACTIVITY_PROFILE + query(activityId=COURSE), "profileId"),
        ("DELETE", ACTIVITY_PROFILE + query(activityId=COURSE), "profileId"),
        ("DELETE", AGENT_PROFILE + query(agent=ANN), "profileId"),
        ("GET", ACTIVITY_PROFILE + query(profileId="p"), "activityId"),
        ("GET", AGENT_PROFILE + query(profileId="p"), "agent"),
    ],
)
def test_missing_required_parameter_is_400_naming_it(
    client: TestClient, method: str, url: str, name: str
) -> None:
    response = client.request(method, url, json={}, headers={"If-None-Match": "*"})
    assert_400_naming(response, name)


def state_with(**params: Any) -> str:
    """A state URL with the given parameters in place of the defaults (None drops one)."""
    merged = {"activityId": COURSE, "agent": ANN, "stateId": "s", **params}
    return STATE + query(**{k: v for k, v in merged.items() if v is not None})


@pytest.mark.parametrize(
    ("url", "name"),
    [
        pytest.param(state_with(agent="not JSON"), "agent", id="agent-text"),
        pytest.param(state_with(agent="true"), "agent", id="agent-true"),
        pytest.param(state_with(agent={"name": "x"}), "agent", id="agent-without-ifi"),
        pytest.param(
            state_with(agent={"objectType": "Group", "member": [ANN]}),
            "agent",
            id="anonymous-group",
        ),
        pytest.param(state_with(registration="true"), "registration", id="registration"),
        pytest.param(state_with(activityId="not an iri"), "activityId", id="activity"),
        pytest.param(state_with(foo="bar"), "foo", id="unknown"),
        pytest.param(state_with(StateId="x"), "StateId", id="wrong-case"),
        pytest.param(
            agent_profile(registration=REGISTRATION), "registration", id="registration-on-profile"
        ),
        pytest.param(state_with(stateId=None, since="not a timestamp"), "since", id="since"),
        pytest.param(agent_profile(profile_id=""), "profileId", id="empty-id"),
    ],
)
def test_invalid_parameter_is_400_naming_it(client: TestClient, url: str, name: str) -> None:
    assert_400_naming(client.get(url), name)


def test_since_is_only_a_parameter_of_reads(client: TestClient) -> None:
    assert_400_naming(client.delete(state(since="2020-01-01T00:00:00Z")), "since")


def test_broken_agent_encoding_is_400(client: TestClient) -> None:
    agent = orjson.dumps(ANN).decode().replace(":", '"', 1)
    response = client.post(f"{STATE}?activityId={COURSE}&stateId=s&agent={agent}", json={"a": 1})
    assert_400_naming(response, "agent")


# -- concurrency ---------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [activity_profile(), agent_profile()], ids=["activity", "agent"])
def test_profile_put_needs_a_precondition(client: TestClient, url: str) -> None:
    assert client.put(url, json={"v": 1}).status_code == 400
    assert client.put(url, json={"v": 1}, headers={"If-None-Match": "*"}).status_code == 204
    conflict = client.put(url, json={"v": 2})
    assert conflict.status_code == 409
    assert "If-Match" in conflict.json()["error"]
    assert client.put(url, json={"v": 2}, headers={"If-None-Match": "*"}).status_code == 412
    assert client.get(url).json() == {"v": 1}


@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
@pytest.mark.parametrize("make_url", [state, activity_profile, agent_profile])
def test_if_match_is_checked_on_every_write(client: TestClient, method: str, make_url: Any) -> None:
    url = make_url()
    client.post(url, json={"name": "original"})
    etag = client.get(url).headers["etag"]
    stale = client.request(method, url, json={"name": "new"}, headers={"If-Match": '"1234"'})
    assert stale.status_code == 412
    assert client.get(url).json() == {"name": "original"}
    fresh = client.request(method, url, json={"name": "new"}, headers={"If-Match": etag})
    assert fresh.status_code == 204


def test_state_put_without_precondition_overwrites_in_1_0_3(client_v1: TestClient) -> None:
    client_v1.put(state(), json={"v": 1})
    assert client_v1.put(state(), json={"v": 2}).status_code == 204
    assert client_v1.get(state()).json() == {"v": 2}


def test_state_put_without_precondition_conflicts_in_2_0(client_v2: TestClient) -> None:
    client_v2.put(state(), json={"v": 1})
    response = client_v2.put(state(), json={"v": 2})
    assert response.status_code == 409
    assert response.text
    assert client_v2.get(state()).json() == {"v": 1}


def test_last_modified_moves_on_update(client: TestClient) -> None:
    client.post(state(), json={"v": 1})
    first = client.get(state()).headers
    client.post(state(), json={"v": 2})
    second = client.get(state()).headers
    assert second["etag"] != first["etag"]
    assert parsedate_to_datetime(second["last-modified"]) >= parsedate_to_datetime(
        first["last-modified"]
    )


# -- protocol ------------------------------------------------------------------------------------


def test_alternate_request_syntax_writes_a_document_in_1_0_3(client_v1: TestClient) -> None:
    form = {
        "activityId": COURSE,
        "agent": orjson.dumps(ANN).decode(),
        "stateId": "alt",
        "content": '{"via": "form"}',
        "Content-Type": "application/json",
        "X-Experience-API-Version": "1.0.3",
        "Authorization": client_v1.headers["authorization"],
    }
    response = client_v1.post(
        f"{STATE}?method=PUT",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 204, response.text
    assert client_v1.get(state("alt")).json() == {"via": "form"}


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        (("statements/write",), "GET", 403),
        (("all/read",), "GET", 404),
        (("all/read",), "PUT", 403),
        (("profile",), "GET", 403),
        (("state",), "PUT", 204),
    ],
)
def test_state_needs_the_state_scope(
    database: Database, scopes: tuple[str, ...], method: str, status: int
) -> None:
    for scoped in make_client(database, scopes):
        response = scoped.request(method, state(), json={"a": 1})
        assert response.status_code == status, response.text


def test_profiles_need_the_profile_scope(database: Database) -> None:
    for scoped in make_client(database, ("state",)):
        assert scoped.get(agent_profile()).status_code == 403
    for scoped in make_client(database, ("profile",)):
        headers = {"If-None-Match": "*"}
        assert scoped.put(agent_profile(), json={}, headers=headers).status_code == 204
        assert scoped.put(activity_profile(), json={}, headers=headers).status_code == 204


def test_request_without_credentials_is_401(database: Database) -> None:
    with TestClient(create_app(Settings(database_url=database.url))) as anonymous:
        response = anonymous.get(state(), headers={"X-Experience-API-Version": "2.0.0"})
    assert response.status_code == 401
