"""Retention enforcement on a schedule: an asyncio task the web server starts in its lifespan.

The task runs `enforce` once at start and then every `interval` (default: a day), as the
``system:scheduler`` actor, in a worker thread (the engine is synchronous). It logs counts only.
A failed run is logged and retried at the next interval; it never stops the server.

    handle = start_retention_schedule(engine, keys)
    ...
    await handle.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.governance.actors import SCHEDULER
from learnledger.governance.keys import KeyRing
from learnledger.governance.retention import RetentionReport, enforce
from learnledger.storage.engine import Engine

DEFAULT_INTERVAL = dt.timedelta(days=1)

logger = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Sleep = Callable[[float], Awaitable[None]]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class RetentionSchedule:
    """Runs retention enforcement at a fixed interval; `run_once` is one iteration."""

    engine_source: Engine | Callable[[], Engine]
    keys: KeyRing
    interval: dt.timedelta = DEFAULT_INTERVAL
    clock: Clock = _now
    runs: int = 0
    failures: int = 0
    last_report: RetentionReport | None = field(default=None, repr=False)

    def _engine(self) -> Engine:
        source = self.engine_source
        return source if isinstance(source, Engine) else source()

    def run_once(self) -> RetentionReport | None:
        """Enforce retention as of the clock's time; log counts; None when the run failed."""
        try:
            report = enforce(self._engine(), self.keys, SCHEDULER, self.clock())
        except LearnLedgerError as exc:
            self.failures += 1
            logger.error("scheduled retention enforcement failed: %s", exc)
            return None
        self.runs += 1
        self.last_report = report
        logger.info(
            "retention run %s: %d rows deleted or anonymised",
            report.run_id,
            report.total_rows,
        )
        for outcome in report.outcomes:
            if outcome.rows:
                logger.info(
                    "retention %s/%s: %d rows %s",
                    outcome.source_id,
                    outcome.table,
                    outcome.rows,
                    outcome.action,
                )
        return report

    async def run_forever(self, sleep: Sleep = asyncio.sleep) -> None:
        """Run now, then after every `interval`, until cancelled."""
        while True:
            await asyncio.to_thread(self.run_once)
            await sleep(self.interval.total_seconds())


@dataclass
class ScheduleHandle:
    """The running schedule task; `stop` cancels it and waits for it to end."""

    schedule: RetentionSchedule
    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Cancel the task (a run in progress finishes in its thread) and wait for it."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def start_retention_schedule(
    engine: Engine | Callable[[], Engine],
    keys: KeyRing,
    interval: dt.timedelta = DEFAULT_INTERVAL,
    *,
    clock: Clock = _now,
    sleep: Sleep = asyncio.sleep,
) -> ScheduleHandle:
    """Start enforcing retention every `interval` in the running event loop; return the handle.

    `engine` is the engine or a function returning it (e.g. reading ``app.state``). `clock`
    and `sleep` are injectable for tests.
    """
    if interval <= dt.timedelta(0):
        raise ValidationError("interval", "must be positive")
    schedule = RetentionSchedule(engine, keys, interval, clock)
    task = asyncio.get_running_loop().create_task(
        schedule.run_forever(sleep), name="retention-schedule"
    )
    return ScheduleHandle(schedule, task)
