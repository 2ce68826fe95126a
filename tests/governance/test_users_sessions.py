"""Users, passwords, sessions, CSRF tokens and sign-in throttling, on both engines."""

from __future__ import annotations

import datetime as dt

import pytest

from learnledger.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    TooManyRequestsError,
    ValidationError,
)
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.governance.sessions import SessionManager
from learnledger.governance.throttle import LoginThrottle
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"users-and-sessions-test-key")
PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(engine: Engine) -> Engine:
    """A migrated engine with an org unit, a person and a programme to scope users to."""
    Migrator(engine).migrate()
    engine.execute("INSERT INTO org_units (org_unit_id, name) VALUES ('OU-1', 'Sales')")
    engine.execute(
        "INSERT INTO people (person_id, hr_id, org_unit_id) VALUES ('P1', 'E-1', 'OU-1')"
    )
    engine.execute("INSERT INTO programmes (programme_id, name) VALUES ('PRG-1', 'Leadership')")
    return engine


@pytest.fixture
def directory(store: Engine) -> UserDirectory:
    """The user directory of `store`."""
    return UserDirectory(store, AuditLog(store, KEYS))


def _sessions(store: Engine, directory: UserDirectory, max_failures: int = 3) -> SessionManager:
    window = dt.timedelta(minutes=15)
    return SessionManager(
        store,
        KEYS,
        users=directory,
        throttle=LoginThrottle(store, KEYS, max_failures=max_failures, window=window),
        audit=directory.audit,
        idle=dt.timedelta(minutes=30),
        max_age=dt.timedelta(hours=12),
    )


def test_users_are_added_with_hashed_passwords_and_audited(
    store: Engine, directory: UserDirectory
) -> None:
    user = directory.add(
        "Ana.Lee", PASSWORD, Role.MANAGER, Scope(org_unit_id="OU-1"), actor="cli:t"
    )
    assert (user.username, user.role, user.scope.org_unit_id) == ("ana.lee", Role.MANAGER, "OU-1")
    stored = store.fetch_one("SELECT password_hash FROM app_users")
    assert stored is not None
    assert stored[0].startswith("$argon2id$")
    assert PASSWORD not in str(store.fetch_all("SELECT * FROM app_users"))
    entries = store.fetch_all("SELECT action, details FROM audit_events ORDER BY seq")
    assert entries[0][0] == "user_added"
    assert "ana.lee" not in entries[0][1]
    with pytest.raises(ConflictError, match="already exists"):
        directory.add("ANA.LEE", PASSWORD, Role.ANALYST, Scope(), actor="cli:t")


@pytest.mark.parametrize(
    ("role", "scope", "field"),
    [
        (Role.MANAGER, Scope(), "org_unit_id"),
        (Role.LEARNER, Scope(), "person_id"),
        (Role.PROGRAMME_OWNER, Scope(), "programme_ids"),
        (Role.ANALYST, Scope(org_unit_id="OU-1"), "org_unit_id"),
        (Role.EXECUTIVE, Scope(programme_ids=("PRG-1",)), "programme_ids"),
    ],
)
def test_each_role_needs_its_scope_and_no_other(
    directory: UserDirectory, role: Role, scope: Scope, field: str
) -> None:
    with pytest.raises(ValidationError, match=field):
        directory.add("bo", PASSWORD, role, scope, actor="cli:t")
    assert directory.list() == []


def test_scope_must_exist_and_passwords_follow_the_policy(directory: UserDirectory) -> None:
    with pytest.raises(NotFoundError, match="OU-404"):
        directory.add("bo", PASSWORD, Role.MANAGER, Scope(org_unit_id="OU-404"), actor="t")
    with pytest.raises(NotFoundError, match="PRG-9"):
        directory.add(
            "bo", PASSWORD, Role.PROGRAMME_OWNER, Scope(programme_ids=("PRG-9",)), actor="t"
        )
    with pytest.raises(ValidationError, match="12 characters"):
        directory.add("bo", "short", Role.ANALYST, Scope(), actor="t")
    with pytest.raises(ValidationError, match="username"):
        directory.add("no spaces allowed", PASSWORD, Role.ANALYST, Scope(), actor="t")


