"""Signed statements (xAPI Data 2.6): checking the JWS signature attachment.

A signed statement carries an attachment with usageType `SIGNATURE_USAGE`, contentType
``application/octet-stream`` and, as its payload, a JWS in compact serialisation whose payload
is the statement as it was before the signature attachment was added. The LRS rejects (400):

- a signature attachment of another content type or without its payload;
- a JWS that is not three base64url parts, whose header is not JSON or whose ``alg`` is not
  RS256, RS384 or RS512;
- a JWS payload that is not the JSON of the statement received (compared by the xAPI
  statement comparison rules, the signature attachment left out);
- when the JWS header carries an X.509 certificate chain (``x5c``, base64 DER, the signer's
  certificate first): a certificate that is not RSA X.509; a signature that the first
  certificate's RSA key does not verify (RSASSA-PKCS1-v1_5); a certificate that is not
  issued by the next one in the chain (issuer name, CA flag and signature, RSA with SHA-256,
  -384 or -512), or a self-signed CA certificate at the end that does not verify itself; a
  certificate not valid at the statement's ``timestamp`` (else now); and, when trusted
  signers are configured (`TrustedSigners`, setting ``lrs_trusted_signers``), a chain that
  neither contains a trusted certificate nor ends at a certificate a trusted one issued.
  Without ``x5c`` there is no key to verify with; the LRS stores the statement and a consumer
  verifies it with its own keys.

RSA verification is plain Python integer arithmetic (public-key operations only, no secrets
involved, so timing does not matter); certificates are read with a minimal DER reader. The
chain check covers what the signature can prove; it does not fetch revocation lists (CRL,
OCSP) or check name constraints, key usage or policies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from learnledger.core.xapi import canonical_json, validate_statement
from learnledger.core.xapi.timestamps import format_timestamp, parse_timestamp
from learnledger.errors import ConfigError, ValidationError
from learnledger.lrs.attachments import SIGNATURE_USAGE, Attachment

JsonObject = dict[str, Any]

#: JWS algorithms xAPI allows: the hash and its DER DigestInfo prefix (RFC 8017 9.2).
ALGORITHMS: dict[str, tuple[Callable[[bytes], Any], bytes]] = {
    "RS256": (hashlib.sha256, bytes.fromhex("3031300d060960864801650304020105000420")),
    "RS384": (hashlib.sha384, bytes.fromhex("3041300d060960864801650304020205000430")),
    "RS512": (hashlib.sha512, bytes.fromhex("3051300d060960864801650304020305000440")),
}


#: Certificate signature algorithms (sha{256,384,512}WithRSAEncryption) as JWS names.
_CERTIFICATE_ALGORITHMS = {
    bytes.fromhex("2a864886f70d01010b"): "RS256",
    bytes.fromhex("2a864886f70d01010c"): "RS384",
    bytes.fromhex("2a864886f70d01010d"): "RS512",
}
_RSA_ENCRYPTION = bytes.fromhex("2a864886f70d010101")
_BASIC_CONSTRAINTS = bytes.fromhex("551d13")  # 2.5.29.19
_COMMON_NAME = bytes.fromhex("550403")  # 2.5.4.3
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
#: Bounds that keep a hostile x5c from costing much CPU (each check is a modular power).
MAX_CHAIN_LENGTH = 10
MAX_RSA_BITS = 8192
MAX_EXPONENT_BITS = 64
_PEM_CERTIFICATE = re.compile(
    rb"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.DOTALL
)


@dataclass(frozen=True)
class Certificate:
    """The parts of a DER X.509 certificate with an RSA key that chain checks need."""

    der: bytes
    tbs: bytes
    signature_algorithm: str | None  # RS256 / RS384 / RS512, None for any other
    signature: bytes
    issuer: bytes  # the DER of the issuer Name
    subject: bytes  # the DER of the subject Name
    not_before: datetime
    not_after: datetime
    modulus: int
    exponent: int
    is_ca: bool

    @property
    def fingerprint(self) -> str:
        """The SHA-256 fingerprint of the DER certificate (lower-case hex, no colons)."""
        return hashlib.sha256(self.der).hexdigest()

    @property
    def name(self) -> str:
        """The subject's common name (CN), else its SHA-256 fingerprint."""
        return _common_name(self.subject) or f"SHA-256 {self.fingerprint}"

    def valid_at(self, moment: datetime) -> bool:
        """Whether `moment` lies within the certificate's validity period."""
        return self.not_before <= moment <= self.not_after

    def issued_by(self, issuer: Certificate) -> bool:
        """Whether `issuer` (a CA certificate with this one's issuer name) signed this one."""
        return (
            self.issuer == issuer.subject
            and issuer.is_ca
            and self.signature_algorithm is not None
            and rsa_pkcs1_verify(
                issuer.modulus, issuer.exponent, self.tbs, self.signature, self.signature_algorithm
            )
        )


