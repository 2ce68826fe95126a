"""Group commit: concurrent writers share one transaction.

A writer queues its `PendingBatch` and takes the engine's commit lock. Whoever holds the lock
commits every batch queued so far in one transaction, so while one transaction runs the
next group gathers, and the number of transactions per second stops limiting throughput
(one transaction per 100-statement request tops out near 15,000 statements/s on DuckDB).

A group that fails as a whole (a storage error) is retried batch by batch, so one bad batch
never fails the others; per-batch outcomes (a conflict) are reported to their own writer.

Writers announce a batch while they validate and prepare it (`GroupCommitter.preparing`), so
the committer knows how many writers are active (the most batches outstanding at once during
the last few commits). The thread about to commit waits (within bounds) until that many
batches are queued: a commit's fixed cost (the transaction, the counter row, the lookups,
DuckDB's per-statement overhead) is then shared by every concurrent writer, where before
concurrent writers settled into alternating half groups, each paying it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
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
    #: Commits over which the most batches outstanding at once are remembered.
    PEAK_WINDOW = 4

    def __init__(self, linger: float = 0.05) -> None:
        lock = threading.Lock()
        self._changed = threading.Condition(lock)  # a commit ended
        self._arrived = threading.Condition(lock)  # a batch was queued
        self._committing = False
        self._queue: list[PendingBatch] = []
        self._inflight: datetime | None = None
        self._linger = linger
        self._outstanding = 0  # batches announced or queued, not committed yet
        self._peak = 0  # the most outstanding at once since the last commit began
        self._peaks: deque[int] = deque(maxlen=self.PEAK_WINDOW)
        self._last_commit = 0.0  # seconds the last commit took

    @property
    def inflight_since(self) -> datetime | None:
        """The commit time of the group being committed now, if any."""
        return self._inflight

    def preparing(self) -> Preparation:
        """Announce a batch that is being validated and prepared: use the result as a context
        manager around that work and pass it to `submit` (a batch whose preparation fails
        is withdrawn on leaving the ``with`` block)."""
        with self._arrived:
            self._add_outstanding(1)
        return Preparation(self)

    def _add_outstanding(self, count: int) -> None:
        """Count batches in or out (the lock is held by the caller)."""
        self._outstanding += count
        self._peak = max(self._peak, self._outstanding)

    def submit(
        self,
        batch: PendingBatch,
        commit: CommitGroup,
        moment: Callable[[], datetime],
        preparation: Preparation | None = None,
    ) -> None:
        """Queue `batch`, make sure it is committed (by this thread or another), and raise
        its error if it was rejected. `moment` gives the commit time of a group;
        `preparation` is the announcement of `batch` (`preparing`), if it was announced.

        While writers are concurrent (several batches were outstanding at once during the
        last `PEAK_WINDOW` commits), the thread that is to commit next waits until as many
        batches are queued as were outstanding at that peak (at most `FULL_GROUP`), for at
        most half the last commit's duration and at most `linger` seconds: the writers whose
        batches were just committed are sending their next ones, and one commit for all of
        them costs much less than one each.
        """
        self._commit_queued([batch], commit, moment, [preparation], linger=True)
        if batch.error is not None:
            raise batch.error

    def submit_all(
        self, batches: Sequence[PendingBatch], commit: CommitGroup, moment: Callable[[], datetime]
    ) -> None:
        """Queue `batches` (prepared together by one caller, not announced) and make sure all
        are committed, by this thread or another; each rejected one keeps its error in
        `PendingBatch.error` (nothing is raised for them).

        No lingering: a caller that gathers the writes of many clients itself (the LRS's
        request queue) sends them all at once, and no other writer's batch is worth waiting
        for. They share a group with whatever else is queued by then.
        """
        if batches:
            self._commit_queued(batches, commit, moment, [None] * len(batches), linger=False)

    def _commit_queued(
        self,
        batches: Sequence[PendingBatch],
        commit: CommitGroup,
        moment: Callable[[], datetime],
        preparations: Sequence[Preparation | None],
        *,
        linger: bool,
    ) -> None:
        """Queue `batches` and return once every one of them is done (see `submit`)."""
        with self._changed:
            for batch, preparation in zip(batches, preparations, strict=True):
                self._queue.append(batch)
                if preparation is None or not preparation.hand_over():
                    self._add_outstanding(1)
            self._arrived.notify()
            while self._committing and not all(b.done for b in batches):
                self._changed.wait()
            if all(b.done for b in batches):
                return
            # No commit running and some of ours not done: those are all still queued.
            self._committing = True
            if linger:
                self._linger_for_writers()
            group, self._queue = self._queue, []
            self._peaks.append(self._peak)
            self._peak = self._outstanding
        began = time.monotonic()
        try:
            self._run(group, commit, moment)
        finally:
            with self._changed:
                self._last_commit = time.monotonic() - began
                self._outstanding -= len(group)
                self._committing = False
                self._changed.notify_all()

    def _linger_for_writers(self) -> None:
        """Wait (the lock held by the caller) until the batches of the writers active during
        the last commits are queued, within the bounds `submit` describes."""
        expected = min(max(self._peaks, default=1), self.FULL_GROUP)
        if len(self._queue) >= expected:
            return
        deadline = time.monotonic() + min(self._linger, self._last_commit / 2)
        while len(self._queue) < expected:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._arrived.wait(left)

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


class Preparation:
    """The announcement of a batch being prepared (`GroupCommitter.preparing`): withdrawn on
    leaving the ``with`` block unless `GroupCommitter.submit` queued the batch."""

    def __init__(self, committer: GroupCommitter) -> None:
        self._committer = committer
        self._open = True

    def hand_over(self) -> bool:
        """Mark the batch as queued (the committer's lock held); False when it was already
        handed over or withdrawn."""
        was_open, self._open = self._open, False
        return was_open

    def __enter__(self) -> Preparation:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._committer._arrived:
            if self.hand_over():  # not queued: withdrawn
                self._committer._add_outstanding(-1)