def test_sign_in_resolves_the_session_until_sign_out(
    store: Engine, directory: UserDirectory
) -> None:
    directory.add("ana", PASSWORD, Role.LEARNER, Scope(person_id="P1"), actor="t")
    sessions = _sessions(store, directory)
    signed = sessions.sign_in("Ana", PASSWORD, "10.0.0.1", now=T0)
    assert signed.actor.role is Role.LEARNER
    assert signed.actor.person_id == "P1"
    assert sessions.resolve(signed.token, now=T0 + dt.timedelta(minutes=5)) == signed.actor
    assert store.fetch_one(
        "SELECT count(*) FROM app_sessions WHERE token_hash = ?", [signed.token]
    ) == (0,)
    assert sessions.csrf_matches(signed.token, signed.csrf_token)
    assert not sessions.csrf_matches(signed.token, "0" * 64)
    assert not sessions.csrf_matches(signed.token, None)
    sessions.sign_out(signed.token, now=T0 + dt.timedelta(minutes=6))
    assert sessions.resolve(signed.token, now=T0 + dt.timedelta(minutes=7)) is None
    actions = [r[0] for r in store.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
    assert actions == ["user_added", "login", "logout"]


def test_sessions_end_when_idle_expired_disabled_or_role_changed(
    store: Engine, directory: UserDirectory
) -> None:
    directory.add("ana", PASSWORD, Role.ANALYST, Scope(), actor="t")
    sessions = _sessions(store, directory)
    idle = sessions.sign_in("ana", PASSWORD, "c", now=T0)
    assert sessions.resolve(idle.token, now=T0 + dt.timedelta(minutes=29)) is not None
    assert sessions.resolve(idle.token, now=T0 + dt.timedelta(minutes=58)) is not None
    assert sessions.resolve(idle.token, now=T0 + dt.timedelta(minutes=89)) is None
    busy = sessions.sign_in("ana", PASSWORD, "c", now=T0)
    for minutes in range(20, 12 * 60, 20):
        assert sessions.resolve(busy.token, now=T0 + dt.timedelta(minutes=minutes)) is not None
    assert sessions.resolve(busy.token, now=T0 + dt.timedelta(hours=12)) is None
    now = dt.datetime.now(dt.UTC)
    changed = sessions.sign_in("ana", PASSWORD, "c", now=now)
    directory.set_role("ana", Role.EXECUTIVE, Scope(), actor="t")
    assert sessions.resolve(changed.token, now=now) is None
    disabled = sessions.sign_in("ana", PASSWORD, "c", now=now)
    directory.set_disabled("ana", True, actor="t")
    assert sessions.resolve(disabled.token, now=now) is None
    with pytest.raises(AuthenticationError):
        sessions.sign_in("ana", PASSWORD, "c", now=now)
    assert sessions.resolve("not-a-token", now=now) is None


def test_wrong_passwords_and_unknown_users_fail_alike_and_are_throttled(
    store: Engine, directory: UserDirectory
) -> None:
    directory.add("ana", PASSWORD, Role.ANALYST, Scope(), actor="t")
    sessions = _sessions(store, directory, max_failures=3)
    messages = set()
    for name in ("ana", "nobody"):
        with pytest.raises(AuthenticationError) as caught:
            sessions.sign_in(name, "wrong password!", "10.0.0.9", now=T0)
        messages.add(str(caught.value))
    assert len(messages) == 1
    with pytest.raises(AuthenticationError):
        sessions.sign_in("ana", "wrong password!", "10.0.0.8", now=T0)
    with pytest.raises(AuthenticationError):
        sessions.sign_in("ana", "wrong password!", "10.0.0.7", now=T0)
    # three failures for "ana": even the right password is refused within the window
    with pytest.raises(TooManyRequestsError, match="username"):
        sessions.sign_in("ana", PASSWORD, "10.0.0.6", now=T0 + dt.timedelta(minutes=1))
    assert sessions.sign_in("ana", PASSWORD, "10.0.0.6", now=T0 + dt.timedelta(minutes=16))
    # the client that failed twice gets one more try, then is refused for any username
    with pytest.raises(AuthenticationError):
        sessions.sign_in("zed", "wrong password!", "10.0.0.9", now=T0 + dt.timedelta(minutes=2))
    with pytest.raises(TooManyRequestsError, match="address"):
        sessions.sign_in("ana", PASSWORD, "10.0.0.9", now=T0 + dt.timedelta(minutes=3))
    stored = str(store.fetch_all("SELECT * FROM login_attempts"))
    assert "ana" not in stored
    assert "10.0.0" not in stored
    failed = store.fetch_all(
        "SELECT actor, details FROM audit_events WHERE action = 'login_failed'"
    )
    assert len(failed) == 5
    assert all("nobody" not in d and "zed" not in d for _, d in failed)
