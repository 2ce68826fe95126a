"""Credentials on both engines: secrets shown once and hashed, scopes, revoke, authenticate."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from learnledger.core.xapi import validate_authority
from learnledger.errors import AuthenticationError, NotFoundError, ValidationError
from learnledger.lrs.credentials import (
    SCOPES,
    Credential,
    CredentialStore,
    anonymous_credential,
    parse_scopes,
)
from learnledger.storage import Migrator
from learnledger.storage.engine import Engine

HOME = "https://lrs.example.com/xapi"


@pytest.fixture
def credentials(engine: Engine) -> CredentialStore:
    Migrator(engine).migrate()
    return CredentialStore(engine, hasher=PasswordHasher(time_cost=1, memory_cost=1024))


def test_add_returns_a_secret_that_is_stored_only_as_an_argon2id_hash(
    credentials: CredentialStore,
) -> None:
    key, secret = credentials.add("Moodle", ["statements/write"], home_page=HOME)
    row = credentials.engine.fetch_one(
        "SELECT secret_hash, scopes FROM lrs_credentials WHERE credential_key = ?", [key]
    )
    assert row is not None
    assert row[0].startswith("$argon2id$")
    assert secret not in row[0]
    assert row[1] == "statements/write"


def test_authenticate_gives_scopes_and_an_authority_agent(credentials: CredentialStore) -> None:
    key, secret = credentials.add("Moodle", ["all", "state"], home_page=HOME)
    credential = credentials.authenticate(key, secret)
    assert credential.key == key
    assert credential.name == "Moodle"
    assert credential.scopes == {"all", "state"}
    assert credential.authority == {
        "objectType": "Agent",
        "name": "Moodle",
        "account": {"homePage": HOME, "name": key},
    }
    validate_authority(credential.authority)


def test_wrong_secret_unknown_key_and_revoked_credentials_fail(
    credentials: CredentialStore,
) -> None:
    key, secret = credentials.add("LMS", ["all"])
    with pytest.raises(AuthenticationError):
        credentials.authenticate(key, secret + "x")
    with pytest.raises(AuthenticationError):
        credentials.authenticate("nobody", secret)
    credentials.authenticate(key, secret)  # now remembered
    credentials.revoke(key)
    with pytest.raises(AuthenticationError):
        credentials.authenticate(key, secret)
    with pytest.raises(NotFoundError):
        credentials.revoke(key)


def test_a_revocation_by_another_store_is_seen_after_the_cache(
    credentials: CredentialStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    key, secret = credentials.add("LMS", ["all"])
    credentials.authenticate(key, secret)
    CredentialStore(credentials.engine).revoke(key)
    credentials.authenticate(key, secret)  # still remembered in this store
    monkeypatch.setattr("learnledger.lrs.credentials.CACHE_SECONDS", -1.0)
    fresh = CredentialStore(credentials.engine)
    with pytest.raises(AuthenticationError):
        fresh.authenticate(key, secret)


def test_list_shows_credentials_without_secrets(credentials: CredentialStore) -> None:
    first, _ = credentials.add("A", ["all/read"])
    second, _ = credentials.add("B", ["statements/read/mine", "statements/write"])
    credentials.revoke(first)
    listed = {info.key: info for info in credentials.list()}
    assert listed[first].revoked_at is not None
    assert listed[second].scopes == ("statements/write", "statements/read/mine")
    assert listed[second].revoked_at is None


@pytest.mark.parametrize(
    ("scopes", "reason"),
    [
        ([], "at least one"),
        (["everything"], "unknown scope"),
        (["all", "Statements/Write"], "Write"),
    ],
)
def test_scopes_are_checked(scopes: list[str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        parse_scopes(scopes)


def test_an_empty_name_is_rejected(credentials: CredentialStore) -> None:
    with pytest.raises(ValidationError, match="name"):
        credentials.add("  ", ["all"])


def credential(*scopes: str) -> Credential:
    return Credential("k", "n", frozenset(scopes), {})


@pytest.mark.parametrize(
    ("held", "scope", "read", "allowed"),
    [
        (("all",), "statements/write", False, True),
        (("all",), "state", False, True),
        (("all/read",), "statements/read", True, True),
        (("all/read",), "state", True, True),
        (("all/read",), "state", False, False),
        (("all/read",), "statements/write", False, False),
        (("statements/read/mine",), "statements/read", True, True),
        (("statements/read",), "statements/write", False, False),
        (("statements/write",), "statements/read", True, False),
        (("state",), "state", False, True),
        (("state",), "profile", False, False),
        (("profile",), "profile", True, True),
        (("define",), "define", False, True),
    ],
)
def test_scope_rules(held: tuple[str, ...], scope: str, read: bool, allowed: bool) -> None:
    assert credential(*held).allows(scope, read=read) is allowed


def test_read_mine_only_restricts_when_no_broader_read_scope_is_held() -> None:
    assert credential("statements/read/mine").mine_only
    assert not credential("statements/read/mine", "statements/read").mine_only
    assert not credential("statements/read/mine", "all/read").mine_only
    assert not credential("all").mine_only


def test_the_anonymous_credential_has_every_scope_and_a_valid_authority() -> None:
    anonymous = anonymous_credential(HOME)
    assert all(anonymous.allows(scope, read=False) for scope in SCOPES)
    validate_authority(anonymous.authority)
