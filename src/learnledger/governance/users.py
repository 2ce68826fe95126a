"""Users of the web app and its API: add, list, disable, change role and scope, passwords.

Each role has a scope it applies to: a manager sees an org unit's subtree, a programme owner
their programmes, a learner their own person; the other roles are organisation-wide. Every
change is written to the audit log; passwords are stored only as argon2id hashes.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import orjson

from learnledger.errors import ConflictError, NotFoundError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.passwords import hash_password
from learnledger.storage.engine import Engine

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{1,63}")
_COLUMNS = (
    "user_id, username, password_hash, role, org_unit_id, person_id, programme_ids, disabled, "
    "created_at, updated_at, last_login_at"
)


@dataclass(frozen=True)
class Scope:
    """What a role applies to: an org unit subtree, programmes, or the user's own person."""

    org_unit_id: str | None = None
    person_id: str | None = None
    programme_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class User:
    """A stored user (the password hash stays in the directory)."""

    user_id: str
    username: str
    role: Role
    scope: Scope
    disabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime | None
    last_login_at: dt.datetime | None

    def actor(self) -> Actor:
        """The actor this user acts as."""
        return Actor(
            user_id=self.user_id,
            role=self.role,
            org_unit_id=self.scope.org_unit_id,
            person_id=self.scope.person_id,
            programme_ids=frozenset(self.scope.programme_ids),
        )


def normalise_username(username: str) -> str:
    """The stored form of a username (trimmed, lower case); raise ValidationError if malformed."""
    name = username.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise ValidationError(
            "username",
            f"{username!r} must be 2-64 characters of letters, digits and . _ @ + -, "
            "starting with a letter or digit",
        )
    return name


def parse_role(value: str) -> Role:
    """The Role called `value`; raise ValidationError listing the roles otherwise."""
    try:
        return Role(value.strip().lower().replace("-", "_"))
    except ValueError:
        raise ValidationError(
            "role", f"{value!r} is not one of {', '.join(r.value for r in Role)}"
        ) from None