@dataclass(frozen=True)
class TrustedSigners:
    """Trust anchors for signed statements: certificates (from PEM files) and SHA-256
    fingerprints. A chain is trusted when it contains a trusted certificate or its last
    certificate was issued by a trusted certificate."""

    certificates: tuple[Certificate, ...]
    fingerprints: frozenset[str]

    @classmethod
    def load(cls, entries: Iterable[str]) -> TrustedSigners:
        """Read ``lrs_trusted_signers`` entries: SHA-256 fingerprints of DER certificates
        (hex, colons allowed) or paths of PEM files of certificates. `ConfigError` names
        an entry that is neither, or a file without a readable certificate."""
        certificates: list[Certificate] = []
        fingerprints: set[str] = set()
        for entry in entries:
            fingerprint = normalise_fingerprint(entry)
            if _FINGERPRINT.fullmatch(fingerprint):
                fingerprints.add(fingerprint)
                continue
            found = read_pem_certificates(Path(entry))
            certificates.extend(found)
            fingerprints.update(c.fingerprint for c in found)
        return cls(tuple(certificates), frozenset(fingerprints))

    def anchors(self, chain: Sequence[Certificate], moment: datetime) -> bool:
        """Whether the (verified) `chain` is anchored here at `moment`."""
        if any(cert.fingerprint in self.fingerprints for cert in chain):
            return True
        last = chain[-1]
        return any(
            anchor.valid_at(moment) and last.issued_by(anchor) for anchor in self.certificates
        )


def normalise_fingerprint(text: str) -> str:
    """`text` as a fingerprint is compared: lower case, without colons and spaces."""
    return text.strip().lower().replace(":", "").replace(" ", "")


