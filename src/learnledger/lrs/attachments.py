"""Statement attachments: the multipart/mixed request format, SHA-2 checks and storage.

xAPI Data 2.4.11 and Communication 1.5.2: a statement request with attachment payloads is
``multipart/mixed``; the first part is the statement (or array of statements) as
``application/json``, every further part one payload with ``X-Experience-API-Hash`` (its
SHA-2) and ``Content-Transfer-Encoding: binary``. Every attachment without a ``fileUrl`` must
have its payload, every payload must belong to an attachment, and every hash must match.
Payloads are stored once per hash (``xapi_attachments``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from learnledger.errors import ValidationError
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
_HASHES = {56: hashlib.sha224, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}
_BOUNDARY = re.compile(r'boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))', re.IGNORECASE)
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_FETCH_SQL = (
    "SELECT sha2, content_type, content FROM xapi_attachments "
    "WHERE sha2 IN (SELECT unnest(CAST(? AS TEXT[])))"
)


@dataclass(frozen=True)
class Attachment:
    """One attachment payload: its SHA-2 (lower-case hex), content type and bytes."""

    sha2: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class MultipartStatements:
    """A parsed multipart/mixed statement request: the statement JSON and the payloads."""

    statements: Any
    attachments: dict[str, Attachment]


def sha2_of(content: bytes, length: int = 64) -> str:
    """The hex SHA-2 digest of `content` whose hex length is `length` (56, 64, 96 or 128)."""
    return _HASHES[length](content).hexdigest()


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart content type (`ValidationError` if missing)."""
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise ValidationError("Content-Type", "multipart/mixed needs a boundary parameter")
    return match.group(1) or match.group(2)


def parse_multipart(body: bytes, content_type: str) -> MultipartStatements:
    """Split a multipart/mixed statement request into the statement JSON and its payloads.

    Checks the part structure and every part's hash against its content; whether the
    statements and the payloads correspond is `check_attachments`' job.
    """
    parts = split_multipart(body, boundary_of(content_type))
    if not parts:
        raise ValidationError("body", "the multipart body has no parts")
    first_headers, first_body = parts[0]
    first_type = first_headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if first_type != "application/json":
        raise ValidationError("body", "the first part must be the statements as application/json")
    try:
        statements = orjson.loads(first_body)
    except orjson.JSONDecodeError as exc:
        raise ValidationError("body", f"the first part is not valid JSON ({exc.msg})") from None
    attachments: dict[str, Attachment] = {}
    for number, (headers, content) in enumerate(parts[1:], start=2):
        where = f"part {number}"
        digest = headers.get("x-experience-api-hash", "").strip().lower()
        if not digest:
            raise ValidationError(where, "has no X-Experience-API-Hash header")
        if len(digest) not in _HASHES or not re.fullmatch(r"[0-9a-f]+", digest):
            raise ValidationError(where, "X-Experience-API-Hash must be a hex SHA-2 digest")
        encoding = headers.get("content-transfer-encoding", "").strip().lower()
        if encoding != "binary":
            raise ValidationError(where, "needs Content-Transfer-Encoding: binary")
        if sha2_of(content, len(digest)) != digest:
            raise ValidationError(where, "X-Experience-API-Hash does not match its content")
        part_type = headers.get("content-type", "application/octet-stream").strip()
        attachments[digest] = Attachment(digest, part_type, content)
    return MultipartStatements(statements, attachments)


def split_multipart(body: bytes, boundary: str) -> list[tuple[dict[str, str], bytes]]:
    """The (headers with lower-case names, content) of each part of a multipart body."""
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise ValidationError("body", "the multipart boundary does not occur in the body")
    parts: list[tuple[dict[str, str], bytes]] = []
    position = start + len(delimiter)
    while True:
        if body.startswith(b"--", position):
            return parts  # the closing delimiter
        line_end = body.find(b"\n", position)
        if line_end < 0:
            break
        position = line_end + 1
        end = body.find(b"\r\n" + delimiter, position)
        cut = 2
        if end < 0:
            end = body.find(b"\n" + delimiter, position)
            cut = 1
        if end < 0:
            break
        parts.append(_part(body[position:end]))
        position = end + cut + len(delimiter)
    raise ValidationError("body", "the multipart body is not closed by its boundary")


def _part(raw: bytes) -> tuple[dict[str, str], bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, content = raw.partition(separator)
        if found:
            break
    else:
        if raw.strip():
            raise ValidationError("body", "a multipart part has no blank line after its headers")
        return {}, b""
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").splitlines():
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return headers, content


def statement_attachments(statements: Iterable[JsonObject]) -> Iterable[JsonObject]:
    """Every attachment object of `statements` (SubStatement attachments included)."""
    for stmt in statements:
        yield from stmt.get("attachments") or ()
        obj = stmt.get("object") or {}
        if obj.get("objectType") == "SubStatement":
            yield from obj.get("attachments") or ()


def check_attachments(statements: Sequence[JsonObject], payloads: Mapping[str, Attachment]) -> None:
    """Every attachment without fileUrl has a payload, and every payload an attachment."""
    declared: set[str] = set()
    for index, stmt in enumerate(statements):
        for number, attachment in enumerate(stmt.get("attachments") or ()):
            sha2 = attachment["sha2"].lower()
            declared.add(sha2)
            if "fileUrl" not in attachment and sha2 not in payloads:
                raise ValidationError(
                    f"statement[{index}].attachments[{number}]",
                    "has no fileUrl and its payload was not sent (multipart/mixed)",
                )
    unused = sorted(payloads.keys() - declared)
    if unused:
        raise ValidationError("body", f"the part with hash {unused[0]} matches no attachment")


class AttachmentStore:
    """Stores and reads attachment payloads by SHA-2."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def put(self, attachments: Iterable[Attachment], *, stored: datetime) -> int:
        """Store the payloads not stored yet (in the caller's transaction); return how many."""
        wanted = {a.sha2: a for a in attachments}
        if not wanted:
            return 0
        present = {str(row[0]) for row in self.engine.fetch_all(_FETCH_SQL, [sorted(wanted)])}
        new = [a for sha2, a in sorted(wanted.items()) if sha2 not in present]
        if new:
            self.engine.bulk_insert(
                "xapi_attachments",
                pa.table(
                    {
                        "sha2": pa.array([a.sha2 for a in new], pa.string()),
                        "content_type": pa.array([a.content_type for a in new], pa.string()),
                        "length": pa.array([len(a.content) for a in new], pa.int64()),
                        "content": pa.array(
                            [base64.b64encode(a.content).decode() for a in new], pa.string()
                        ),
                        "stored": pa.array([stored] * len(new), _TIMESTAMP),
                    }
                ),
            )
        return len(new)

    def get_many(self, sha2s: Iterable[str]) -> dict[str, Attachment]:
        """The stored payloads among `sha2s`, by hash."""
        wanted = sorted({s.lower() for s in sha2s})
        if not wanted:
            return {}
        rows = self.engine.fetch_all(_FETCH_SQL, [wanted])
        return {
            str(sha2): Attachment(str(sha2), content_type, base64.b64decode(content))
            for sha2, content_type, content in rows
        }
