"""Signed statements with x5c certificate chains over HTTP: chain signatures, issuers, CA
flags, validity periods (at the statement's timestamp, else now) and the trust anchors of
``lrs_trusted_signers``.

Keys and certificates are generated here with plain Python (a small DER writer and RSA with
deterministic test primes), so the tests need no cryptography package; they are test
fixtures only (1024-bit keys, a seeded random generator).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from pydantic import ValidationError as SettingsError

from learnledger.config import Settings
from learnledger.errors import ConfigError
from learnledger.lrs.attachments import SIGNATURE_USAGE
from learnledger.lrs.signatures import ALGORITHMS, TrustedSigners

STATEMENTS = "/xapi/statements"
MULTIPART = {"Content-Type": 'multipart/mixed; boundary="xyz"'}
NOW = datetime.now(UTC)
YEAR = timedelta(days=365)

# --- test keys and certificates -------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    n: int
    e: int
    d: int


def _probably_prime(n: int, rng: random.Random) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(20):
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


@functools.cache
def rsa_key(seed: int, bits: int = 1024) -> Key:
    """A deterministic RSA test key."""
    rng = random.Random(seed)
    e = 65537
    while True:
        primes = []
        while len(primes) < 2:
            candidate = rng.getrandbits(bits // 2) | (1 << (bits // 2 - 1)) | 1
            if candidate % e != 1 and _probably_prime(candidate, rng):
                primes.append(candidate)
        p, q = primes
        n = p * q
        if p != q and n.bit_length() == bits:
            return Key(n, e, pow(e, -1, (p - 1) * (q - 1)))


def rsa_sign(key: Key, message: bytes, algorithm: str = "RS256") -> bytes:
    """RSASSA-PKCS1-v1_5 signature of `message`."""
    hasher, prefix = ALGORITHMS[algorithm]
    digest_info = prefix + hasher(message).digest()
    size = (key.n.bit_length() + 7) // 8
    encoded = b"\x00\x01" + b"\xff" * (size - len(digest_info) - 3) + b"\x00" + digest_info
    return pow(int.from_bytes(encoded, "big"), key.d, key.n).to_bytes(size, "big")


def der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def seq(*parts: bytes) -> bytes:
    return der(0x30, b"".join(parts))


def integer(value: int) -> bytes:
    return der(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def oid(hex_text: str) -> bytes:
    return der(0x06, bytes.fromhex(hex_text))


def name(common_name: str) -> bytes:
    attribute = seq(oid("550403"), der(0x0C, common_name.encode()))
    return seq(der(0x31, attribute))


def time(moment: datetime) -> bytes:
    if 1950 <= moment.year < 2050:
        return der(0x17, moment.strftime("%y%m%d%H%M%SZ").encode())
    return der(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode())


SIGNATURE_OIDS = {"RS256": "2a864886f70d01010b", "RS512": "2a864886f70d01010d"}


def certificate(
    subject: str,
    key: Key,
    issuer: str,
    issuer_key: Key,
    *,
    ca: bool = False,
    not_before: datetime = NOW - YEAR,
    not_after: datetime = NOW + YEAR,
    algorithm: str = "RS256",
) -> bytes:
    """A DER X.509 v3 certificate of `subject`'s `key`, signed by `issuer_key`."""
    algorithm_id = seq(oid(SIGNATURE_OIDS[algorithm]), der(0x05, b""))
    public_key = seq(
        seq(oid("2a864886f70d010101"), der(0x05, b"")),
        der(0x03, b"\x00" + seq(integer(key.n), integer(key.e))),
    )
    constraints = seq(der(0x01, b"\xff")) if ca else seq()
    extensions = der(0xA3, seq(seq(oid("551d13"), der(0x01, b"\xff"), der(0x04, constraints))))
    tbs = seq(
        der(0xA0, integer(2)),
        integer(uuid.uuid4().int >> 8),
        algorithm_id,
        name(issuer),
        seq(time(not_before), time(not_after)),
        name(subject),
        public_key,
        extensions,
    )
    return seq(tbs, algorithm_id, der(0x03, b"\x00" + rsa_sign(issuer_key, tbs, algorithm)))


def pem(*certificates: bytes) -> str:
    blocks = []
    for cert in certificates:
        text = base64.b64encode(cert).decode()
        lines = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
        blocks.append(f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n")
    return "".join(blocks)


def fingerprint(cert: bytes) -> str:
    digest = hashlib.sha256(cert).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, 64, 2))


@dataclass(frozen=True)
class PKI:
    root_key: Key
    intermediate_key: Key
    signer_key: Key
    root: bytes
    intermediate: bytes
    signer: bytes


