"""Stores for the insights tests: the committed OULAD cut on either engine, and a small demo
organisation (built once per session) with early-warning models trained on it."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from learnledger.config import Settings
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import record_consent
from learnledger.governance.keys import KeyRing, load_key_ring
from learnledger.ingest import MAPPINGS_DIR, DataSource, Importer, SourceRegistry
from learnledger.insights.early_warning.training import TrainingRequest, train_models
from learnledger.storage import Migrator, open_engine
from learnledger.storage.engine import Engine

OULAD_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "oulad"
SECRET = "insights-tests-secret-key-0123456789"
#: The demo's cohorts start through its year; enrolments whose day 0 is on or after this
#: date are the held-out later cohorts.
DEMO_DAYS = (0, 14, 28, 56)


@pytest.fixture
def oulad_store(engine: Engine) -> Engine:
    """`engine` (both kinds) holding the committed OULAD cut, imported with its mapping."""
    Migrator(engine).migrate()
    SourceRegistry(engine).add(
        DataSource("oulad", "OULAD", "lms", "Learning analytics", "tests", "legitimate_interest")
    )
    report = Importer(engine).run(OULAD_FIXTURE, MAPPINGS_DIR / "oulad.yml")
    assert report.status == "succeeded"
    return engine


@pytest.fixture(scope="session")
def demo_copy(tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Settings]:
    """Returns settings of a fresh copy of a 300-person, 12-month demo (seed 11)."""
    built = tmp_path_factory.mktemp("risk-demo") / "demo.duckdb"
    rebuild_demo(f"duckdb:///{built}", DemoRequest(people=300, months=12, seed=11))

    def copy() -> Settings:
        folder = tmp_path_factory.mktemp("risk-demo-copy")
        shutil.copyfile(built, folder / "demo.duckdb")
        return Settings(
            database_url=f"duckdb:///{folder / 'demo.duckdb'}",
            secret_key=SECRET,
            min_group_size=5,
            login_max_failures=50,
        )

    return copy


def rising_candidate(engine: Engine, risks: dict[str, Any]) -> tuple[Any, tuple[Any, ...]]:
    """A scored enrolment whose risk extra activity could lower (the least risky above 0.3,
    else the riskiest) and its (registration, person, day 0, course activity id)."""
    target = min(
        (r for r in risks.values() if r.probability > 0.3),
        key=lambda r: r.probability,
        default=max(risks.values(), key=lambda r: r.probability),
    )
    row = engine.fetch_one(
        "SELECT e.registration, e.person_id, "
        "COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)), c.xapi_activity_id "
        "FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
        "LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id WHERE e.enrolment_id = ?",
        [target.enrolment_id],
    )
    assert row is not None
    return target, row


def withdraw_analytics(engine: Engine, keys: KeyRing, person: str) -> None:
    """Record that `person` withdrew analytics consent a minute ago."""
    record_consent(
        engine,
        AuditLog(engine, keys),
        cli_actor("tests"),
        person_id=person,
        purpose="analytics",
        status="withdrawn",
        recorded_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1),
    )


def demo_split(engine: Engine) -> dt.date:
    """A split date that leaves the demo's later half of course starts for testing."""
    rows = engine.fetch_all(
        "SELECT DISTINCT COALESCE(co.start_date, CAST(e.enrolled_at AS DATE)) AS d "
        "FROM enrolments e LEFT JOIN cohorts co ON co.cohort_id = e.cohort_id ORDER BY d"
    )
    return rows[len(rows) // 2][0]  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def trained_demo(demo_copy: Callable[[], Settings]) -> Callable[[], Settings]:
    """Returns settings of a fresh copy of the demo with completion models trained (once)."""
    settings = demo_copy()
    with open_engine(settings.database_url) as engine:
        Migrator(engine).migrate()
        train_models(
            engine,
            load_key_ring(settings),
            TrainingRequest(days=DEMO_DAYS, test_from=demo_split(engine)),
            trained_by="tests",
        )
    source = Path(settings.database_url.removeprefix("duckdb:///"))

    def copy() -> Settings:
        fresh = demo_copy()
        shutil.copyfile(source, Path(fresh.database_url.removeprefix("duckdb:///")))
        return fresh

    return copy


@pytest.fixture(scope="session")
def oulad_duckdb_reference() -> dict[int, tuple[list[str], Any]]:
    """Feature matrices of the OULAD cut at days 0, 28 and 140, computed on in-memory DuckDB."""
    from learnledger.insights.early_warning.features import enrolment_features

    result = {}
    with open_engine("duckdb://") as engine:
        Migrator(engine).migrate()
        SourceRegistry(engine).add(
            DataSource("oulad", "OULAD", "lms", "Learning analytics", "t", "legitimate_interest")
        )
        Importer(engine).run(OULAD_FIXTURE, MAPPINGS_DIR / "oulad.yml")
        for day in (0, 28, 140):
            frame = enrolment_features(engine, day)
            result[day] = (frame.enrolment_ids, frame.matrix)
    return result
