"""Fixtures of the demo tests: small demo builds shared by the tests of a session."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pytest

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.core.model.spec import ColumnType
from learnledger.demo import DemoSummary, ProgressCallback, build_demo
from learnledger.storage import Engine, Migrator, open_engine

END_MONTH = date(2025, 6, 1)
SMALL = {"people": 600, "months": 12, "seed": 11}


@dataclass
class Built:
    """An engine holding a demo, and the build's summary."""

    engine: Engine
    summary: DemoSummary


def fresh_engine(url: str = "duckdb:///:memory:") -> Engine:
    """A migrated, empty engine."""
    engine = open_engine(url)
    Migrator(engine, MIGRATIONS).migrate()
    return engine


def build(engine: Engine, progress: ProgressCallback | None = None, **knobs: int) -> DemoSummary:
    """Build a demo with `knobs` (people, months, seed) ending in `END_MONTH`."""
    return build_demo(engine, end_month=END_MONTH, progress=progress, **knobs)


@pytest.fixture(scope="session")
def small_demo() -> Iterator[Built]:
    """A small demo (600 people, 12 months) in in-memory DuckDB, built once per session."""
    engine = fresh_engine()
    try:
        yield Built(engine, build(engine, **SMALL))
    finally:
        engine.close()


@pytest.fixture(scope="session")
def calibration_demo() -> Iterator[Built]:
    """A demo large enough for stable calibration figures (2,500 people, 24 months)."""
    engine = fresh_engine()
    try:
        yield Built(engine, build(engine, people=2500, months=24, seed=7))
    finally:
        engine.close()


def _canonical(value: object, is_json: bool) -> str:
    if value is None:
        return "\\N"
    if is_json:
        text = value if isinstance(value, str) else orjson.dumps(value).decode()
        return orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(round(value, 9))
    return str(value)


def table_fingerprint(engine: Engine, table: str) -> str:
    """Order-independent, engine-independent SHA-256 of a table's rows."""
    entity = current_entities()[table]
    names = engine.column_names(table)
    json_columns = [entity.column(n).type is ColumnType.JSON for n in names]
    rows = sorted(
        "|".join(_canonical(v, j) for v, j in zip(row, json_columns, strict=True))
        for row in engine.fetch_all(f'SELECT * FROM "{table}"')
    )
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def fingerprints(engine: Engine) -> dict[str, str]:
    """Fingerprints of every canonical table."""
    return {name: table_fingerprint(engine, name) for name in sorted(current_entities())}


@pytest.fixture(scope="session")
def fingerprint() -> Callable[[Engine], dict[str, str]]:
    """The function that fingerprints every canonical table of an engine."""
    return fingerprints


@pytest.fixture
def make_demo() -> Iterator[Callable[..., Built]]:
    """A factory: build a demo with the given knobs into a fresh in-memory engine."""
    engines: list[Engine] = []

    def make(
        url: str = "duckdb:///:memory:", progress: ProgressCallback | None = None, **knobs: int
    ) -> Built:
        engine = fresh_engine(url)
        engines.append(engine)
        return Built(engine, build(engine, progress, **knobs))

    yield make
    for engine in engines:
        engine.close()
