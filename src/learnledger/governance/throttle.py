"""Sign-in throttling: too many failures per username or per client within a window -> 429.

Usernames and client addresses are stored only as keyed fingerprints (``login_attempts``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from learnledger.errors import TooManyRequestsError
from learnledger.governance.keys import KeyRing
from learnledger.storage.engine import Engine

_PURPOSE = "login-throttle"


class LoginThrottle:
    """Counts failed sign-ins per username and per client and refuses when over the limit."""

    def __init__(
        self, engine: Engine, keys: KeyRing, *, max_failures: int, window: dt.timedelta
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.max_failures = max_failures
        self.window = window

    def check(self, username: str, client: str, now: dt.datetime) -> None:
        """Raise TooManyRequestsError when `username` or `client` failed too often lately.

        A success resets the username's count: failures before the last success don't count.
        """
        user_key, client_key = self._keys(username, client)
        since = now - self.window
        for column, key, what in (
            ("username_key", user_key, "this username"),
            ("client_key", client_key, "this address"),
        ):
            failures = self.engine.fetch_one(
                f"SELECT count(*) FROM login_attempts WHERE {column} = ? AND occurred_at > ? "
                "AND NOT succeeded AND occurred_at > coalesce((SELECT max(occurred_at) FROM "
                f"login_attempts WHERE {column} = ? AND succeeded), ?)",
                [key, since, key, since],
            )
            if failures is not None and int(failures[0]) >= self.max_failures:
                minutes = int(self.window.total_seconds() // 60)
                raise TooManyRequestsError(
                    f"too many failed sign-ins for {what}: try again in {minutes} minutes"
                )

    def record(self, username: str, client: str, *, succeeded: bool, now: dt.datetime) -> None:
        """Remember one attempt; attempts older than a day are pruned on the way."""
        user_key, client_key = self._keys(username, client)
        with self.engine.transaction():
            self.engine.execute(
                "INSERT INTO login_attempts (attempt_id, username_key, client_key, succeeded, "
                "occurred_at) VALUES (?, ?, ?, ?, ?)",
                [uuid.uuid4().hex, user_key, client_key, succeeded, now],
            )
            horizon = now - max(self.window, dt.timedelta(days=1))
            self.engine.execute("DELETE FROM login_attempts WHERE occurred_at < ?", [horizon])

    def _keys(self, username: str, client: str) -> tuple[str, str]:
        return (
            self.keys.fingerprint(_PURPOSE, "user:" + username.strip().lower()),
            self.keys.fingerprint(_PURPOSE, "client:" + client),
        )