class UserDirectory:
    """Stores and changes users in ``app_users``; each change is audited."""

    def __init__(self, engine: Engine, audit: AuditLog) -> None:
        self.engine = engine
        self.audit = audit

    def add(self, username: str, password: str, role: Role, scope: Scope, *, actor: str) -> User:
        """Create a user; raise ConflictError when the username is taken."""
        name = normalise_username(username)
        self._check_scope(role, scope)
        password_hash = hash_password(password)
        now = dt.datetime.now(dt.UTC)
        user_id = "U" + uuid.uuid4().hex[:12].upper()
        with self.audit.transaction():
            if self._row("username", name) is not None:
                raise ConflictError(f"a user called {name!r} already exists")
            self.engine.execute(
                f"INSERT INTO app_users ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    user_id,
                    name,
                    password_hash,
                    role.value,
                    scope.org_unit_id,
                    scope.person_id,
                    orjson.dumps(list(scope.programme_ids)).decode(),
                    False,
                    now,
                    None,
                    None,
                ],
            )
            self.audit.append(
                actor=actor,
                action="user_added",
                target="app_users",
                details={"user_id": user_id, "role": role.value, **_scope_details(scope)},
            )
        return self.get(name)

    def get(self, username: str) -> User:
        """The user called `username`; raise NotFoundError when there is none."""
        row = self._row("username", normalise_username(username))
        if row is None:
            raise NotFoundError(f"no user called {username.strip().lower()!r}")
        return _user(row)

    def get_by_id(self, user_id: str) -> User | None:
        """The user with `user_id`, or None."""
        row = self._row("user_id", user_id)
        return _user(row) if row is not None else None

    def password_hash(self, username: str) -> tuple[User, str] | None:
        """The user called `username` and their password hash, or None when unknown."""
        try:
            name = normalise_username(username)
        except ValidationError:
            return None
        row = self._row("username", name)
        return (_user(row), str(row[2])) if row is not None else None

    def list(self, *, include_disabled: bool = True) -> list[User]:
        """Every user, by username."""
        rows = self.engine.fetch_all(f"SELECT {_COLUMNS} FROM app_users ORDER BY username")
        users = [_user(row) for row in rows]
        return [u for u in users if include_disabled or not u.disabled]

    def set_disabled(self, username: str, disabled: bool, *, actor: str) -> User:
        """Disable (or re-enable) a user; disabling also ends their sessions."""
        user = self.get(username)
        now = dt.datetime.now(dt.UTC)
        with self.audit.transaction():
            self.engine.execute(
                "UPDATE app_users SET disabled = ?, updated_at = ? WHERE user_id = ?",
                [disabled, now, user.user_id],
            )
            if disabled:
                self._end_sessions(user.user_id, now)
            self.audit.append(
                actor=actor,
                action="user_disabled" if disabled else "user_enabled",
                target="app_users",
                details={"user_id": user.user_id},
            )
        return self.get(username)

    def set_role(self, username: str, role: Role, scope: Scope, *, actor: str) -> User:
        """Give a user a new role and scope; their open sessions end (they sign in again)."""
        user = self.get(username)
        self._check_scope(role, scope)
        now = dt.datetime.now(dt.UTC)
        with self.audit.transaction():
            self.engine.execute(
                "UPDATE app_users SET role = ?, org_unit_id = ?, person_id = ?, "
                "programme_ids = ?, updated_at = ? WHERE user_id = ?",
                [
                    role.value,
                    scope.org_unit_id,
                    scope.person_id,
                    orjson.dumps(list(scope.programme_ids)).decode(),
                    now,
                    user.user_id,
                ],
            )
            self._end_sessions(user.user_id, now)
            self.audit.append(
                actor=actor,
                action="user_role_changed",
                target="app_users",
                details={
                    "user_id": user.user_id,
                    "from_role": user.role.value,
                    "role": role.value,
                    **_scope_details(scope),
                },
            )
        return self.get(username)

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        """Replace a user's password; their open sessions end."""
        user = self.get(username)
        password_hash = hash_password(password)
        now = dt.datetime.now(dt.UTC)
        with self.audit.transaction():
            self.engine.execute(
                "UPDATE app_users SET password_hash = ?, updated_at = ? WHERE user_id = ?",
                [password_hash, now, user.user_id],
            )
            self._end_sessions(user.user_id, now)
            self.audit.append(
                actor=actor,
                action="user_password_changed",
                target="app_users",
                details={"user_id": user.user_id},
            )

    def replace_hash(self, user_id: str, password_hash: str) -> None:
        """Store a re-made hash of the same password (stronger parameters); not audited."""
        self.engine.execute(
            "UPDATE app_users SET password_hash = ? WHERE user_id = ?", [password_hash, user_id]
        )

    def _end_sessions(self, user_id: str, now: dt.datetime) -> None:
        self.engine.execute(
            "UPDATE app_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            [now, user_id],
        )

    def _row(self, column: str, value: str) -> tuple[object, ...] | None:
        return self.engine.fetch_one(
            f"SELECT {_COLUMNS} FROM app_users WHERE {column} = ?", [value]
        )

    def _check_scope(self, role: Role, scope: Scope) -> None:
        if role is Role.MANAGER and not scope.org_unit_id:
            raise ValidationError("org_unit_id", "a manager needs the org unit they manage")
        if role is not Role.MANAGER and scope.org_unit_id:
            raise ValidationError("org_unit_id", "only a manager has an org unit scope")
        if role is Role.LEARNER and not scope.person_id:
            raise ValidationError("person_id", "a learner needs the person they are")
        if role is Role.PROGRAMME_OWNER and not scope.programme_ids:
            raise ValidationError("programme_ids", "a programme owner needs their programmes")
        if role is not Role.PROGRAMME_OWNER and scope.programme_ids:
            raise ValidationError("programme_ids", "only a programme owner owns programmes")
        if scope.org_unit_id:
            self._require("org_units", "org_unit_id", [scope.org_unit_id])
        if scope.person_id:
            self._require("people", "person_id", [scope.person_id])
        self._require("programmes", "programme_id", scope.programme_ids)

    def _require(self, table: str, column: str, values: Iterable[str]) -> None:
        for value in values:
            if self.engine.fetch_one(f"SELECT 1 FROM {table} WHERE {column} = ?", [value]) is None:
                raise NotFoundError(f"{column} {value!r} is not in {table}")


def _scope_details(scope: Scope) -> dict[str, object]:
    details: dict[str, object] = {}
    if scope.org_unit_id:
        details["org_unit_id"] = scope.org_unit_id
    if scope.person_id:
        details["person_id"] = scope.person_id
    if scope.programme_ids:
        details["programme_ids"] = list(scope.programme_ids)
    return details


def _user(row: tuple[object, ...]) -> User:
    programmes = row[6]
    programme_ids = orjson.loads(str(programmes)) if programmes else []
    return User(
        user_id=str(row[0]),
        username=str(row[1]),
        role=Role(str(row[3])),
        scope=Scope(
            org_unit_id=str(row[4]) if row[4] is not None else None,
            person_id=str(row[5]) if row[5] is not None else None,
            programme_ids=tuple(programme_ids),
        ),
        disabled=bool(row[7]),
        created_at=row[8],  # type: ignore[arg-type]
        updated_at=row[9],  # type: ignore[arg-type]
        last_login_at=row[10],  # type: ignore[arg-type]
    )
