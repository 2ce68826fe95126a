"""The document store behind the xAPI State, Activity Profile and Agent Profile resources.

`DocumentStore` keeps documents of any content type as sent (``lrs_documents``, content in
base64) with a strong ETag and the time of the last write. Every write is one transaction
that first locks the document's row, so concurrent writers never lose updates:

- within a process, writers on one engine take a lock shared by every store on it (DuckDB
  has one writing process; its optimistic transactions would otherwise fail on conflict);
- across processes (PostgreSQL), ``UPDATE ... RETURNING`` on the row holds its row lock until
  commit, and a document created concurrently by another process is found by
  ``INSERT ... ON CONFLICT DO NOTHING`` and then locked and re-read.
"""

from __future__ import annotations

import base64
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from learnledger.errors import ConflictError, ValidationError
from learnledger.lrs.document_params import DocumentScope
from learnledger.lrs.document_rules import (
    DEFAULT_CONTENT_TYPE,
    Preconditions,
    etag_of,
    is_json,
    merged_json,
    parse_json_object,
    put_policy,
)
from learnledger.storage.engine import Engine

_KEY = "kind = ? AND activity_id = ? AND agent_ifi = ? AND registration = ? AND document_id = ?"
_COLUMNS = "document_id, content_type, content, etag, updated"
# Taking the row lock: a no-op UPDATE holds it until commit on PostgreSQL.
_LOCK_SQL = f"UPDATE lrs_documents SET etag = etag WHERE {_KEY} RETURNING {_COLUMNS}"
_GET_SQL = f"SELECT {_COLUMNS} FROM lrs_documents WHERE {_KEY}"
_INSERT_SQL = (
    "INSERT INTO lrs_documents (kind, activity_id, agent_ifi, registration, document_id, "
    "content_type, content, length, etag, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT DO NOTHING RETURNING etag"
)
_UPDATE_SQL = (
    "UPDATE lrs_documents SET content_type = ?, content = ?, length = ?, etag = ?, updated = ? "
    f"WHERE {_KEY}"
)
_DELETE_SQL = f"DELETE FROM lrs_documents WHERE {_KEY}"
# An attempt to create a document loses only to a concurrent creator in another process; one
# retry then finds and locks that row. More attempts than this means something else is wrong.
_WRITE_ATTEMPTS = 3

_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


@dataclass(frozen=True)
class Document:
    """A stored document: its id, content as sent, content type, ETag (unquoted hex SHA-1)
    and the time of its last write."""

    document_id: str
    content: bytes
    content_type: str
    etag: str
    updated: datetime


@dataclass(frozen=True)
class DocumentIds:
    """The ids of a scope's documents and the time of the latest write among them."""

    ids: list[str]
    last_modified: datetime | None


