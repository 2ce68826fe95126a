"""Shared fixtures: a fresh engine of each kind, and `engine` parametrised over both.

PostgreSQL tests use ``LEARNLEDGER_TEST_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``), each in a schema of its own that is dropped
afterwards. When the server cannot be reached they are skipped, except under ``CI=true``, where
they fail: CI must never pass by skipping them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from learnledger.storage.duckdb_engine import DuckDBEngine
from learnledger.storage.engine import Engine
from learnledger.storage.postgres_engine import PostgresEngine, mask_password

POSTGRES_URL_ENV = "LEARNLEDGER_TEST_POSTGRES_URL"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True, scope="session")
def _test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Settings every test (and every module- or session-scoped fixture) starts from:
    commands that need the secret key create its file in a temporary directory, never in the
    working directory, and apps under test neither enforce retention on a schedule nor warm
    page caches in the background unless a test turns it on."""
    key_file = tmp_path_factory.getbasetemp() / "learnledger-test.key"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEARNLEDGER_SECRET_KEY_FILE", str(key_file))
        patch.setenv("LEARNLEDGER_RETENTION_SCHEDULE_HOURS", "0")
        patch.setenv("LEARNLEDGER_CACHE_WARM_SECONDS", "0")
        yield


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def url_with_schema(url: str, schema: str) -> str:
    """`url` with its ``schema`` query parameter set to `schema`."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "schema"] + [("schema", schema)]
    return urlunsplit(parts._replace(query=urlencode(query)))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the test PostgreSQL server (without a schema); skip, or fail in CI, if it is down."""
    url = os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL)
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL unreachable at {mask_password(url)} (${POSTGRES_URL_ENV}): {exc}"
        if _in_ci():
            pytest.fail(reason + " -- PostgreSQL tests must run in CI", pytrace=False)
        pytest.skip(reason)
    return url


@pytest.fixture
def duckdb_engine() -> Iterator[DuckDBEngine]:
    """A fresh in-memory DuckDB engine."""
    engine = DuckDBEngine("duckdb:///:memory:")
    try:
        yield engine
    finally:
        engine.close()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[PostgresEngine]:
    """A PostgreSQL engine on a fresh schema, dropped after the test."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    engine = PostgresEngine(url_with_schema(postgres_url, schema))
    try:
        yield engine
    finally:
        engine.close()
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture(
    params=[
        pytest.param("duckdb", id="duckdb"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def engine(request: pytest.FixtureRequest) -> Engine:
    """A fresh engine of each kind in turn (DuckDB in memory, PostgreSQL in its own schema)."""
    fixture: Engine = request.getfixturevalue(f"{request.param}_engine")
    return fixture
