"""Group commit: concurrent writers share one transaction.

A writer queues its `PendingBatch` and takes the engine's commit lock. Whoever holds the lock
commits every batch queued so far in one transaction, so while one transaction runs the
next group gathers, and the number of transactions per second stops limiting throughput
(one transaction per 100-statement request tops out near 15,000 statements/s on DuckDB).

A group that fails as a whole (a storage error) is retried batch by batch, so one bad batch
never fails the others; per-batch outcomes (a conflict) are reported to their own writer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

JsonObject = dict[str, Any]


@dataclass(eq=False)
class PendingBatch:
    """One `StatementStore.store` call waiting for its commit.

    `candidates` are the (lower-case id, index) of the first occurrence of each id;
    `stored_given` says the caller fixed ``stored`` (otherwise it is set at commit time).
    """

    statements: Sequence[JsonObject]
    prepared: list[JsonObject]
    candidates: list[tuple[str, int]]
    attachments: dict[str, Any]
    define: bool
    stored_given: bool
    done: bool = False
    error: BaseException | None = None
    extra: dict[str, Any] = field(default_factory=dict)


#: Commits a group in one transaction; returns the errors of the batches it rejected.
CommitGroup = Callable[[list[PendingBatch]], dict[int, BaseException]]


class GroupCommitter:
    """Serialises commits on one engine and groups the batches that queue meanwhile.

    One condition guards the queue and the "a commit is running" flag: a writer whose batch
    was committed by another thread's group returns as soon as that commit ends (it does not
    queue for a lock behind the next commit), and the next writer with a pending batch takes
    everything queued by then.
    """

    #: Lingering stops early once this many batches are queued.
    FULL_GROUP = 64

    def __init__(self, linger: float = 0.004) -> None:
        lock = threading.Lock()
        self._changed = threading.Condition(lock)  # a commit ended
        self._arrived = threading.Condition(lock)  # a batch was queued
        self._committing = False
        self._queue: list[PendingBatch] = []
        self._inflight: datetime | None = None
        self._linger = linger
        self._last_group = 1
        self._last_commit = 0.0  # seconds the last commit took

    @property
    def inflight_since(self) -> datetime | None:
        """The commit time of the group being committed now, if any."""
        return self._inflight

    def submit(
        self, batch: PendingBatch, commit: CommitGroup, moment: Callable[[], datetime]
    ) -> None:
        """Queue `batch`, make sure it is committed (by this thread or another), and raise
        its error if it was rejected. `moment` gives the commit time of a group.

        While writers are concurrent (the last group held several batches), the thread that
        is to commit next first lingers a moment (a quarter of the last commit's duration, at
        most `linger` seconds) for more batches: the writers whose batches were just
        committed are sending their next ones, and one commit for all of them costs much less
        than one each (without it, concurrent writers settle into alternating half groups).
        """
        with self._changed:
            self._queue.append(batch)
            self._arrived.notify()
            while self._committing and not batch.done:
                self._changed.wait()
            lead = not batch.done
            if lead:
                self._committing = True
                if self._last_group > 1:
                    deadline = time.monotonic() + min(self._linger, self._last_commit / 4)
                    while len(self._queue) < self.FULL_GROUP:
                        left = deadline - time.monotonic()
                        if left <= 0:
                            break
                        self._arrived.wait(left)
                group, self._queue = self._queue, []
                self._last_group = len(group)
        if lead:
            began = time.monotonic()
            try:
                self._run(group, commit, moment)
            finally:
                with self._changed:
                    self._last_commit = time.monotonic() - began
                    self._committing = False
                    self._changed.notify_all()
        if batch.error is not None:
            raise batch.error

    def _run(
        self, group: list[PendingBatch], commit: CommitGroup, moment: Callable[[], datetime]
    ) -> None:
        finished = False
        try:
            self._inflight = moment()
            for item in group:
                item.extra["moment"] = self._inflight
            try:
                errors = commit(group)
            except Exception as exc:
                errors = {0: exc} if len(group) == 1 else self._one_by_one(group, commit)
            for index, error in errors.items():
                group[index].error = error
            finished = True
        finally:
            self._inflight = None
            for item in group:
                if not finished and item.error is None:
                    # Interrupted (e.g. KeyboardInterrupt in this thread): not committed.
                    item.error = RuntimeError("the commit was interrupted; nothing was stored")
                item.done = True

    @staticmethod
    def _one_by_one(group: list[PendingBatch], commit: CommitGroup) -> dict[int, BaseException]:
        """Commit each batch of a failed group alone, so one bad batch fails only itself."""
        errors: dict[int, BaseException] = {}
        for index, item in enumerate(group):
            try:
                for error in commit([item]).values():
                    errors[index] = error
            except Exception as single:
                errors[index] = single
        return errors