def read_pem_certificates(path: Path) -> list[Certificate]:
    """The certificates of a PEM file; `ConfigError` naming the file when there are none
    or one is not an RSA X.509 certificate."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"lrs_trusted_signers: {path} is neither a SHA-256 fingerprint nor a readable "
            f"PEM file ({exc.strerror})"
        ) from None
    blocks = _PEM_CERTIFICATE.findall(text)
    if not blocks:
        raise ConfigError(f"lrs_trusted_signers: {path} holds no PEM CERTIFICATE block")
    certificates = []
    for number, block in enumerate(blocks, 1):
        try:
            certificates.append(parse_certificate(base64.b64decode(b"".join(block.split()))))
        except (binascii.Error, ValueError) as exc:
            raise ConfigError(
                f"lrs_trusted_signers: certificate {number} of {path} is not an RSA X.509 "
                f"certificate ({exc})"
            ) from None
    return certificates


def verify_signatures(
    statements: Sequence[JsonObject],
    payloads: Mapping[str, Attachment],
    version: str = "2.0.0",
    trusted: TrustedSigners | None = None,
) -> None:
    """Check every signature attachment of (valid) `statements` of xAPI `version`, with
    `trusted` signers when given; `ValidationError` names the attachment and what is wrong."""
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
            verify_jws(payload.content, stmt, path, version, trusted)


def verify_jws(
    token: bytes,
    stmt: JsonObject,
    path: str = "signature",
    version: str = "2.0.0",
    trusted: TrustedSigners | None = None,
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
    x5c = header.get("x5c")
    if x5c is None:
        return
    chain = _read_chain(x5c, path)
    signature = _b64url(parts[2], path, "signature")
    message = parts[0] + b"." + parts[1]
    leaf = chain[0]
    if not rsa_pkcs1_verify(leaf.modulus, leaf.exponent, message, signature, algorithm):
        raise ValidationError(path, "the JWS signature does not verify with its certificate")
    timestamp = stmt.get("timestamp")
    moment = parse_timestamp(timestamp) if isinstance(timestamp, str) else datetime.now(UTC)
    verify_chain(chain, moment, trusted, path)


def verify_chain(
    chain: Sequence[Certificate],
    moment: datetime,
    trusted: TrustedSigners | None = None,
    path: str = "signature",
) -> None:
    """Check an x5c chain (signer first): each certificate valid at `moment` and issued by
    the next, a self-signed last one verifying itself, and anchored in `trusted` if given."""
    at = format_timestamp(moment)
    for number, cert in enumerate(chain):
        if not cert.valid_at(moment):
            raise ValidationError(
                path,
                f"x5c certificate {number} ({cert.name}) is not valid at {at}: valid from "
                f"{format_timestamp(cert.not_before)} to {format_timestamp(cert.not_after)}",
            )
    for number, (cert, issuer) in enumerate(itertools.pairwise(chain)):
        if cert.issuer != issuer.subject:
            raise ValidationError(
                path,
                f"x5c certificate {number} ({cert.name}) was not issued by the next "
                f"certificate ({issuer.name}): the issuer names differ",
            )
        if not issuer.is_ca:
            raise ValidationError(
                path, f"x5c certificate {number + 1} ({issuer.name}) is not a CA certificate"
            )
        if cert.signature_algorithm is None:
            raise ValidationError(
                path,
                f"x5c certificate {number} ({cert.name}) is not signed with RSA and "
                "SHA-256, SHA-384 or SHA-512",
            )
        if not cert.issued_by(issuer):
            raise ValidationError(
                path,
                f"x5c certificate {number} ({cert.name}) has a signature that its issuer's "
                f"key ({issuer.name}) does not verify",
            )
    last = chain[-1]
    if last.issuer == last.subject and last.is_ca and not last.issued_by(last):
        raise ValidationError(
            path, f"the self-signed x5c certificate {len(chain) - 1} ({last.name}) does not verify"
        )
    if trusted is not None and not trusted.anchors(chain, moment):
        raise ValidationError(
            path,
            f"the x5c certificate chain of {chain[0].name} does not lead to a trusted signer "
            "(setting lrs_trusted_signers)",
        )


def _read_chain(x5c: object, path: str) -> list[Certificate]:
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise ValidationError(path, "x5c must be a non-empty list of base64 certificates")
    if len(x5c) > MAX_CHAIN_LENGTH:
        raise ValidationError(path, f"x5c has more than {MAX_CHAIN_LENGTH} certificates")
    chain = []
    for number, text in enumerate(x5c):
        try:
            chain.append(parse_certificate(base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                path, f"x5c certificate {number} is not an RSA certificate (X.509, {exc})"
            ) from None
    return chain


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
    parsed = parse_certificate(certificate)
    return parsed.modulus, parsed.exponent


def parse_certificate(der: bytes) -> Certificate:
    """Read a DER X.509 certificate with an RSA key (ValueError naming what is wrong)."""
    try:
        return _parse_certificate(der)
    except IndexError:
        raise ValueError("DER: truncated certificate") from None


def _parse_certificate(der: bytes) -> Certificate:
    _, cert, cert_end = _tlv(der, 0, 0x30)
    if cert_end != len(der):
        raise ValueError("DER: trailing bytes after the certificate")
    tbs_start, tbs, tbs_end = _tlv(der, cert, 0x30)
    _, algorithm, algorithm_end = _tlv(der, tbs_end, 0x30)
    _, oid, oid_end = _tlv(der, algorithm, 0x06)
    _, bits, bits_end = _tlv(der, algorithm_end, 0x03)
    if der[bits] != 0:
        raise ValueError("unexpected unused bits in the signature")
    position = tbs
    if der[position] == 0xA0:  # [0] version
        position = _tlv(der, position, 0xA0)[2]
    position = _tlv(der, position, 0x02)[2]  # serial number
    position = _tlv(der, position, 0x30)[2]  # signature algorithm (repeated)
    issuer_start, _, position = _tlv(der, position, 0x30)
    issuer = der[issuer_start:position]
    _, validity, position = _tlv(der, position, 0x30)
    not_before, after_start = _read_time(der, validity)
    not_after, _ = _read_time(der, after_start)
    subject_start, _, position = _tlv(der, position, 0x30)
    subject = der[subject_start:position]
    _, spki, position = _tlv(der, position, 0x30)
    modulus, exponent = _rsa_key(der, spki)
    is_ca = False
    while position < tbs_end:  # [1] issuerUniqueID, [2] subjectUniqueID, [3] extensions
        tag = der[position]
        _, content, end = _tlv(der, position, tag)
        if tag == 0xA3:
            is_ca = _is_ca(der, content)
        position = end
    return Certificate(
        der=der,
        tbs=der[tbs_start:tbs_end],
        signature_algorithm=_CERTIFICATE_ALGORITHMS.get(der[oid:oid_end]),
        signature=der[bits + 1 : bits_end],
        issuer=issuer,
        subject=subject,
        not_before=not_before,
        not_after=not_after,
        modulus=modulus,
        exponent=exponent,
        is_ca=is_ca,
    )


def _rsa_key(der: bytes, spki: int) -> tuple[int, int]:
    _, algorithm, algorithm_end = _tlv(der, spki, 0x30)
    _, oid, oid_end = _tlv(der, algorithm, 0x06)
    if der[oid:oid_end] != _RSA_ENCRYPTION:
        raise ValueError("not an RSA key")
    _, bits, _ = _tlv(der, algorithm_end, 0x03)
    if der[bits] != 0:
        raise ValueError("unexpected unused bits in the key")
    _, key, _ = _tlv(der, bits + 1, 0x30)
    _, modulus, modulus_end = _tlv(der, key, 0x02)
    _, exponent, exponent_end = _tlv(der, modulus_end, 0x02)
    n = int.from_bytes(der[modulus:modulus_end], "big")
    e = int.from_bytes(der[exponent:exponent_end], "big")
    if n.bit_length() > MAX_RSA_BITS or e.bit_length() > MAX_EXPONENT_BITS:
        raise ValueError(f"RSA keys of at most {MAX_RSA_BITS} bits with small exponents only")
    return n, e


def _read_time(der: bytes, position: int) -> tuple[datetime, int]:
    """A UTCTime or GeneralizedTime (``...Z``) at `position`, and where the next element starts."""
    tag = der[position]
    if tag not in (0x17, 0x18):
        raise ValueError(f"DER: expected a time at {position}")
    _, content, end = _tlv(der, position, tag)
    text = der[content:end].decode("ascii")
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ: years 50-99 are 19xx (RFC 5280 4.1.2.5.1)
        text = ("19" if int(text[:2]) >= 50 else "20") + text
    try:
        moment = datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise ValueError(f"DER: unreadable certificate time {text!r}") from None
    return moment, end


def _is_ca(der: bytes, extensions: int) -> bool:
    """Whether the extensions ([3] content at `extensions`) mark a CA (basicConstraints)."""
    _, position, end = _tlv(der, extensions, 0x30)
    while position < end:
        _, field, position = _tlv(der, position, 0x30)
        _, oid, oid_end = _tlv(der, field, 0x06)
        if der[oid:oid_end] != _BASIC_CONSTRAINTS:
            continue
        value = oid_end
        if der[value] == 0x01:  # critical
            value = _tlv(der, value, 0x01)[2]
        _, octets, _ = _tlv(der, value, 0x04)
        _, constraints, constraints_end = _tlv(der, octets, 0x30)
        if constraints < constraints_end and der[constraints] == 0x01:
            _, flag, _ = _tlv(der, constraints, 0x01)
            return der[flag] != 0
        return False
    return False


def _common_name(name: bytes) -> str | None:
    """The first commonName of a DER Name, if any."""
    try:
        _, position, end = _tlv(name, 0, 0x30)
        while position < end:
            _, rdn, position = _tlv(name, position, 0x31)
            _, attribute, _ = _tlv(name, rdn, 0x30)
            _, oid, oid_end = _tlv(name, attribute, 0x06)
            if name[oid:oid_end] == _COMMON_NAME:
                _, value, value_end = _tlv(name, oid_end, name[oid_end])
                return name[value:value_end].decode("utf-8", "replace")
    except (ValueError, IndexError):
        return None
    return None


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
