"""The retention schedule: one iteration with an injected clock, the asyncio task started and
stopped with an injected sleep (no real waiting), failures logged without stopping it."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import StorageError, ValidationError
from learnledger.governance.keys import KeyRing
from learnledger.governance.retention_schedule import (
    RetentionSchedule,
    ScheduleHandle,
    start_retention_schedule,
)
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"schedule-test-secret-0123456789")
AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
EMAIL = "old.learner@example.com"


@pytest.fixture
def store(engine: Engine) -> Engine:
    """A source keeping enrolments 30 days, with one old and one recent enrolment."""
    Migrator(engine, MIGRATIONS).migrate()
    engine.execute(
        "INSERT INTO data_sources (source_id, name, kind, retention_days) "
        "VALUES ('lms', 'LMS', 'lms', 30)"
    )
    engine.execute("INSERT INTO people (person_id, email) VALUES ('P1', ?)", [EMAIL])
    engine.execute(
        "INSERT INTO courses (course_id, name, delivery_channel) VALUES ('C', 'C', 'video')"
    )
    engine.execute_many(
        "INSERT INTO enrolments (enrolment_id, person_id, course_id, status, enrolled_at, "
        "source_id) VALUES (?, 'P1', 'C', 'enrolled', ?, 'lms')",
        [("E-OLD", datetime(2026, 1, 1, tzinfo=UTC)), ("E-NEW", datetime(2026, 5, 20, tzinfo=UTC))],
    )
    return engine


def test_one_iteration_enforces_as_of_the_clock_and_logs_counts_only(
    store: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    schedule = RetentionSchedule(store, KEYS, clock=lambda: AS_OF)
    with caplog.at_level(logging.INFO, logger="learnledger.governance.retention_schedule"):
        report = schedule.run_once()
    assert report is not None
    assert report.as_of == AS_OF
    assert report.total_rows == 1
    assert {r[0] for r in store.fetch_all("SELECT enrolment_id FROM enrolments")} == {"E-NEW"}
    assert store.fetch_one("SELECT actor, action FROM audit_events") == (
        "system:scheduler",
        "retention_enforced",
    )
    assert "lms/enrolments: 1 rows deleted" in caplog.text
    assert EMAIL not in caplog.text
    assert "P1" not in caplog.text
    assert schedule.run_once() is not None  # nothing left: still a recorded run
    assert schedule.runs == 2
    assert store.fetch_one("SELECT COUNT(*) FROM retention_runs") == (2,)


def test_the_task_runs_at_start_then_sleeps_the_interval_and_stops(store: Engine) -> None:
    slept: list[float] = []

    async def scenario() -> ScheduleHandle:
        sleeping = asyncio.Event()

        async def fake_sleep(seconds: float) -> None:
            slept.append(seconds)
            sleeping.set()
            await asyncio.Event().wait()  # until cancelled

        handle = start_retention_schedule(
            lambda: store, KEYS, timedelta(hours=6), clock=lambda: AS_OF, sleep=fake_sleep
        )
        await sleeping.wait()
        await handle.stop()
        return handle

    handle = asyncio.run(scenario())
    assert handle.task.done()
    assert handle.schedule.runs == 1
    assert slept == [6 * 3600.0]
    assert store.fetch_one("SELECT COUNT(*) FROM enrolments") == (1,)


def test_a_failed_run_is_logged_and_counted_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unavailable() -> Engine:
        raise StorageError("database unreachable")

    schedule = RetentionSchedule(unavailable, KEYS, clock=lambda: AS_OF)
    with caplog.at_level(logging.ERROR, logger="learnledger.governance.retention_schedule"):
        assert schedule.run_once() is None
    assert schedule.failures == 1
    assert "database unreachable" in caplog.text


def test_the_interval_must_be_positive(store: Engine) -> None:
    async def scenario() -> None:
        start_retention_schedule(store, KEYS, timedelta(0))

    with pytest.raises(ValidationError, match="interval"):
        asyncio.run(scenario())
