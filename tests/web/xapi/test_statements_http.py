"""The Statement resource over HTTP: PUT, POST, GET, HEAD, conflicts, voiding, every query
filter, more paging, formats, attachments (multipart) and signed statements."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
import pytest

from learnledger.lrs.attachments import SIGNATURE_USAGE, split_multipart

STATEMENTS = "/xapi/statements"
COURSE = "https://learn.example.com/courses/cs-101"
MODULE = "https://learn.example.com/courses/cs-101/m1"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
ANN = {"objectType": "Agent", "name": "Ann", "mbox": "mailto:ann@example.com"}
BOB = {"mbox": "mailto:bob@example.com"}
REGISTRATION = "9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
PDF = b"%PDF-1.7 pretend\x00\xff binary"


def statement(actor: dict[str, Any] = ANN, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": COMPLETED, "display": {"en-US": "completed", "fr": "a terminé"}},
        "object": {
            "id": COURSE,
            "definition": {"name": {"en-US": "CS 101", "de": "Informatik 101"}},
        },
        **extra,
    }


def test_put_then_get_returns_the_stored_statement(any_lrs: Any) -> None:
    stmt = statement()
    with any_lrs.client() as client:
        put = client.put(STATEMENTS, params={"statementId": stmt["id"]}, json=stmt)
        got = client.get(STATEMENTS, params={"statementId": stmt["id"]})
        head = client.head(STATEMENTS, params={"statementId": stmt["id"]})
    assert put.status_code == 204
    assert got.status_code == 200
    body = got.json()
    assert body["actor"] == ANN
    assert body["version"] == "2.0.0"
    assert body["authority"]["account"]["name"] == any_lrs.credentials["all"][0]
    stored = datetime.fromisoformat(body["stored"])
    assert parsedate_to_datetime(got.headers["Last-Modified"]) == stored.replace(microsecond=0)
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == got.headers["Content-Length"]


def test_post_stores_one_or_many_and_returns_the_ids(any_lrs: Any) -> None:
    one, many = statement(), [statement(), statement()]
    no_id = statement()
    del no_id["id"]
    with any_lrs.client() as client:
        first = client.post(STATEMENTS, json=one)
        second = client.post(STATEMENTS, json=[*many, no_id])
    assert first.json() == [one["id"]]
    ids = second.json()
    assert ids[:2] == [s["id"] for s in many]
    assert str(uuid.UUID(ids[2])) == ids[2]


def test_conflicts_and_id_rules(lrs: Any) -> None:
    stmt = statement()
    with lrs.client() as client:
        assert (
            client.put(STATEMENTS, params={"statementId": stmt["id"]}, json=stmt).status_code == 204
        )
        same = client.put(STATEMENTS, params={"statementId": stmt["id"]}, json=stmt)
        other = client.post(STATEMENTS, json={**stmt, "verb": {"id": "http://example.com/v"}})
        mismatch = client.put(STATEMENTS, params={"statementId": str(uuid.uuid4())}, json=stmt)
        missing = client.put(STATEMENTS, json=stmt)
        twice = client.post(STATEMENTS, json=[statement(id=stmt["id"])] * 2)
        array_put = client.put(STATEMENTS, params={"statementId": stmt["id"]}, json=[stmt])
        invalid = client.post(STATEMENTS, json=statement(verb={"id": "not an iri"}))
    assert same.status_code == 204
    assert other.status_code == 409
    assert mismatch.status_code == 400
    assert missing.status_code == 400
    assert twice.status_code == 400
    assert array_put.status_code == 400
    assert invalid.status_code == 400
    assert invalid.json()["path"] == "statement[0].verb.id"


def test_voiding_hides_the_statement_but_keeps_it_retrievable(lrs: Any) -> None:
    target = statement()
    void = statement(verb={"id": VOIDED}, object={"objectType": "StatementRef", "id": target["id"]})
    with lrs.client() as client:
        client.post(STATEMENTS, json=target)
        client.post(STATEMENTS, json=void)
        by_id = client.get(STATEMENTS, params={"statementId": target["id"]})
        by_voided = client.get(STATEMENTS, params={"voidedStatementId": target["id"]})
        listed = client.get(STATEMENTS, params={"activity": COURSE}).json()["statements"]
        both = client.get(
            STATEMENTS, params={"statementId": target["id"], "voidedStatementId": target["id"]}
        )
        extra = client.get(STATEMENTS, params={"statementId": target["id"], "verb": COMPLETED})
    assert by_id.status_code == 404
    assert by_voided.json()["id"] == target["id"]
    assert [s["id"] for s in listed] == [void["id"]]
    assert both.status_code == 400
    assert extra.status_code == 400
    assert extra.json()["path"] == "verb"


def test_query_filters_over_http(lrs: Any) -> None:
    by_ann = statement()
    by_bob = statement(BOB, context={"registration": REGISTRATION})
    in_module = statement(
        object={"id": MODULE}, context={"contextActivities": {"parent": {"id": COURSE}}}
    )
    with lrs.client() as client:
        client.post(STATEMENTS, json=[by_ann, by_bob, in_module])

        def ids(**params: str) -> list[str]:
            response = client.get(STATEMENTS, params=params)
            assert response.status_code == 200, response.text
            return [s["id"] for s in response.json()["statements"]]

        assert ids(agent=orjson.dumps(BOB).decode()) == [by_bob["id"]]
        assert ids(registration=REGISTRATION) == [by_bob["id"]]
        assert ids(activity=COURSE) == [by_bob["id"], by_ann["id"]]
        assert ids(activity=COURSE, related_activities="true") == [
            in_module["id"],
            by_bob["id"],
            by_ann["id"],
        ]
        assert ids(verb=COMPLETED, ascending="true")[0] == by_ann["id"]
        assert ids(since="2000-01-01T00:00:00Z", until="2001-01-01T00:00:00Z") == []


def test_more_links_page_through_every_statement(any_lrs: Any) -> None:
    written = [statement() for _ in range(5)]
    with any_lrs.client() as client:
        for stmt in written:
            client.post(STATEMENTS, json=stmt)
        page = client.get(STATEMENTS, params={"limit": "2"}).json()
        seen = [s["id"] for s in page["statements"]]
        client.post(STATEMENTS, json=statement())  # arrives while paging
        while page["more"]:
            assert page["more"].startswith("/xapi/statements?more=")
            page = client.get(page["more"]).json()
            seen += [s["id"] for s in page["statements"]]
        bad = client.get(STATEMENTS, params={"more": "garbage"})
        mixed = client.get(STATEMENTS, params={"more": "x", "limit": "1"})
    assert seen == [s["id"] for s in reversed(written)]
    assert bad.status_code == 400
    assert mixed.status_code == 400


def test_formats_ids_and_canonical(lrs: Any) -> None:
    group = {"objectType": "Group", "member": [ANN, {**BOB, "name": "Bob"}]}
    stmt = statement(group)
    with lrs.client() as client:
        client.post(STATEMENTS, json=stmt)
        ids = client.get(STATEMENTS, params={"statementId": stmt["id"], "format": "ids"}).json()
        canonical = client.get(
            STATEMENTS,
            params={"statementId": stmt["id"], "format": "canonical"},
            headers={"Accept-Language": "de, en;q=0.5"},
        ).json()
        exact = client.get(STATEMENTS, params={"format": "exact"}).json()["statements"][0]
        bad = client.get(STATEMENTS, params={"format": "short"})
    assert ids["actor"] == {
        "objectType": "Group",
        "member": [
            {"objectType": "Agent", "mbox": ANN["mbox"]},
            {"objectType": "Agent", "mbox": BOB["mbox"]},
        ],
    }
    assert ids["verb"] == {"id": COMPLETED}
    assert ids["object"] == {"id": COURSE}
    assert canonical["object"]["definition"]["name"] == {"de": "Informatik 101"}
    assert canonical["verb"]["display"] == {"en-US": "completed"}
    assert canonical["actor"] == group
    assert exact["object"]["definition"] == stmt["object"]["definition"]
    assert bad.status_code == 400


def multipart(document: Any, parts: list[tuple[str, bytes]], boundary: str = "xyz") -> bytes:
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()]
    out.append(orjson.dumps(document) + b"\r\n")
    for digest, content in parts:
        out.append(
            f"--{boundary}\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: binary"
            f"\r\nX-Experience-API-Hash: {digest}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def attachment(
    content: bytes, usage: str = "https://example.com/usage/cert", **extra: Any
) -> dict[str, Any]:
    return {
        "usageType": usage,
        "display": {"en-US": "attachment"},
        "contentType": "application/pdf",
        "length": len(content),
        "sha2": hashlib.sha256(content).hexdigest(),
        **extra,
    }


def with_attachment(content: bytes) -> dict[str, Any]:
    return statement(attachments=[attachment(content)])


def signature_of(token: bytes) -> list[dict[str, Any]]:
    return [attachment(token, SIGNATURE_USAGE, contentType="application/octet-stream")]


MULTIPART = {"Content-Type": 'multipart/mixed; boundary="xyz"'}


def test_attachments_are_stored_and_served_multipart(lrs: Any) -> None:
    stmt = with_attachment(PDF)
    digest = hashlib.sha256(PDF).hexdigest()
    with lrs.client() as client:
        posted = client.post(
            STATEMENTS, content=multipart(stmt, [(digest, PDF)]), headers=MULTIPART
        )
        plain = client.get(STATEMENTS, params={"statementId": stmt["id"]})
        response = client.get(STATEMENTS, params={"statementId": stmt["id"], "attachments": "true"})
        listed = client.get(STATEMENTS, params={"attachments": "true"})
    assert posted.status_code == 200, posted.text
    assert plain.headers["Content-Type"] == "application/json"
    content_type = response.headers["Content-Type"]
    assert content_type.startswith("multipart/mixed")
    boundary = content_type.split("boundary=")[1].strip('"')
    parts = split_multipart(response.content, boundary)
    assert orjson.loads(parts[0][1])["id"] == stmt["id"]
    assert parts[1][0]["x-experience-api-hash"] == digest
    assert parts[1][1] == PDF
    listed_parts = split_multipart(
        listed.content, listed.headers["Content-Type"].split("=")[1].strip('"')
    )
    assert "statements" in orjson.loads(listed_parts[0][1])


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (lambda s, d: multipart(s, [("0" * 64, PDF)]), "part 2"),
        (lambda s, d: multipart(s, []), "statement[0].attachments[0]"),
        (lambda s, d: multipart(s, [(d, PDF)], "other"), "body"),
        (lambda s, d: orjson.dumps(s), "statement[0].attachments[0]"),
    ],
)
def test_bad_attachment_requests_are_400(lrs: Any, make: Any, path: str) -> None:
    stmt = with_attachment(PDF)
    digest = hashlib.sha256(PDF).hexdigest()
    body = make(stmt, digest)
    content_type = "application/json" if body.startswith(b"{") else MULTIPART["Content-Type"]
    with lrs.client() as client:
        response = client.post(STATEMENTS, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["path"] == path


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize(("algorithm", "status"), [("RS256", 200), ("RS512", 200), ("HS256", 400)])
def test_signed_statements(lrs: Any, algorithm: str, status: int) -> None:
    original = statement()
    header = b64url(orjson.dumps({"alg": algorithm}))
    token = f"{header}.{b64url(orjson.dumps(original))}.{b64url(b'sig')}".encode()
    stmt = {**original, "attachments": signature_of(token)}
    digest = hashlib.sha256(token).hexdigest()
    with lrs.client() as client:
        body = multipart(stmt, [(digest, token)])
        response = client.post(STATEMENTS, content=body, headers=MULTIPART)
    assert response.status_code == status, response.text


def test_a_tampered_signed_statement_is_rejected(lrs: Any) -> None:
    original = statement()
    header = b64url(orjson.dumps({"alg": "RS256"}))
    token = f"{header}.{b64url(orjson.dumps(original))}.c2ln".encode()
    stmt = {**original, "result": {"success": True}, "attachments": signature_of(token)}
    digest = hashlib.sha256(token).hexdigest()
    with lrs.client() as client:
        body = multipart(stmt, [(digest, token)])
        response = client.post(STATEMENTS, content=body, headers=MULTIPART)
    assert response.status_code == 400
    assert "not the statement" in response.json()["error"]


def test_1_0_3_requests_store_1_0_statements(lrs: Any) -> None:
    stmt = statement(timestamp="2025-02-03T11:00:00+02:00")
    with lrs.client(version="1.0.3") as client:
        client.post(STATEMENTS, json=stmt)
        got = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
    assert got["version"] == "1.0.0"
    assert got["timestamp"] == "2025-02-03T11:00:00+02:00"


def test_2_0_requests_normalise_timestamps_to_utc(lrs: Any) -> None:
    stmt = statement(timestamp="2025-02-03T11:00:00+02:00")
    with lrs.client() as client:
        client.post(STATEMENTS, json=stmt)
        got = client.get(STATEMENTS, params={"statementId": stmt["id"]}).json()
    assert got["timestamp"] == "2025-02-03T09:00:00.000Z"


def test_concurrent_single_posts_share_a_commit_and_each_gets_its_own_answer(
    lrs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from learnledger.lrs.statement_store import StatementStore

    real = StatementStore.store_many
    groups: list[int] = []
    first_group = threading.Event()

    def spy(self: StatementStore, writes: Any) -> Any:
        groups.append(len(writes))
        if len(groups) == 1:
            first_group.wait(10)  # the others queue meanwhile
        return real(self, writes)

    monkeypatch.setattr(StatementStore, "store_many", spy)
    twin = statement()
    bodies = [statement() for _ in range(9)] + [twin, {**twin, "result": {"success": True}}]
    with lrs.client() as client:
        lead = threading.Thread(target=client.post, args=(STATEMENTS,), kwargs={"json": bodies[0]})
        lead.start()
        while not groups:
            time.sleep(0.01)
        with ThreadPoolExecutor(len(bodies) - 1) as pool:
            answers = [pool.submit(client.post, STATEMENTS, json=b) for b in bodies[1:]]
            queue = client.app.state.statement_write_queue  # type: ignore[attr-defined]
            deadline = time.monotonic() + 10
            while len(queue._waiting) < len(bodies) - 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            first_group.set()
            responses = [a.result() for a in answers]
        lead.join(10)
        statuses = [r.status_code for r in responses]
        for body, response in zip(bodies[1:-2], responses, strict=False):
            assert response.status_code == 200
            assert response.json() == [body["id"]]
            assert client.get(STATEMENTS, params={"statementId": body["id"]}).status_code == 200
        kept = client.get(STATEMENTS, params={"statementId": twin["id"]}).json()
    assert groups == [1, len(bodies) - 1]  # the ten that queued meanwhile: one group
    assert sorted(statuses[-2:]) == [200, 409]  # same id, other content: one of them loses
    assert ("result" in kept) == (statuses[-1] == 200)