@pytest.fixture(scope="module")
def pki() -> PKI:
    """Root CA -> intermediate CA -> signer, valid from a year ago to a year ahead."""
    root_key, intermediate_key, signer_key = rsa_key(1), rsa_key(2), rsa_key(3)
    root = certificate("Test Root CA", root_key, "Test Root CA", root_key, ca=True)
    intermediate = certificate(
        "Test Intermediate CA", intermediate_key, "Test Root CA", root_key, ca=True
    )
    signer = certificate(
        "Moodle signer", signer_key, "Test Intermediate CA", intermediate_key, algorithm="RS512"
    )
    return PKI(root_key, intermediate_key, signer_key, root, intermediate, signer)


# --- signed statements ------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_request(
    signing_key: Key, chain: list[bytes], algorithm: str = "RS256", **extra: Any
) -> bytes:
    """A multipart body storing a statement signed by `signing_key` with x5c `chain`."""
    original = {
        "id": str(uuid.uuid4()),
        "actor": {"mbox": "mailto:ann@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://learn.example.com/courses/cs-101"},
        **extra,
    }
    header = {"alg": algorithm, "x5c": [base64.b64encode(c).decode() for c in chain]}
    signing_input = f"{b64url(orjson.dumps(header))}.{b64url(orjson.dumps(original))}"
    signature = rsa_sign(signing_key, signing_input.encode(), algorithm)
    token = f"{signing_input}.{b64url(signature)}".encode()
    attachment = {
        "usageType": SIGNATURE_USAGE,
        "display": {"en-US": "signature"},
        "contentType": "application/octet-stream",
        "length": len(token),
        "sha2": hashlib.sha256(token).hexdigest(),
    }
    stmt = {**original, "attachments": [attachment]}
    return (
        b"--xyz\r\nContent-Type: application/json\r\n\r\n"
        + orjson.dumps(stmt)
        + b"\r\n--xyz\r\nContent-Type: application/octet-stream\r\n"
        + b"Content-Transfer-Encoding: binary\r\n"
        + f"X-Experience-API-Hash: {attachment['sha2']}\r\n\r\n".encode()
        + token
        + b"\r\n--xyz--\r\n"
    )


def post(lrs: Any, body: bytes, **settings: Any) -> Any:
    with lrs.client(**settings) as client:
        return client.post(STATEMENTS, content=body, headers=MULTIPART)


