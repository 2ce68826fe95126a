"""Keeps the slowest page's results ready: after new data, the server recomputes the executive
overview (ROI of every programme) in the background instead of on the first visitor's request.

Every `interval` the warmer asks the page cache for the default overview; the cache compares
the data version and recomputes only when the data changed (a few milliseconds otherwise).
Failures are logged (no personal data) and tried again at the next interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from learnledger.web.routes_executive import ExecutiveCache, executive_request

LOG = logging.getLogger(__name__)


def warm_once(app: Starlette) -> None:
    """Bring the executive overview's cache up to the current data version."""
    cache: ExecutiveCache = app.state.executive_cache
    cache.overview(app.state.engine, app.state.settings, executive_request({}))


@dataclass
class WarmerHandle:
    """The running warmer task; `stop` cancels it and waits for it."""

    task: asyncio.Task[None]

    async def stop(self) -> None:
        """Cancel the task (a run in progress finishes in its thread) and wait for it."""
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def start_cache_warmer(app: Starlette, interval: dt.timedelta) -> WarmerHandle:
    """Warm at once, then every `interval`, in the running event loop."""

    async def run_forever() -> None:
        while True:
            try:
                await run_in_threadpool(warm_once, app)
            except Exception:
                LOG.exception("warming the page caches failed; trying again later")
            await asyncio.sleep(interval.total_seconds())

    return WarmerHandle(asyncio.get_running_loop().create_task(run_forever(), name="cache-warmer"))
