"""Credentials of xAPI clients: HTTP Basic key and secret, xAPI scopes, an authority Agent.

`CredentialStore.add` creates a credential and returns its secret once; only an argon2id hash
is stored. `CredentialStore.authenticate` verifies a key and secret. argon2id is slow on
purpose (tens of milliseconds), far too slow for every request of a busy client, so a
verified (key, secret) pair is remembered in memory for `CACHE_SECONDS`, keyed by a SHA-256
digest of the pair (the secret itself is never kept). Revoking through the same store takes
effect at once; through another process, within `CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from learnledger.core.xapi import validate_authority
from learnledger.errors import AuthenticationError, NotFoundError, ValidationError
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

#: The xAPI scopes (xAPI 1.0.3 Communication 4.2), in the order the spec lists them.
SCOPES = (
    "statements/write",
    "statements/read/mine",
    "statements/read",
    "state",
    "define",
    "profile",
    "all/read",
    "all",
)
#: How long a verified key and secret are remembered, in seconds.
CACHE_SECONDS = 60.0
#: The homePage of the authority of credentials created without one.
DEFAULT_HOME_PAGE = "http://127.0.0.1:8000/xapi"

_READ_SCOPES = {"statements/read", "statements/read/mine"}
_HASHER = PasswordHasher()  # argon2id with the library's recommended cost


@dataclass(frozen=True)
class Credential:
    """An authenticated xAPI client: its key, name, scopes and authority Agent."""

    key: str
    name: str
    scopes: frozenset[str]
    authority: JsonObject = field(hash=False, compare=False)

    def allows(self, scope: str, *, read: bool) -> bool:
        """Whether the credential may do what `scope` names (``"statements/write"``,
        ``"statements/read"``, ``"state"``, ``"profile"``, ``"define"``, ...).

        ``all`` allows everything, ``all/read`` every read; ``statements/read/mine`` allows
        ``statements/read`` restricted to the credential's own statements (see `mine_only`).
        """
        held = self.scopes
        if "all" in held or (read and "all/read" in held):
            return True
        if scope == "statements/read":
            return bool(held & _READ_SCOPES)
        return scope in held

    @property
    def mine_only(self) -> bool:
        """True when statement reads are limited to statements with this authority."""
        held = self.scopes
        return "statements/read/mine" in held and not held & {"statements/read", "all/read", "all"}


def anonymous_credential(home_page: str = DEFAULT_HOME_PAGE) -> Credential:
    """The credential of unauthenticated requests when anonymous access is configured."""
    authority = {
        "objectType": "Agent",
        "name": "anonymous",
        "account": {"homePage": home_page, "name": "anonymous"},
    }
    return Credential(key="", name="anonymous", scopes=frozenset({"all"}), authority=authority)


def parse_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """The set of `scopes`, each one checked against `SCOPES`; at least one is needed."""
    chosen = frozenset(s.strip() for s in scopes if s.strip())
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise ValidationError("scopes", f"unknown scope {unknown[0]!r}; use {', '.join(SCOPES)}")
    if not chosen:
        raise ValidationError("scopes", "at least one scope is needed")
    return chosen


@dataclass(frozen=True)
class CredentialInfo:
    """A stored credential as listed (without any secret)."""

    key: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


class CredentialStore:
    """Creates, lists, revokes and authenticates credentials on an `Engine`."""

    def __init__(self, engine: Engine, *, hasher: PasswordHasher | None = None) -> None:
        """`hasher` hashes new secrets (default: argon2id at the library's recommended cost;
        tests pass a cheap one). Verification uses the parameters stored in each hash."""
        self.engine = engine
        self._hasher = hasher or _HASHER
        self._cache: dict[bytes, tuple[float, Credential]] = {}
        self._lock = threading.Lock()

    def add(
        self, name: str, scopes: Iterable[str], *, home_page: str = DEFAULT_HOME_PAGE
    ) -> tuple[str, str]:
        """Create a credential; return ``(key, secret)``. The secret cannot be shown again.

        Its authority is the Agent ``{"name": name, "account": {"homePage": home_page,
        "name": key}}``.
        """
        if not name.strip():
            raise ValidationError("name", "must not be empty")
        chosen = parse_scopes(scopes)
        key = secrets.token_hex(10)
        secret = secrets.token_urlsafe(24)
        authority = {
            "objectType": "Agent",
            "name": name,
            "account": {"homePage": home_page, "name": key},
        }
        validate_authority(authority)
        self.engine.execute(
            "INSERT INTO lrs_credentials (credential_key, name, secret_hash, scopes, authority, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                key,
                name,
                self._hasher.hash(secret),
                ",".join(s for s in SCOPES if s in chosen),
                orjson.dumps(authority).decode(),
                datetime.now(UTC),
            ],
        )
        return key, secret

    def list(self) -> list[CredentialInfo]:
        """Every credential, revoked ones included, oldest first."""
        rows = self.engine.fetch_all(
            "SELECT credential_key, name, scopes, created_at, revoked_at FROM lrs_credentials "
            "ORDER BY created_at, credential_key"
        )
        return [
            CredentialInfo(key, name, tuple(scopes.split(",")), created, revoked)
            for key, name, scopes, created, revoked in rows
        ]

    def revoke(self, key: str) -> None:
        """Revoke the credential `key` (NotFoundError when there is no such valid credential)."""
        changed = self.engine.fetch_all(
            "UPDATE lrs_credentials SET revoked_at = ? WHERE credential_key = ? "
            "AND revoked_at IS NULL RETURNING credential_key",
            [datetime.now(UTC), key],
        )
        if not changed:
            raise NotFoundError(f"no valid credential with key {key!r}")
        with self._lock:
            self._cache = {d: entry for d, entry in self._cache.items() if entry[1].key != key}

    def authenticate(self, key: str, secret: str) -> Credential:
        """The credential of `key` when `secret` is right and it is not revoked, else
        `AuthenticationError` (which does not say which part was wrong)."""
        digest = hashlib.sha256(f"{key}\x00{secret}".encode()).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[0] > now:
            return cached[1]
        row = self.engine.fetch_one(
            "SELECT name, secret_hash, scopes, authority FROM lrs_credentials "
            "WHERE credential_key = ? AND revoked_at IS NULL",
            [key],
        )
        if row is None:
            raise AuthenticationError("unknown or revoked credential, or wrong secret")
        name, secret_hash, scopes, authority = row
        try:
            self._hasher.verify(secret_hash, secret)
        except (VerificationError, InvalidHashError):
            raise AuthenticationError("unknown or revoked credential, or wrong secret") from None
        credential = Credential(
            key=key,
            name=name,
            scopes=frozenset(scopes.split(",")),
            authority=orjson.loads(authority),
        )
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (now + CACHE_SECONDS, credential)
        return credential