class DocumentStore:
    """Reads and writes the documents of the three xAPI document resources on an `Engine`.

    Writes raise `ValidationError` (400), `ConflictError` (409) or
    `PreconditionFailedError` (412) and then change nothing.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with _LOCKS_GUARD:
            self._write_lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())

    # -- reads --------------------------------------------------------------------------------

    def get(self, scope: DocumentScope, document_id: str) -> Document | None:
        """The document `document_id` of `scope`, or None when there is none."""
        row = self.engine.fetch_one(_GET_SQL, _key(scope, document_id))
        return None if row is None else _document(row)

    def list_ids(self, scope: DocumentScope, since: datetime | None = None) -> DocumentIds:
        """Ids of the documents of `scope` (every registration when it names none), written
        after `since` (exclusive) when given, sorted."""
        where, params = _scope_filter(scope)
        if since is not None:
            where += " AND updated > ?"
            params.append(since)
        rows = self.engine.fetch_all(
            f"SELECT document_id, updated FROM lrs_documents WHERE {where} ORDER BY document_id",
            params,
        )
        latest = max((row[1] for row in rows), default=None)
        return DocumentIds([str(row[0]) for row in rows], latest)

    # -- writes -------------------------------------------------------------------------------

    def put(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str | None,
        preconditions: Preconditions,
        *,
        version: str = "2.0.0",
    ) -> Document:
        """Store `content` as the document, replacing any stored one.

        The preconditions must hold; without any, the kind's `PutPolicy` for `version`
        decides whether a stored document may be replaced (409) or even a new one created
        without a precondition (400, profile documents).
        """
        policy = put_policy(scope.kind, version)

        def replace(current: Document | None) -> tuple[bytes, str]:
            preconditions.check_put(policy, None if current is None else current.etag)
            return content, content_type or DEFAULT_CONTENT_TYPE

        return self._write(scope, document_id, replace)

    def post(
        self,
        scope: DocumentScope,
        document_id: str,
        content: bytes,
        content_type: str | None,
        preconditions: Preconditions,
    ) -> Document:
        """Merge a posted JSON object into the stored one, or store `content` when there is
        no document yet.

        JSON content must be a JSON object; when a document is stored, both must be
        ``application/json`` objects (`ValidationError` otherwise).
        """
        content_type = content_type or DEFAULT_CONTENT_TYPE
        posted = parse_json_object(content, "content") if is_json(content_type) else None

        def merge(current: Document | None) -> tuple[bytes, str]:
            preconditions.check(None if current is None else current.etag)
            if current is None:
                return content, content_type
            if posted is None:
                raise ValidationError(
                    "Content-Type",
                    f"{content_type!r} cannot be merged into a stored document: POST an "
                    "application/json object, or replace the document with PUT",
                )
            return merged_json(current.content, current.content_type, posted), current.content_type

        return self._write(scope, document_id, merge)

    def delete(self, scope: DocumentScope, document_id: str, preconditions: Preconditions) -> bool:
        """Delete one document if the preconditions hold; return whether one was deleted."""
        with self._write_lock, self.engine.transaction():
            current = self._lock(scope, document_id)
            preconditions.check(None if current is None else current.etag)
            if current is None:
                return False
            self.engine.execute(_DELETE_SQL, _key(scope, document_id))
            return True

    def delete_all(self, scope: DocumentScope) -> None:
        """Delete every document of `scope` (every registration when it names none)."""
        where, params = _scope_filter(scope)
        with self._write_lock, self.engine.transaction():
            self.engine.execute(f"DELETE FROM lrs_documents WHERE {where}", params)

    # -- internals ----------------------------------------------------------------------------

    def _write(
        self,
        scope: DocumentScope,
        document_id: str,
        new_content: Callable[[Document | None], tuple[bytes, str]],
    ) -> Document:
        """Lock the document, compute its new content from the current one, store it."""
        key = _key(scope, document_id)
        with self._write_lock, self.engine.transaction():
            for _ in range(_WRITE_ATTEMPTS):
                current = self._lock(scope, document_id)
                content, content_type = new_content(current)
                document = Document(
                    document_id=document_id,
                    content=content,
                    content_type=content_type,
                    etag=etag_of(content),
                    updated=_next_update(current),
                )
                values = [
                    document.content_type,
                    base64.b64encode(content).decode("ascii"),
                    len(content),
                    document.etag,
                    document.updated,
                ]
                if current is not None:
                    self.engine.execute(_UPDATE_SQL, [*values, *key])
                    return document
                if self.engine.fetch_all(_INSERT_SQL, [*key, *values]):
                    return document
        raise ConflictError(f"document {document_id!r} is being written concurrently; retry")

    def _lock(self, scope: DocumentScope, document_id: str) -> Document | None:
        """The stored document, its row locked until the transaction ends; None if absent."""
        rows = self.engine.fetch_all(_LOCK_SQL, _key(scope, document_id))
        return _document(rows[0]) if rows else None


def _key(scope: DocumentScope, document_id: str) -> list[Any]:
    return [
        scope.kind.value,
        scope.activity_id,
        scope.agent_ifi,
        scope.registration or "",
        document_id,
    ]


def _scope_filter(scope: DocumentScope) -> tuple[str, list[Any]]:
    where = "kind = ? AND activity_id = ? AND agent_ifi = ?"
    params: list[Any] = [scope.kind.value, scope.activity_id, scope.agent_ifi]
    if scope.registration is not None:
        where += " AND registration = ?"
        params.append(scope.registration)
    return where, params


def _document(row: tuple[Any, ...]) -> Document:
    document_id, content_type, content, etag, updated = row
    return Document(
        document_id=str(document_id),
        content=base64.b64decode(content),
        content_type=str(content_type),
        etag=str(etag),
        updated=updated,
    )


def _next_update(current: Document | None) -> datetime:
    """Now, but always after the previous write, so Last-Modified moves on every write."""
    now = datetime.now(UTC)
    if current is not None and now <= current.updated:
        return current.updated + timedelta(microseconds=1)
    return now