def rejected(response: Any, reason: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["path"] == "statement[0].attachments[0]"
    assert reason in error["error"]


def write_pem(tmp_path: Path, *certificates: bytes) -> str:
    path = tmp_path / f"anchors-{uuid.uuid4().hex[:8]}.pem"
    path.write_text(pem(*certificates))
    return str(path)


def test_a_valid_chain_of_three_is_accepted_without_trust_anchors(any_lrs: Any, pki: PKI) -> None:
    chain = [pki.signer, pki.intermediate, pki.root]
    response = post(any_lrs, signed_request(pki.signer_key, chain))
    assert response.status_code == 200, response.text


def test_a_chain_without_its_root_is_accepted_when_no_anchors_are_set(lrs: Any, pki: PKI) -> None:
    chain = [pki.signer, pki.intermediate]
    assert post(lrs, signed_request(pki.signer_key, chain, "RS384")).status_code == 200


@pytest.mark.parametrize(
    ("chain", "anchor"),
    [
        (("signer", "intermediate", "root"), "root_pem"),
        (("signer", "intermediate"), "root_pem"),  # the last certificate's issuer is trusted
        (("signer", "intermediate", "root"), "root_fingerprint"),
        (("signer", "intermediate"), "intermediate_fingerprint"),
        (("signer",), "intermediate_pem"),
    ],
)
def test_chains_anchored_in_the_trusted_signers_are_accepted(
    lrs: Any, pki: PKI, tmp_path: Path, chain: tuple[str, ...], anchor: str
) -> None:
    anchors = {
        "root_pem": write_pem(tmp_path, pki.root),
        "intermediate_pem": write_pem(tmp_path, pki.intermediate),
        "root_fingerprint": fingerprint(pki.root),
        "intermediate_fingerprint": fingerprint(pki.intermediate).replace(":", "").lower(),
    }
    body = signed_request(pki.signer_key, [getattr(pki, c) for c in chain])
    response = post(lrs, body, lrs_trusted_signers=[anchors[anchor]])
    assert response.status_code == 200, response.text


def test_a_chain_not_anchored_in_the_trusted_signers_is_rejected(
    lrs: Any, pki: PKI, tmp_path: Path
) -> None:
    other_key = rsa_key(4)
    other_root = certificate("Other Root CA", other_key, "Other Root CA", other_key, ca=True)
    anchors = [write_pem(tmp_path, other_root), fingerprint(other_root)]
    body = signed_request(pki.signer_key, [pki.signer, pki.intermediate, pki.root])
    rejected(
        post(lrs, body, lrs_trusted_signers=anchors),
        "does not lead to a trusted signer (setting lrs_trusted_signers)",
    )
    # the same request without anchors is fine
    assert post(lrs, body).status_code == 200


def test_a_certificate_issued_by_another_ca_than_the_next_one_is_rejected(
    lrs: Any, pki: PKI
) -> None:
    body = signed_request(pki.signer_key, [pki.signer, pki.root])
    rejected(post(lrs, body), "was not issued by the next certificate (Test Root CA)")


def test_an_impostor_issuer_with_the_right_name_is_rejected(lrs: Any, pki: PKI) -> None:
    impostor_key = rsa_key(5)
    impostor = certificate(
        "Test Intermediate CA", impostor_key, "Test Root CA", pki.root_key, ca=True
    )
    body = signed_request(pki.signer_key, [pki.signer, impostor, pki.root])
    rejected(post(lrs, body), "its issuer's key (Test Intermediate CA) does not verify")


def test_an_issuer_that_is_not_a_ca_is_rejected(lrs: Any, pki: PKI) -> None:
    not_ca = certificate("Test Intermediate CA", pki.intermediate_key, "Test Root CA", pki.root_key)
    body = signed_request(pki.signer_key, [pki.signer, not_ca, pki.root])
    rejected(post(lrs, body), "x5c certificate 1 (Test Intermediate CA) is not a CA certificate")


def test_a_self_signed_root_with_a_bad_signature_is_rejected(lrs: Any, pki: PKI) -> None:
    forged_root = certificate("Test Root CA", pki.root_key, "Test Root CA", rsa_key(6), ca=True)
    body = signed_request(pki.signer_key, [pki.signer, pki.intermediate, forged_root])
    rejected(post(lrs, body), "the self-signed x5c certificate 2 (Test Root CA) does not verify")


def test_a_jws_not_signed_by_the_first_certificate_is_rejected(lrs: Any, pki: PKI) -> None:
    body = signed_request(pki.intermediate_key, [pki.signer, pki.intermediate, pki.root])
    rejected(post(lrs, body), "does not verify with its certificate")


def test_validity_is_checked_at_the_statement_timestamp_else_now(lrs: Any, pki: PKI) -> None:
    expired = certificate(
        "Old signer",
        pki.signer_key,
        "Test Intermediate CA",
        pki.intermediate_key,
        not_before=NOW - 3 * YEAR,
        not_after=NOW - 2 * YEAR,
    )
    chain = [expired, pki.intermediate]
    rejected(post(lrs, signed_request(pki.signer_key, chain)), "x5c certificate 0 (Old signer)")
    too_early = (NOW - 5 * YEAR).strftime("%Y-%m-%dT%H:%M:%SZ")
    during = (NOW - 2 * YEAR - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = post(lrs, signed_request(pki.signer_key, chain, timestamp=too_early))
    rejected(response, "is not valid at")
    assert "valid from" in response.json()["error"]
    # signed while the signer's and its issuers' certificates were valid: accepted
    within = signed_request(pki.signer_key, [expired], timestamp=during)
    assert post(lrs, within).status_code == 200
    # the intermediate was not valid yet then
    rejected(
        post(lrs, signed_request(pki.signer_key, chain, timestamp=during)),
        "x5c certificate 1 (Test Intermediate CA) is not valid at",
    )


def test_garbage_in_x5c_is_rejected(lrs: Any, pki: PKI) -> None:
    body = signed_request(pki.signer_key, [pki.signer, b"not a certificate"])
    rejected(post(lrs, body), "x5c certificate 1 is not an RSA certificate")
    too_long = signed_request(pki.signer_key, [pki.signer, *[pki.intermediate] * 10])
    rejected(post(lrs, too_long), "x5c has more than 10 certificates")


def test_trusted_signers_settings_name_bad_entries(tmp_path: Path, pki: PKI) -> None:
    with pytest.raises(SettingsError, match="neither a SHA-256 fingerprint nor an existing"):
        Settings(lrs_trusted_signers=["abc"])
    empty = tmp_path / "empty.pem"
    empty.write_text("nothing here\n")
    with pytest.raises(ConfigError, match="holds no PEM CERTIFICATE block"):
        TrustedSigners.load([str(empty)])
    broken = tmp_path / "broken.pem"
    broken.write_text(pem(b"\x30\x03\x02\x01\x00"))
    with pytest.raises(ConfigError, match=r"certificate 1 of .* is not an RSA X\.509"):
        TrustedSigners.load([str(broken)])
    loaded = TrustedSigners.load([write_pem(tmp_path, pki.root, pki.intermediate)])
    assert len(loaded.certificates) == 2
    assert hashlib.sha256(pki.root).hexdigest() in loaded.fingerprints
