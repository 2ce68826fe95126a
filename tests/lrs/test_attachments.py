"""Attachments and signed statements: multipart parsing and its errors, payload checks, storage
on both engines, and JWS signature verification (RS256/384/512, with and without x5c).

The RSA key, certificate and JWS of the signature tests are made here in plain Python (a
deterministic 1024-bit key), so the tests need no crypto package.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from learnledger.errors import ValidationError
from learnledger.lrs import StatementStore
from learnledger.lrs.attachments import (
    SIGNATURE_USAGE,
    Attachment,
    AttachmentStore,
    check_attachments,
    parse_multipart,
    sha2_of,
)
from learnledger.lrs.signatures import (
    ALGORITHMS,
    rsa_pkcs1_verify,
    rsa_public_key,
    verify_jws,
    verify_signatures,
)
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "a"}}


def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if n < 2:
        return False
    for small in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29):
        if n % small == 0:
            return n == small
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(24):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if _is_probable_prime(candidate, rng):
            return candidate


@dataclass(frozen=True)
class RsaKey:
    """An RSA key pair (1024-bit: enough for tests, fast to make)."""

    n: int
    e: int
    d: int

    @classmethod
    def generate(cls, seed: int) -> RsaKey:
        rng = random.Random(seed)
        e = 65537
        while True:
            p, q = _prime(512, rng), _prime(512, rng)
            phi = (p - 1) * (q - 1)
            if p != q and phi % e:
                return cls(p * q, e, pow(e, -1, phi))

    def sign(self, message: bytes, algorithm: str) -> bytes:
        hasher, prefix = ALGORITHMS[algorithm]
        size = (self.n.bit_length() + 7) // 8
        digest_info = prefix + hasher(message).digest()
        encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
        return pow(int.from_bytes(encoded, "big"), self.d, self.n).to_bytes(size, "big")

    def certificate(self) -> bytes:
        """A DER X.509 v3 certificate of the public key (signature not meaningful)."""
        rsa = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + _der(0x05, b""))
        public = _der(0x30, _integer(self.n) + _integer(self.e))
        spki = _der(0x30, rsa + _der(0x03, b"\x00" + public))
        name = _der(0x30, b"")
        validity = _der(0x30, _der(0x17, b"250101000000Z") + _der(0x17, b"350101000000Z"))
        sha256_rsa = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d01010b")) + _der(0x05, b""))
        tbs = _der(
            0x30,
            _der(0xA0, _integer(2)) + _integer(7) + sha256_rsa + name + validity + name + spki,
        )
        return _der(0x30, tbs + sha256_rsa + _der(0x03, b"\x00" + b"\x01" * 16))


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def _integer(value: int) -> bytes:
    raw = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big")
    return _der(0x02, raw)


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def jws(
    payload: Any,
    key: RsaKey,
    algorithm: str = "RS256",
    *,
    with_certificate: bool = True,
    header: dict[str, Any] | None = None,
) -> bytes:
    """A compact JWS of `payload` (JSON) signed by `key`, with x5c unless told otherwise."""
    head: dict[str, Any] = {"alg": algorithm, **(header or {})}
    if with_certificate:
        head["x5c"] = [base64.b64encode(key.certificate()).decode()]
    signing_input = b64url(orjson.dumps(head)) + b"." + b64url(orjson.dumps(payload))
    sign_with = algorithm if algorithm in ALGORITHMS else "RS256"
    return signing_input + b"." + b64url(key.sign(signing_input, sign_with))


KEY = RsaKey.generate(seed=7)
OTHER_KEY = RsaKey.generate(seed=8)
PDF = b"%PDF-1.7 pretend\x00\xff binary"


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://learn.example.com/courses/cs-101"},
        **extra,
    }


def attachment_of(content: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "usageType": "https://example.com/usage/certificate",
        "display": {"en-US": "certificate"},
        "contentType": "application/pdf",
        "length": len(content),
        "sha2": sha2_of(content),
        **extra,
    }


def multipart(document: Any, parts: list[tuple[dict[str, str], bytes]], boundary: str) -> bytes:
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode()]
    out.append(orjson.dumps(document) + b"\r\n")
    for headers, content in parts:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        out.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)


def part(content: bytes, **headers: str) -> tuple[dict[str, str], bytes]:
    base = {
        "Content-Type": "application/pdf",
        "Content-Transfer-Encoding": "binary",
        "X-Experience-API-Hash": sha2_of(content),
    }
    base.update({name.replace("_", "-"): value for name, value in headers.items()})
    return {k: v for k, v in base.items() if v}, content


def test_parse_multipart_returns_statements_and_payloads_by_hash() -> None:
    stmt = statement(attachments=[attachment_of(PDF)])
    body = multipart([stmt], [part(PDF)], "b0undary")
    parsed = parse_multipart(body, 'multipart/mixed; boundary="b0undary"')
    assert parsed.statements == [stmt]
    assert parsed.attachments == {sha2_of(PDF): Attachment(sha2_of(PDF), "application/pdf", PDF)}


def test_parse_multipart_accepts_sha384_and_bare_newlines() -> None:
    digest = sha2_of(PDF, 96)
    body = multipart(statement(), [part(PDF, X_Experience_API_Hash=digest)], "xyz")
    parsed = parse_multipart(
        body.replace(b"\r\n", b"\n"),
        "multipart/mixed; boundary=xyz",
    )
    assert list(parsed.attachments) == [digest]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"{}", "multipart/mixed", "boundary"),
        (b"no delimiter here", "multipart/mixed; boundary=abc", "does not occur"),
        (
            b"--abc\r\nContent-Type: application/json\r\n\r\n{}\r\n",
            "multipart/mixed; boundary=abc",
            "not closed",
        ),
        (
            b"--abc\r\nContent-Type: text/plain\r\n\r\n{}\r\n--abc--",
            "multipart/mixed; boundary=abc",
            "first part",
        ),
        (
            b"--abc\r\nContent-Type: application/json\r\n\r\n{no\r\n--abc--",
            "multipart/mixed; boundary=abc",
            "not valid JSON",
        ),
        (b"--abc--", "multipart/mixed; boundary=abc", "no parts"),
    ],
)
def test_malformed_multipart_bodies_are_rejected(
    body: bytes, content_type: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_multipart(body, content_type)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X_Experience_API_Hash": ""}, "no X-Experience-API-Hash"),
        ({"X_Experience_API_Hash": "abc"}, "hex SHA-2"),
        ({"X_Experience_API_Hash": sha2_of(b"other")}, "does not match"),
        ({"Content_Transfer_Encoding": ""}, "Content-Transfer-Encoding"),
    ],
)
def test_payload_parts_need_a_matching_hash_and_binary_encoding(
    headers: dict[str, str], message: str
) -> None:
    body = multipart(statement(), [part(PDF, **headers)], "abc")
    with pytest.raises(ValidationError, match=message) as caught:
        parse_multipart(body, "multipart/mixed; boundary=abc")
    assert caught.value.path == "part 2"


def test_every_attachment_without_file_url_needs_its_payload_and_vice_versa() -> None:
    with_url = attachment_of(b"elsewhere", fileUrl="https://files.example.com/cert.pdf")
    check_attachments([statement(attachments=[with_url])], {})
    needs_payload = statement(attachments=[with_url, attachment_of(PDF)])
    with pytest.raises(ValidationError) as caught:
        check_attachments([needs_payload], {})
    assert caught.value.path == "statement[0].attachments[1]"
    payload = Attachment(sha2_of(PDF), "application/pdf", PDF)
    check_attachments([needs_payload], {payload.sha2: payload})
    with pytest.raises(ValidationError, match="matches no attachment"):
        check_attachments([statement()], {payload.sha2: payload})


def test_attachment_payloads_are_stored_once_per_hash(engine: Engine) -> None:
    Migrator(engine).migrate()
    attachments = AttachmentStore(engine)
    payload = Attachment(sha2_of(PDF), "application/pdf", PDF)
    moment = datetime(2025, 2, 3, tzinfo=UTC)
    assert attachments.put([payload, payload], stored=moment) == 1
    assert attachments.put([payload], stored=moment) == 0
    assert attachments.get_many([payload.sha2.upper(), "0" * 64]) == {payload.sha2: payload}


def test_the_store_keeps_payloads_of_new_statements(engine: Engine) -> None:
    Migrator(engine).migrate()
    store = StatementStore(engine)
    payload = Attachment(sha2_of(PDF), "application/pdf", PDF)
    stmt = statement(attachments=[attachment_of(PDF)])
    store.store([stmt], authority=AUTHORITY, attachments={payload.sha2: payload})
    assert store.attachments.get_many([payload.sha2]) == {payload.sha2: payload}
    with pytest.raises(ValidationError, match="payload was not sent"):
        store.store(
            [statement(attachments=[attachment_of(b"x")])], authority=AUTHORITY, attachments={}
        )


# -- signatures ------------------------------------------------------------------------------


def signed(
    stmt: dict[str, Any], token: bytes, content_type: str = "application/octet-stream"
) -> tuple[list[dict[str, Any]], dict[str, Attachment]]:
    signature = {
        "usageType": SIGNATURE_USAGE,
        "display": {"en-US": "signature"},
        "contentType": content_type,
        "length": len(token),
        "sha2": sha2_of(token),
    }
    payload = Attachment(sha2_of(token), "application/octet-stream", token)
    return [{**stmt, "attachments": [signature]}], {payload.sha2: payload}


@pytest.mark.parametrize("algorithm", sorted(ALGORITHMS))
def test_a_signature_by_the_certificate_key_verifies(algorithm: str) -> None:
    stmt = statement()
    verify_signatures(*signed(stmt, jws(stmt, KEY, algorithm)))


def test_a_signature_without_a_certificate_is_checked_for_form_and_payload() -> None:
    stmt = statement()
    verify_signatures(*signed(stmt, jws(stmt, KEY, with_certificate=False)))
    no_id = {k: v for k, v in stmt.items() if k != "id"}
    verify_signatures(*signed(stmt, jws(no_id, KEY, with_certificate=False)))


def test_a_signature_by_another_key_fails() -> None:
    stmt = statement()
    token = jws(
        stmt,
        OTHER_KEY,
        header={"x5c": [base64.b64encode(KEY.certificate()).decode()]},
        with_certificate=False,
    )
    with pytest.raises(ValidationError, match="does not verify"):
        verify_signatures(*signed(stmt, token))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda s: jws(s, KEY, "HS256"), "RS256, RS384 or RS512"),
        (
            lambda s: jws({**s, "verb": {"id": "http://example.com/other"}}, KEY),
            "not the statement",
        ),
        (lambda s: jws([s], KEY), "not the statement"),
        (lambda s: b"only.two", "compact serialisation"),
        (lambda s: b64url(b"{bad") + b"." + b64url(b"{}") + b".c2ln", "header is not valid JSON"),
        (lambda s: b64url(b"[1]") + b"." + b64url(b"{}") + b".c2ln", "not a JSON object"),
        (
            lambda s: b64url(b'{"alg":"RS256"}') + b"." + b64url(b"{'id'") + b".c2ln",
            "payload is not valid JSON",
        ),
        (
            lambda s: jws(s, KEY, header={"x5c": ["bm90IGEgY2VydA=="]}, with_certificate=False),
            "not an RSA certificate",
        ),
        (lambda s: jws(s, KEY, header={"x5c": "x"}, with_certificate=False), "x5c must be"),
    ],
)
def test_malformed_signatures_are_rejected(make: Any, message: str) -> None:
    stmt = statement()
    with pytest.raises(ValidationError, match=message):
        verify_signatures(*signed(stmt, make(stmt)))


def test_a_signature_attachment_must_be_octet_stream_and_sent() -> None:
    stmt = statement()
    documents, payloads = signed(stmt, jws(stmt, KEY), content_type="text/plain")
    with pytest.raises(ValidationError, match="octet-stream") as caught:
        verify_signatures(documents, payloads)
    assert caught.value.path == "statement[0].attachments[0].contentType"
    documents, _ = signed(stmt, jws(stmt, KEY))
    with pytest.raises(ValidationError, match="multipart"):
        verify_signatures(documents, {})


def test_rsa_primitives_reject_wrong_lengths_and_bad_certificates() -> None:
    message = b"message"
    signature = KEY.sign(message, "RS256")
    assert rsa_pkcs1_verify(KEY.n, KEY.e, message, signature, "RS256")
    assert not rsa_pkcs1_verify(KEY.n, KEY.e, message + b"!", signature, "RS256")
    assert not rsa_pkcs1_verify(KEY.n, KEY.e, message, signature[1:], "RS256")
    assert not rsa_pkcs1_verify(KEY.n, KEY.e, message, b"\xff" * len(signature), "RS256")
    assert rsa_public_key(KEY.certificate()) == (KEY.n, KEY.e)
    with pytest.raises(ValueError, match="DER"):
        rsa_public_key(b"\x30\x05\x00")


def test_verify_jws_names_the_path() -> None:
    with pytest.raises(ValidationError) as caught:
        verify_jws(b"x", statement(), "statement[2].attachments[0]")
    assert caught.value.path == "statement[2].attachments[0]"


def test_hashlib_names() -> None:
    assert sha2_of(PDF) == hashlib.sha256(PDF).hexdigest()
