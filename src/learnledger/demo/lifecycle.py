"""Whether a database may hold the demo, and (re)building it there.

A database is a *demo database* when the ground truth JSON the demo writes sits beside it (or, for
PostgreSQL and in-memory DuckDB, in the working directory). Rebuilding a demo database is safe;
replacing other data needs an explicit `force` from the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.demo.builder import ProgressCallback, build_demo
from learnledger.demo.ground_truth import ground_truth_path_for, write_ground_truth
from learnledger.errors import ConfigError
from learnledger.storage import Engine, Migrator, open_engine

DEMO_URL_SCHEMES = ("duckdb://", "postgresql://", "postgres://")
_DATA_TABLES = ("people", "xapi_statements", "programmes", "enrolments")


class DemoState(Enum):
    """What the target database holds now."""

    EMPTY = "empty"
    SAME_DEMO = "same_demo"
    OTHER_DEMO = "other_demo"
    FOREIGN_DATA = "foreign_data"


@dataclass(frozen=True)
class DemoRequest:
    """The knobs of a demo build."""

    people: int
    months: int
    seed: int


@dataclass(frozen=True)
class DemoBuildResult:
    """What a build produced."""

    people: int
    statements: int
    programmes: int
    ground_truth_path: Path


def duckdb_file(url: str) -> Path | None:
    """The database file of a DuckDB URL, or None for in-memory DuckDB and other engines."""
    if not url.startswith("duckdb://"):
        return None
    path = url.removeprefix("duckdb://").removeprefix("/")
    if path in ("", ":memory:") or path.startswith(":memory:"):
        return None
    return Path(path)


def truth_path(url: str) -> Path:
    """Where the ground truth of a demo in `url` is written."""
    database = duckdb_file(url)
    return ground_truth_path_for(database if database else Path("learnledger.duckdb"))


def _has_data(engine: Engine) -> bool:
    present = engine.table_names()
    for table in _DATA_TABLES:
        if table in present and engine.fetch_one(f'SELECT 1 FROM "{table}" LIMIT 1'):
            return True
    return False


def _recorded_request(path: Path) -> DemoRequest | None:
    try:
        knobs = json.loads(path.read_text(encoding="utf-8"))["knobs"]
        return DemoRequest(people=knobs["people"], months=knobs["months"], seed=knobs["seed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def inspect_demo(url: str, request: DemoRequest) -> DemoState:
    """Classify the database at `url` for a demo build with `request`."""
    if not url.startswith(DEMO_URL_SCHEMES):
        raise ConfigError(f"unsupported database URL for the demo: {url.split(':', 1)[0]}")
    database = duckdb_file(url)
    if database is not None and not database.exists():
        return DemoState.EMPTY
    with open_engine(url) as engine:
        if not _has_data(engine):
            return DemoState.EMPTY
        pending = [s for s in Migrator(engine, MIGRATIONS).status() if s.state != "applied"]
    recorded = _recorded_request(truth_path(url))
    if recorded is None:
        return DemoState.FOREIGN_DATA
    if recorded == request and not pending:
        return DemoState.SAME_DEMO
    return DemoState.OTHER_DEMO


def _drop_model_tables(engine: Engine) -> None:
    model_tables = {*current_entities(), "schema_migrations"}
    for table in sorted(engine.table_names() & model_tables):
        engine.execute(f'DROP TABLE "{table}"')


def rebuild_demo(
    url: str, request: DemoRequest, *, progress: ProgressCallback | None = None
) -> DemoBuildResult:
    """Replace whatever `url` holds with a freshly built demo and write its ground truth."""
    database = duckdb_file(url)
    path = truth_path(url)
    path.unlink(missing_ok=True)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
        for stale in (database, database.with_name(database.name + ".wal")):
            stale.unlink(missing_ok=True)
    with open_engine(url) as engine:
        if database is None:
            _drop_model_tables(engine)
        Migrator(engine, MIGRATIONS).migrate()
        summary = build_demo(
            engine,
            people=request.people,
            months=request.months,
            seed=request.seed,
            progress=progress,
        )
    write_ground_truth(summary.ground_truth, path)
    return DemoBuildResult(
        people=summary.counts["people"],
        statements=summary.counts["xapi_statements"],
        programmes=summary.counts["programmes"],
        ground_truth_path=path,
    )
