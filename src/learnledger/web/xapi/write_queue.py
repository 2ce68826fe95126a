"""Gathers the small statement writes of concurrent requests on the event loop.

Each small write used to take a worker thread of its own for its whole wait on the group
commit: a thread hand-off per request, a thread woken per request per commit, and groups
capped by the thread pool (40 threads: never more than 40 single statements a commit).
`WriteQueue` keeps the waiting requests on the event loop instead: while one group is being
validated and committed in a worker thread, the writes that arrive queue here, and the next
thread call takes all of them (`StatementStore.store_many`). One thread hand-off per group;
the group grows with the number of clients waiting, not with the size of the thread pool.

Like `GroupCommitter`, the queue lingers a little before it takes a group when fewer writes
wait than the largest of the last few groups (at most half the last group's store time, at
most `LINGER` seconds): the clients answered just before are sending their next writes, and
with few clients (eight, say) a group of all of them costs much less per statement than two
half groups.

A request still gets its answer only once its write is committed (or rejected on its own);
large batches do not come here (their validation and row building run in their own worker
threads while a group commits, see `StatementStore.store`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import anyio.to_thread

from learnledger.lrs.statement_store import StatementStore, StatementWrite

#: Writes of fewer statements than this go through the queue.
SMALL_WRITE = 16
#: The longest wait for more writes before a group is taken (seconds).
LINGER = 0.05
#: Groups over which the largest group size is remembered (the lingering's target).
SIZE_WINDOW = 4


class WriteQueue:
    """The queue of small writes waiting for their group (one per `StatementStore`)."""

    def __init__(self, store: StatementStore) -> None:
        self._store = store
        self._waiting: list[tuple[StatementWrite, asyncio.Future[list[str]]]] = []
        self._draining = False
        self._sizes: deque[int] = deque(maxlen=SIZE_WINDOW)  # of the last groups
        self._last_store = 0.0  # seconds the last group's `store_many` took
        self._target = 0  # lingering ends once this many writes wait
        self._enough = asyncio.Event()
        self._drainer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop the state belongs to

    async def store(self, write: StatementWrite) -> list[str]:
        """Store `write` with the others queued meanwhile; its statement ids, or the error
        `StatementStore.store` would raise for it."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._bind(loop)
        future: asyncio.Future[list[str]] = loop.create_future()
        self._waiting.append((write, future))
        if len(self._waiting) >= self._target:
            self._enough.set()
        if not self._draining:
            self._draining = True
            # Kept: the event loop holds only weak references to its tasks.
            self._drainer = loop.create_task(self._drain())
        return await future

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start afresh on `loop`: the app is served on another event loop than before (a new
        server or test client in the same process). An asyncio event belongs to the loop that
        first waited on it, and what was queued on the old loop can no longer be answered."""
        self._loop = loop
        self._enough = asyncio.Event()
        self._waiting = []
        self._draining = False
        self._target = 0
        self._drainer = None

    async def _drain(self) -> None:
        """Hand the queued writes to the store, a group per thread call, until none wait."""
        group: list[tuple[StatementWrite, asyncio.Future[list[str]]]] = []
        try:
            while self._waiting:
                await self._linger()
                group, self._waiting = self._waiting, []
                began = time.monotonic()
                try:
                    results = await anyio.to_thread.run_sync(
                        self._store.store_many, [write for write, _ in group]
                    )
                except Exception as exc:  # not one write's own error: every write gets it
                    results = [exc] * len(group)
                self._last_store = time.monotonic() - began
                self._sizes.append(len(group))
                for (_, future), result in zip(group, results, strict=True):
                    if future.done():  # the request was cancelled (its client went away)
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self._draining = False
            self._target = 0
            # Only when the loop above was cancelled (shutdown): no answer for these.
            for _, future in [*group, *self._waiting]:
                if not future.done():
                    future.cancel()
            self._waiting = []

    async def _linger(self) -> None:
        """Wait until as many writes wait as the largest of the last groups had, for at
        most half the last group's store time and at most `LINGER` seconds."""
        target = max(self._sizes, default=1)
        if len(self._waiting) >= target:
            return
        self._target = target
        self._enough.clear()
        try:
            await asyncio.wait_for(self._enough.wait(), min(LINGER, self._last_store / 2))
        except TimeoutError:
            pass
        finally:
            self._target = 0
