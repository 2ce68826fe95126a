"""The xAPI protocol over HTTP: version header, authentication, scopes, body limits, errors,
CORS, Consistent-Through and the 1.0.3 alternate request syntax (rejected in 2.0)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnledger.web.xapi.protocol import format_instant, negotiate_version, parse_basic

STATEMENTS = "/xapi/statements"
VERSION = "X-Experience-API-Version"
CONSISTENT = "X-Experience-API-Consistent-Through"


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://learn.example.com/courses/cs-101"},
        **extra,
    }


@pytest.mark.parametrize(
    ("header", "version"),
    [
        ("1.0", "1.0.3"),
        ("1.0.0", "1.0.3"),
        ("1.0.3", "1.0.3"),
        ("2.0", "2.0.0"),
        ("2.0.0", "2.0.0"),
    ],
)
def test_supported_version_headers(lrs: Any, header: str, version: str) -> None:
    with lrs.client(version=header) as client:
        response = client.get(STATEMENTS)
    assert response.status_code == 200
    assert response.headers[VERSION] == version


@pytest.mark.parametrize("header", [None, "0.95", "1.1.0", "3.0.0", "2.0.0.1", "latest"])
def test_a_missing_or_unsupported_version_header_is_400(lrs: Any, header: str | None) -> None:
    with lrs.client(version=header) as client:
        response = client.get(STATEMENTS)
    assert response.status_code == 400
    assert response.json()["path"] == VERSION
    assert response.headers[VERSION] in ("1.0.3", "2.0.0")


def test_a_client_without_version_header_is_answered_in_the_version_it_speaks(lrs: Any) -> None:
    with lrs.client(version=None) as client:
        assert client.get(STATEMENTS).headers[VERSION] == "1.0.3"
        client.get(STATEMENTS, headers={VERSION: "2.0.0"})
        assert client.get(STATEMENTS).headers[VERSION] == "2.0.0"


def test_missing_wrong_and_malformed_credentials_are_401(lrs: Any) -> None:
    with lrs.client(scopes=None) as client:
        missing = client.get(STATEMENTS)
        wrong = client.get(STATEMENTS, headers={"Authorization": lrs.auth()[:-4] + "AAA="})
        malformed = client.get(STATEMENTS, headers={"Authorization": "Basic !!!"})
        bearer = client.get(STATEMENTS, headers={"Authorization": "Bearer abc"})
    for response in (missing, wrong, malformed, bearer):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_anonymous_access_when_configured(lrs: Any) -> None:
    with lrs.client(scopes=None, lrs_allow_anonymous=True) as client:
        stmt = statement()
        assert client.post(STATEMENTS, json=stmt).status_code == 200
        stored = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
        wrong = client.get(STATEMENTS, headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert stored["authority"]["account"]["name"] == "anonymous"
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        ("write", "get", 403),
        ("write", "post", 200),
        ("read", "get", 200),
        ("read", "post", 403),
        ("statements_read", "post", 403),
        ("state", "get", 403),
        ("mine", "get", 200),
    ],
)
def test_scopes_decide_reads_and_writes(lrs: Any, scopes: str, method: str, status: int) -> None:
    with lrs.client(scopes=scopes) as client:
        if method == "get":
            response = client.get(STATEMENTS)
        else:
            response = client.post(STATEMENTS, json=statement())
    assert response.status_code == status


def test_read_mine_sees_only_statements_of_its_own_authority(lrs: Any) -> None:
    mine, theirs = statement(), statement()
    with lrs.client(scopes="mine") as client:
        client.post(STATEMENTS, json=mine)
    with lrs.client(scopes="mine_too") as client:
        client.post(STATEMENTS, json=theirs)
        listed = [s["id"] for s in client.get(STATEMENTS).json()["statements"]]
        assert client.get(STATEMENTS, params={"statementId": mine["id"]}).status_code == 404
    assert listed == [theirs["id"]]


def test_a_body_above_the_limit_is_413(lrs: Any) -> None:
    with lrs.client(lrs_max_body_bytes=2048) as client:
        big = statement(result={"response": "x" * 4096})
        response = client.post(STATEMENTS, json=big)
        small = client.post(STATEMENTS, json=statement())
    assert response.status_code == 413
    assert small.status_code == 200


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"actor": "\xff\xfe"}', b"", b"[1, 2", b"\x00\x01"],
)
def test_malformed_bodies_are_400_never_500(lrs: Any, body: bytes) -> None:
    with lrs.client() as client:
        response = client.post(
            STATEMENTS, content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["path"] == "body"


def test_unknown_parameters_and_content_types_are_400(lrs: Any) -> None:
    with lrs.client() as client:
        unknown = client.get(STATEMENTS, params={"colour": "blue"})
        text = client.post(STATEMENTS, content=b"{}", headers={"Content-Type": "text/plain"})
    assert unknown.status_code == 400
    assert unknown.json()["path"] == "colour"
    assert text.status_code == 400


def test_an_unexpected_error_is_500_without_details(
    lrs: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret personal data")

    # Single statements go through `store_many` (the write queue), large batches `store_write`.
    monkeypatch.setattr("learnledger.lrs.statement_store.StatementStore.store_write", explode)
    monkeypatch.setattr("learnledger.lrs.statement_store.StatementStore.store_many", explode)
    with lrs.client() as client:
        response = client.post(STATEMENTS, json=statement())
        batch = client.post(STATEMENTS, json=[statement() for _ in range(20)])
    assert response.status_code == batch.status_code == 500
    assert "secret" not in response.text + batch.text
    assert "secret" not in caplog.text.split("Traceback")[0]


def test_every_response_carries_version_consistent_through_and_cors(lrs: Any) -> None:
    before = format_instant(datetime.now(UTC))
    with lrs.client() as client:
        responses = [
            client.get(STATEMENTS),
            client.get(STATEMENTS, params={"statementId": "nope"}),
            client.get("/xapi/no-such-resource"),
            client.delete(STATEMENTS),
        ]
    assert [r.status_code for r in responses] == [200, 400, 404, 405]
    for response in responses:
        assert response.headers[VERSION] == "2.0.0"
        assert response.headers[CONSISTENT] >= before
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", response.headers[CONSISTENT])
        assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_instants_are_utc_with_milliseconds() -> None:
    assert format_instant(datetime(2025, 2, 3, 10, 40, 1, 123999, tzinfo=UTC)) == (
        "2025-02-03T10:40:01.123Z"
    )
    east = timezone(timedelta(hours=5, minutes=30))
    assert format_instant(datetime(2025, 1, 1, 3, 4, 5, 6000, tzinfo=east)) == (
        "2024-12-31T21:34:05.006Z"
    )


def test_cors_preflight_needs_no_credentials(lrs: Any) -> None:
    with lrs.client(scopes=None, version=None) as client:
        response = client.options(
            STATEMENTS,
            headers={
                "Origin": "https://course.example.com",
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "authorization, x-experience-api-version",
            },
        )
    assert response.status_code == 200
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def form(fields: dict[str, str]) -> dict[str, Any]:
    return {
        "content": urlencode(fields),
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }


def test_alternate_syntax_put_and_get_in_1_0_3(lrs: Any) -> None:
    stmt = statement()
    with lrs.client(scopes=None, version=None) as client:
        put = client.post(
            STATEMENTS + "?method=PUT",
            **form(
                {
                    "statementId": stmt["id"],
                    "content": orjson.dumps(stmt).decode(),
                    "Authorization": lrs.auth(),
                    "X-Experience-API-Version": "1.0.3",
                }
            ),
        )
        got = client.post(
            STATEMENTS + "?method=GET",
            **form({"statementId": stmt["id"], "Authorization": lrs.auth(), VERSION: "1.0.3"}),
        )
    assert put.status_code == 204
    assert got.status_code == 200
    assert got.json()["id"] == stmt["id"]
    assert got.headers[VERSION] == "1.0.3"


@pytest.mark.parametrize(
    ("method", "query", "fields", "content_type", "path"),
    [
        ("put", "?method=POST", {}, "application/x-www-form-urlencoded", "method"),
        (
            "post",
            "?method=PUT&statementId=x",
            {},
            "application/x-www-form-urlencoded",
            "statementId",
        ),
        ("post", "?method=PUT", {"statementId": "x"}, "application/json", "Content-Type"),
        (
            "post",
            "?method=PUT",
            {"statementId": "x"},
            "application/x-www-form-urlencoded",
            "content",
        ),
        ("post", "?method=PATCH", {}, "application/x-www-form-urlencoded", "method"),
    ],
)
def test_malformed_alternate_syntax_is_400(
    lrs: Any, method: str, query: str, fields: dict[str, str], content_type: str, path: str
) -> None:
    with lrs.client(version="1.0.3") as client:
        response = client.request(
            method.upper(),
            STATEMENTS + query,
            content=urlencode(fields),
            headers={"Content-Type": content_type},
        )
    assert response.status_code == 400
    assert response.json()["path"] == path


@pytest.mark.parametrize("in_form", [False, True])
def test_alternate_syntax_is_rejected_in_2_0(lrs: Any, in_form: bool) -> None:
    with lrs.client(version=None if in_form else "2.0.0") as client:
        fields = {"limit": "1", **({VERSION: "2.0.0"} if in_form else {})}
        response = client.post(STATEMENTS + "?method=GET", **form(fields))
    assert response.status_code == 400
    assert "2.0" in response.json()["error"]


def test_negotiate_and_parse_basic_helpers() -> None:
    assert negotiate_version(" 2.0.9 ") == "2.0.0"
    assert parse_basic("basic dXNlcjpwYXNzOndvcmQ=") == ("user", "pass:word")


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "actor", "verb", "object", "mbox", "objectType", "x"]), children
        )
    ),
    max_leaves=12,
)
PARAM_NAMES = st.sampled_from(
    ["agent", "verb", "activity", "since", "limit", "format", "statementId", "more", "x"]
)


def test_no_client_input_produces_a_500(lrs: Any) -> None:
    with lrs.client() as client:

        @settings(max_examples=60, deadline=None, derandomize=True)
        @given(body=JSON, params=st.dictionaries(PARAM_NAMES, st.text(max_size=12), max_size=3))
        def check(body: Any, params: dict[str, str]) -> None:
            posted = client.post(STATEMENTS, content=orjson.dumps(body))
            queried = client.get(STATEMENTS, params=params)
            assert posted.status_code in (200, 400), posted.text
            assert queried.status_code in (200, 400, 404), queried.text

        check()
