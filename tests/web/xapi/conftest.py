"""Fixtures of the xAPI HTTP tests: a migrated LRS database with one credential per scope set
(made once per session, copied per test: argon2 hashing and migrations are slow), and
clients on it."""

from __future__ import annotations

import base64
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from argon2 import PasswordHasher
from psycopg import sql
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.lrs.credentials import CredentialStore
from learnledger.storage import Migrator, open_engine
from learnledger.web.app import create_app

#: Scope sets with a credential each, by a short name.
SCOPE_SETS = {
    "all": ("all",),
    "read": ("all/read",),
    "write": ("statements/write",),
    "statements_read": ("statements/read",),
    "mine": ("statements/write", "statements/read/mine"),
    "mine_too": ("statements/write", "statements/read/mine"),
    "state": ("state",),
}

#: argon2id at a low cost: verifying the real cost takes ~0.1 s per test client.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def basic(key: str, secret: str) -> str:
    """An HTTP Basic Authorization header value."""
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@dataclass
class LRS:
    """A migrated database and its credentials; `client` opens the app on it."""

    url: str
    credentials: dict[str, tuple[str, str]]

    def auth(self, scopes: str = "all") -> str:
        """The Authorization header of the credential of scope set `scopes`."""
        return basic(*self.credentials[scopes])

    @contextmanager
    def client(
        self, scopes: str | None = "all", version: str | None = "2.0.0", **settings: Any
    ) -> Iterator[TestClient]:
        """A TestClient sending the version header and credential (None: leave it out)."""
        headers = {}
        if version is not None:
            headers["X-Experience-API-Version"] = version
        if scopes is not None:
            headers["Authorization"] = self.auth(scopes)
        app = create_app(Settings(database_url=self.url, **settings))
        with TestClient(app, headers=headers) as client:
            yield client


def _prepare(url: str) -> dict[str, tuple[str, str]]:
    with open_engine(url) as engine:
        Migrator(engine).migrate()
        store = CredentialStore(engine, hasher=CHEAP_HASHER)
        return {
            name: store.add(f"test {name}", scopes, home_page="http://testserver/xapi")
            for name, scopes in SCOPE_SETS.items()
        }


@pytest.fixture(scope="session")
def lrs_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A migrated DuckDB file with the credentials, made once per session."""
    path = tmp_path_factory.mktemp("lrs-template") / "lrs.duckdb"
    return path, _prepare(f"duckdb:///{path}")


@pytest.fixture
def lrs(lrs_template: tuple[Path, dict[str, Any]], tmp_path: Path) -> LRS:
    """A fresh copy of the template LRS database (DuckDB)."""
    path, credentials = lrs_template
    copy = tmp_path / "lrs.duckdb"
    shutil.copyfile(path, copy)
    return LRS(f"duckdb:///{copy}", credentials)


@pytest.fixture
def postgres_lrs(postgres_url: str) -> Iterator[LRS]:
    """An LRS database in a fresh PostgreSQL schema, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    parts = urlsplit(postgres_url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"] + [("schema", schema)]
    url = urlunsplit(parts._replace(query=urlencode(query)))
    try:
        yield LRS(url, _prepare(url))
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def any_lrs(request: pytest.FixtureRequest) -> LRS:
    """The LRS on each engine in turn."""
    fixture: LRS = request.getfixturevalue("lrs" if request.param == "duckdb" else "postgres_lrs")
    return fixture
