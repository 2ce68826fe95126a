"""Signed statements (xAPI Data 2.6): checking the JWS signature attachment.

A signed statement carries an attachment with usageType `SIGNATURE_USAGE`, contentType
``application/octet-stream`` and, as its payload, a JWS in compact serialisation whose payload
is the statement as it was before the signature attachment was added. The LRS rejects (400):

- a signature attachment of another content type or without its payload;
- a JWS that is not three base64url parts, whose header is not JSON or whose ``alg`` is not
  RS256, RS384 or RS512;
- a JWS payload that is not the JSON of the statement received (compared by the xAPI
  statement comparison rules, the signature attachment left out);
- when the JWS header carries an X.509 certificate chain (``x5c``), a signature that the first
  certificate's RSA key does not verify (RSASSA-PKCS1-v1_5). Without ``x5c`` there is no key
  to verify with; the LRS stores the statement and a consumer verifies it with its own keys.

RSA verification is plain Python integer arithmetic (public-key operations only, no secrets
involved, so timing does not matter); the certificate is read with a minimal DER reader.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from learnledger.core.xapi import canonical_json, validate_statement
from learnledger.errors import ValidationError
from learnledger.lrs.attachments import SIGNATURE_USAGE, Attachment

JsonObject = dict[str, Any]

#: JWS algorithms xAPI allows: the hash and its DER DigestInfo prefix (RFC 8017 9.2).
ALGORITHMS: dict[str, tuple[Callable[[bytes], Any], bytes]] = {
    "RS256": (hashlib.sha256, bytes.fromhex("3031300d060960864801650304020105000420")),
    "RS384": (hashlib.sha384, bytes.fromhex("3041300d060960864801650304020205000430")),
    "RS512": (hashlib.sha512, bytes.fromhex("3051300d060960864801650304020305000440")),
}


def verify_signatures(
    statements: Sequence[JsonObject], payloads: Mapping[str, Attachment], version: str = "2.0.0"
) -> None:
    """Check every signature attachment of (valid) `statements` of xAPI `version`;
    `ValidationError` names the attachment and what is wrong."""
    for index, stmt in enumerate(statements):
        for number, attachment in enumerate(stmt.get("attachments") or ()):
            if attachment.get("usageType") != SIGNATURE_USAGE:
                continue
            path = f"statement[{index}].attachments[{number}]"
            media = attachment["contentType"].split(";", 1)[0].strip().lower()
            if media != "application/octet-stream":
                raise ValidationError(
                    f"{path}.contentType", "a signature must be application/octet-stream"
                )
            payload = payloads.get(attachment["sha2"].lower())
            if payload is None:
                raise ValidationError(path, "the signature (JWS) must be sent as multipart part")
            verify_jws(payload.content, stmt, path, version)


def verify_jws(
    token: bytes, stmt: JsonObject, path: str = "signature", version: str = "2.0.0"
) -> None:
    """Check a compact JWS signing `stmt` (see the module docstring)."""
    parts = token.strip().split(b".")
    if len(parts) != 3:
        raise ValidationError(path, "the signature is not a JWS in compact serialisation")
    header = _json_part(parts[0], path, "header")
    if not isinstance(header, dict):
        raise ValidationError(path, "the JWS header is not a JSON object")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise ValidationError(path, "the JWS algorithm must be RS256, RS384 or RS512")
    signed = _json_part(parts[1], path, "payload")
    if not _same_statement(signed, stmt, version):
        raise ValidationError(path, "the JWS payload is not the statement that was sent")
    chain = header.get("x5c")
    if chain is not None:
        if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
            raise ValidationError(path, "x5c must be a list of base64 certificates")
        try:
            certificate = base64.b64decode(chain[0], validate=True)
            modulus, exponent = rsa_public_key(certificate)
        except (binascii.Error, ValueError):
            raise ValidationError(path, "the x5c certificate is not an RSA certificate") from None
        signature = _b64url(parts[2], path, "signature")
        message = parts[0] + b"." + parts[1]
        if not rsa_pkcs1_verify(modulus, exponent, message, signature, algorithm):
            raise ValidationError(path, "the JWS signature does not verify with its certificate")


def rsa_pkcs1_verify(
    modulus: int, exponent: int, message: bytes, signature: bytes, algorithm: str
) -> bool:
    """Whether `signature` is the RSASSA-PKCS1-v1_5 signature of `message` (RFC 8017 8.2.2)."""
    hasher, prefix = ALGORITHMS[algorithm]
    size = (modulus.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    number = int.from_bytes(signature, "big")
    if number >= modulus:
        return False
    encoded = pow(number, exponent, modulus).to_bytes(size, "big")
    digest_info: bytes = prefix + hasher(message).digest()
    padding = size - len(digest_info) - 3
    if padding < 8:
        return False
    expected = b"\x00\x01" + b"\xff" * padding + b"\x00" + digest_info
    return encoded == expected


def rsa_public_key(certificate: bytes) -> tuple[int, int]:
    """(modulus, exponent) of the RSA key of a DER X.509 certificate (ValueError otherwise)."""
    _, cert, _ = _tlv(certificate, 0, 0x30)
    _, tbs, _ = _tlv(certificate, cert, 0x30)
    position = tbs
    if certificate[position] == 0xA0:  # [0] version
        position = _tlv(certificate, position, 0xA0)[2]
    for tag in (0x02, 0x30, 0x30, 0x30, 0x30):  # serial, signature, issuer, validity, subject
        position = _tlv(certificate, position, tag)[2]
    _, spki, _ = _tlv(certificate, position, 0x30)
    algorithm_start, algorithm, algorithm_end = _tlv(certificate, spki, 0x30)
    _, oid, oid_end = _tlv(certificate, algorithm, 0x06)
    if certificate[oid:oid_end] != bytes.fromhex("2a864886f70d010101"):  # rsaEncryption
        raise ValueError("not an RSA key")
    _, bits, _ = _tlv(certificate, algorithm_end, 0x03)
    if certificate[bits] != 0:
        raise ValueError("unexpected unused bits in the key")
    _, key, _ = _tlv(certificate, bits + 1, 0x30)
    _, modulus, modulus_end = _tlv(certificate, key, 0x02)
    _, exponent, exponent_end = _tlv(certificate, modulus_end, 0x02)
    del algorithm_start
    return (
        int.from_bytes(certificate[modulus:modulus_end], "big"),
        int.from_bytes(certificate[exponent:exponent_end], "big"),
    )


def _tlv(data: bytes, position: int, tag: int) -> tuple[int, int, int]:
    """(start, content start, end) of the DER element at `position`, which must be `tag`."""
    if position + 2 > len(data) or data[position] != tag:
        raise ValueError(f"DER: expected tag {tag:#x} at {position}")
    length = data[position + 1]
    content = position + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or content + count > len(data):
            raise ValueError("DER: bad length")
        length = int.from_bytes(data[content : content + count], "big")
        content += count
    end = content + length
    if end > len(data):
        raise ValueError("DER: element runs past the end")
    return position, content, end


def _b64url(part: bytes, path: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(part + b"=" * (-len(part) % 4))
    except (binascii.Error, ValueError):
        raise ValidationError(path, f"the JWS {what} is not base64url") from None


def _json_part(part: bytes, path: str, what: str) -> Any:
    try:
        return orjson.loads(_b64url(part, path, what))
    except orjson.JSONDecodeError:
        raise ValidationError(path, f"the JWS {what} is not valid JSON") from None


def _same_statement(signed: Any, stmt: JsonObject, version: str) -> bool:
    """Whether the JWS payload `signed` is `stmt` without its signature attachment(s)."""
    if not isinstance(signed, dict):
        return False
    received = dict(stmt)
    kept = [a for a in stmt.get("attachments") or () if a.get("usageType") != SIGNATURE_USAGE]
    if kept:
        received["attachments"] = kept
    else:
        received.pop("attachments", None)
    if "id" not in signed:
        received.pop("id", None)
    try:
        validate_statement(signed, version)
    except ValidationError:
        return False
    no_timestamp = "timestamp" not in signed
    return canonical_json(signed, ignore_timestamp=no_timestamp) == canonical_json(
        received, ignore_timestamp=no_timestamp
    )
