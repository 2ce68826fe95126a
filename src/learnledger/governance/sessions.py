"""Sign-in, sessions and CSRF tokens for the web app and its API.

A session token is 32 random bytes, given to the browser in an HttpOnly cookie; the database
keeps only its SHA-256. A session ends on sign-out, after `idle` without a request, after
`max_age` in any case, or when the user is disabled or their role, scope or password changes.
The CSRF token of a session is ``HMAC(csrf key, session token)``: it needs no storage and is
worthless without the cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from learnledger.errors import AuthenticationError
from learnledger.governance.actors import Actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.governance.passwords import (
    DUMMY_HASH,
    needs_rehash,
    rehash_password,
    verify_password,
)
from learnledger.governance.throttle import LoginThrottle
from learnledger.governance.users import UserDirectory
from learnledger.storage.engine import Engine

_CSRF_PURPOSE = "csrf"
_TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class SignedIn:
    """A new session: the token for the cookie, the actor and the session's CSRF token."""

    token: str
    actor: Actor
    csrf_token: str
    expires_at: dt.datetime


class SessionManager:
    """Signs users in and out and resolves session tokens to actors."""

    def __init__(
        self,
        engine: Engine,
        keys: KeyRing,
        *,
        users: UserDirectory,
        throttle: LoginThrottle,
        audit: AuditLog,
        idle: dt.timedelta,
        max_age: dt.timedelta,
    ) -> None:
        self.engine = engine
        self.users = users
        self.throttle = throttle
        self.audit = audit
        self.idle = idle
        self.max_age = max_age
        self._csrf_key = keys.key(_CSRF_PURPOSE)

    def sign_in(
        self, username: str, password: str, client: str, *, now: dt.datetime | None = None
    ) -> SignedIn:
        """Check the password and open a session.

        Raises TooManyRequestsError when the username or client failed too often lately, and
        AuthenticationError (the same message whether the user exists or not) otherwise.
        """
        moment = now or dt.datetime.now(dt.UTC)
        self.throttle.check(username, client, moment)
        found = self.users.password_hash(username)
        password_hash = found[1] if found else DUMMY_HASH
        matches = verify_password(password_hash, password)
        if found is None or not matches or found[0].disabled:
            self.throttle.record(username, client, succeeded=False, now=moment)
            self.audit.append(
                actor="anonymous",
                action="login_failed",
                target="app_sessions",
                details={"user_id": found[0].user_id if found else None},
                occurred_at=moment,
            )
            raise AuthenticationError("wrong username or password, or the user is disabled")
        user = found[0]
        if needs_rehash(password_hash):
            self.users.replace_hash(user.user_id, rehash_password(password))
        token = secrets.token_urlsafe(32)
        expires_at = moment + self.max_age
        with self.audit.transaction():
            self.engine.execute(
                "INSERT INTO app_sessions (token_hash, user_id, created_at, expires_at, "
                "last_seen_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)",
                [_token_hash(token), user.user_id, moment, expires_at, moment],
            )
            self.engine.execute(
                "UPDATE app_users SET last_login_at = ? WHERE user_id = ?", [moment, user.user_id]
            )
            self.throttle.record(username, client, succeeded=True, now=moment)
            self.audit.append(
                actor=user.actor().audit_name,
                action="login",
                target="app_sessions",
                details={"role": user.role.value},
                occurred_at=moment,
            )
        return SignedIn(token, user.actor(), self.csrf_token(token), expires_at)

    def resolve(self, token: str, *, now: dt.datetime | None = None) -> Actor | None:
        """The actor of a live session, or None when the token is unknown, ended or expired."""
        if not token:
            return None
        moment = now or dt.datetime.now(dt.UTC)
        row = self.engine.fetch_one(
            "SELECT s.user_id, s.expires_at, s.last_seen_at, s.revoked_at, u.disabled "
            "FROM app_sessions s JOIN app_users u ON u.user_id = s.user_id "
            "WHERE s.token_hash = ?",
            [_token_hash(token)],
        )
        if row is None:
            return None
        user_id, expires_at, last_seen_at, revoked_at, disabled = row
        expires_at, last_seen_at = _aware(expires_at), _aware(last_seen_at)
        if revoked_at is not None or disabled or moment >= expires_at:
            return None
        if moment - last_seen_at >= self.idle:
            return None
        if moment - last_seen_at >= _TOUCH_EVERY:
            self.engine.execute(
                "UPDATE app_sessions SET last_seen_at = ? WHERE token_hash = ?",
                [moment, _token_hash(token)],
            )
        user = self.users.get_by_id(str(user_id))
        return user.actor() if user is not None else None

    def sign_out(self, token: str, *, now: dt.datetime | None = None) -> None:
        """End the session of `token` (nothing happens for an unknown token)."""
        moment = now or dt.datetime.now(dt.UTC)
        row = self.engine.fetch_one(
            "SELECT user_id FROM app_sessions WHERE token_hash = ? AND revoked_at IS NULL",
            [_token_hash(token)],
        )
        if row is None:
            return
        with self.audit.transaction():
            self.engine.execute(
                "UPDATE app_sessions SET revoked_at = ? WHERE token_hash = ?",
                [moment, _token_hash(token)],
            )
            self.audit.append(
                actor=f"user:{row[0]}",
                action="logout",
                target="app_sessions",
                details={},
                occurred_at=moment,
            )

    def csrf_token(self, token: str) -> str:
        """The CSRF token that goes with session `token`."""
        return hmac.new(self._csrf_key, token.encode(), hashlib.sha256).hexdigest()

    def csrf_matches(self, token: str, presented: str | None) -> bool:
        """Whether `presented` is the CSRF token of session `token` (constant time)."""
        return bool(presented) and hmac.compare_digest(self.csrf_token(token), presented or "")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
