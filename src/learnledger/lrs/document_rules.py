"""The xAPI rules of the document resources that do not touch storage.

- Concurrency (xAPI Communication 3.1): ETags are the quoted hex SHA-1 of the content;
  `Preconditions` evaluates If-Match / If-None-Match as RFC 7232 describes (412 when one does
  not hold); `PutPolicy` says what a PUT without either header may do.
- JSON merge (Communication 2.2): a POST of a JSON object onto a stored JSON object sets the
  posted top-level properties; anything else that is not JSON on both sides is a 400.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson

from learnledger.errors import (
    ConflictError,
    PreconditionFailedError,
    ValidationError,
)

JSON_TYPE = "application/json"
#: The content type of a document sent without one.
DEFAULT_CONTENT_TYPE = "application/octet-stream"


class DocumentKind(StrEnum):
    """The three document resources."""

    STATE = "state"
    ACTIVITY_PROFILE = "activity_profile"
    AGENT_PROFILE = "agent_profile"


class PutPolicy(StrEnum):
    """What a PUT that carries neither If-Match nor If-None-Match may do.

    ``OVERWRITE``: create or replace (xAPI 1.0.3 State: "state conflicts are unlikely").
    ``CONFLICT_IF_EXISTS``: create; replacing a stored document is a 409 (xAPI 2.0 State, as
    the ADL conformance suite tests it). ``REQUIRED``: a 409 when the document exists and a 400
    when it does not, since the client MUST send a precondition (Agent and Activity Profiles).
    """

    OVERWRITE = "overwrite"
    CONFLICT_IF_EXISTS = "conflict_if_exists"
    REQUIRED = "required"


def put_policy(kind: DocumentKind, version: str) -> PutPolicy:
    """The `PutPolicy` of `kind` for a request of xAPI `version` ("1.0.3" or "2.0.0")."""
    if kind is not DocumentKind.STATE:
        return PutPolicy.REQUIRED
    return PutPolicy.CONFLICT_IF_EXISTS if version.startswith("2.") else PutPolicy.OVERWRITE


def etag_of(content: bytes) -> str:
    """The entity tag of a document's content: lower-case hex SHA-1, without quotes."""
    return hashlib.sha1(content, usedforsecurity=False).hexdigest()


def quote_etag(etag: str) -> str:
    """`etag` as the value of an ETag header (a strong, quoted entity tag)."""
    return f'"{etag}"'


def _parse_tags(value: str) -> frozenset[str]:
    """The entity tags of an If-Match / If-None-Match value; ``{"*"}`` for ``*``.

    Weak tags (``W/"..."``) are kept with a ``W/`` prefix so that they never match a strong
    comparison; bare, unquoted tags from lax clients are accepted as they are.
    """
    tags: set[str] = set()
    for raw in value.split(","):
        tag = raw.strip()
        if not tag:
            continue
        weak = tag[:2] in ("W/", "w/")
        if weak:
            tag = tag[2:]
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        tags.add(("W/" if weak else "") + (tag if tag == "*" else tag.lower()))
    return frozenset(tags)


@dataclass(frozen=True)
class Preconditions:
    """The If-Match / If-None-Match headers of a write; None where the header is absent."""

    if_match: frozenset[str] | None = None
    if_none_match: frozenset[str] | None = None

    @classmethod
    def from_headers(cls, if_match: str | None, if_none_match: str | None) -> Preconditions:
        """Parse the two header values (None when a header is absent)."""
        return cls(
            if_match=None if if_match is None else _parse_tags(if_match),
            if_none_match=None if if_none_match is None else _parse_tags(if_none_match),
        )

    @property
    def given(self) -> bool:
        """Whether the request carries either header."""
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current_etag: str | None) -> None:
        """Raise `PreconditionFailedError` unless the preconditions hold for the stored
        document (`current_etag` is its ETag, None when there is no document)."""
        if self.if_match is not None:
            if current_etag is None:
                raise PreconditionFailedError("If-Match: the document does not exist")
            if "*" not in self.if_match and current_etag not in self.if_match:
                raise PreconditionFailedError(
                    f"If-Match: the document's ETag is {quote_etag(current_etag)}"
                )
        if self.if_none_match is not None and current_etag is not None:
            weak = {tag.removeprefix("W/") for tag in self.if_none_match}
            if "*" in weak:
                raise PreconditionFailedError("If-None-Match: *: the document exists")
            if current_etag in weak:
                raise PreconditionFailedError(
                    f"If-None-Match: the document's ETag is {quote_etag(current_etag)}"
                )

    def check_put(self, policy: PutPolicy, current_etag: str | None) -> None:
        """Apply the preconditions of a PUT, then `policy` when the request has none."""
        if self.given:
            self.check(current_etag)
        elif policy is PutPolicy.REQUIRED and current_etag is None:
            raise ValidationError(
                "If-None-Match",
                "a PUT to a profile document must carry If-Match or If-None-Match "
                "(If-None-Match: * to create it)",
            )
        elif policy is not PutPolicy.OVERWRITE and current_etag is not None:
            raise ConflictError(
                "the document already exists: check its current state (GET) and send the PUT "
                f"again with If-Match: {quote_etag(current_etag)} to replace it"
            )


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-case, without parameters."""
    return content_type.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    """Whether a Content-Type value is ``application/json`` (with any parameters)."""
    return media_type(content_type) == JSON_TYPE


def parse_json_object(content: bytes, what: str) -> dict[str, Any]:
    """`content` parsed as a JSON object; `ValidationError` naming `what` otherwise."""
    try:
        value = orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(what, f"is not valid JSON ({exc})") from None
    if type(value) is not dict:
        raise ValidationError(what, "must be a JSON object to be merged")
    return value


def merged_json(stored: bytes, stored_type: str, posted: dict[str, Any]) -> bytes:
    """The stored JSON object with the posted top-level properties set (xAPI merge).

    `ValidationError` when the stored document is not an ``application/json`` object.
    """
    if not is_json(stored_type):
        raise ValidationError(
            "Content-Type",
            f"the stored document is {stored_type!r}, not application/json: it cannot be "
            "merged; replace it with PUT",
        )
    current = parse_json_object(stored, "stored document")
    current.update(posted)
    return orjson.dumps(current)
