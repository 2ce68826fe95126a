"""GroupCommitter: batches queued meanwhile share a commit; a failing group is retried batch
by batch; an interrupted commit stores nothing and says so."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from learnledger.errors import ConflictError, StorageError
from learnledger.lrs.group_commit import CommitGroup, GroupCommitter, PendingBatch

NOW = datetime(2025, 2, 3, tzinfo=UTC)


def batch(name: str) -> PendingBatch:
    return PendingBatch([], [], [], {}, define=True, stored_given=False, extra={"name": name})


def first_commit_held() -> tuple[list[list[str]], threading.Event, threading.Event, CommitGroup]:
    """A commit that notes each group's batch names and holds the first group (``entered``
    is set) until ``release`` is set."""
    groups: list[list[str]] = []
    release = threading.Event()
    entered = threading.Event()

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        groups.append([b.extra["name"] for b in group])
        if len(groups) == 1:
            entered.set()
            release.wait(5)
        return {}

    return groups, entered, release, commit


def start_held_commit(
    committer: GroupCommitter, commit: CommitGroup, entered: threading.Event
) -> threading.Thread:
    """Submit batch "a" in a thread and return once its commit is running (and held)."""
    first = threading.Thread(target=committer.submit, args=(batch("a"), commit, lambda: NOW))
    first.start()
    entered.wait(5)
    return first


def test_batches_queued_during_a_commit_share_the_next_one() -> None:
    committer = GroupCommitter()
    groups, entered, release, commit = first_commit_held()
    first = start_held_commit(committer, commit, entered)
    others = [
        threading.Thread(target=committer.submit, args=(batch(n), commit, lambda: NOW))
        for n in "bcd"
    ]
    for thread in others:
        thread.start()
    while len(committer._queue) < 3:  # all three queued behind the running commit
        threading.Event().wait(0.01)
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert groups[0] == ["a"]
    assert sorted(groups[1]) == ["b", "c", "d"]


def test_a_failing_group_is_retried_batch_by_batch() -> None:
    committer = GroupCommitter()
    good, bad, clash = batch("good"), batch("bad"), batch("clash")
    committed: list[str] = []

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        names = [b.extra["name"] for b in group]
        if "bad" in names:
            raise StorageError("broken batch")
        if names == ["clash"]:
            return {0: ConflictError("clash")}
        committed.extend(names)
        return {}

    committer._run([good, bad, clash], commit, lambda: NOW)
    assert committed == ["good"]
    assert good.error is None
    assert isinstance(bad.error, StorageError)
    assert isinstance(clash.error, ConflictError)
    assert all(b.done for b in (good, bad, clash))


def test_an_interrupted_commit_marks_every_batch_as_not_stored() -> None:
    committer = GroupCommitter()
    waiting = batch("waiting")

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        committer._run([waiting], commit, lambda: NOW)
    assert waiting.done
    assert isinstance(waiting.error, RuntimeError)
    assert committer.inflight_since is None


def test_writers_whose_batches_were_committed_return_while_the_next_commit_runs() -> None:
    committer = GroupCommitter(linger=0)
    returned: list[str] = []
    seen_returned: list[list[str]] = []
    first_commit_running = threading.Event()
    second_commit_running = threading.Event()

    def queued(count: int) -> None:
        while len(committer._queue) < count:
            threading.Event().wait(0.01)

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        names = sorted(b.extra["name"] for b in group)
        if names == ["a"]:
            first_commit_running.set()
            queued(2)  # b and c queue behind this commit and share the next one
        elif names == ["b", "c"]:
            second_commit_running.set()
            queued(1)  # d queues behind that one
        else:  # d: b's and c's writers must not be stuck behind this commit
            for _ in range(500):
                if len(returned) >= 3:
                    break
                threading.Event().wait(0.01)
            seen_returned.append(sorted(returned))
        return {}

    def write(name: str) -> None:
        committer.submit(batch(name), commit, lambda: NOW)
        returned.append(name)

    threads = {n: threading.Thread(target=write, args=(n,)) for n in "abcd"}
    threads["a"].start()
    assert first_commit_running.wait(10)  # b and c queue behind a's commit, not beside it
    threads["b"].start()
    threads["c"].start()
    # d must queue only once b and c were taken as a group (not alongside them)
    assert second_commit_running.wait(10)
    threads["d"].start()
    for thread in threads.values():
        thread.join(10)
    assert seen_returned == [["a", "b", "c"]]


def test_while_writers_are_concurrent_the_next_commit_lingers_for_more_batches() -> None:
    committer = GroupCommitter(linger=30)  # ends early: FULL_GROUP batches are queued
    committer.FULL_GROUP = 3
    committer._peaks.append(5)  # five writers were seen at once
    committer._last_commit = 120.0
    groups: list[list[str]] = []

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        groups.append(sorted(b.extra["name"] for b in group))
        return {}

    threads = [
        threading.Thread(target=committer.submit, args=(batch(n), commit, lambda: NOW))
        for n in "xyz"
    ]
    for thread in threads:
        thread.start()
        threading.Event().wait(0.05)  # one after the other: the first one lingers
    for thread in threads:
        thread.join(10)
    assert groups == [["x", "y", "z"]]


def test_the_next_commit_waits_for_the_batches_of_the_writers_seen_at_once() -> None:
    committer = GroupCommitter(linger=30)  # ends early: as many batches as writers seen
    groups: list[list[str]] = []

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        groups.append(sorted(b.extra["name"] for b in group))
        threading.Event().wait(0.3)  # a commit takes a while (the wait is bounded by half)
        return {}

    def write(name: str, gate: threading.Event | None = None) -> None:
        with committer.preparing() as preparation:  # validating, then queued
            if gate is not None:
                gate.wait(10)
            committer.submit(batch(name), commit, lambda: NOW, preparation)

    # Round 1: two writers prepare at the same time (the second one still validating while
    # the first commits), so the committer learns that two writers are active.
    gate = threading.Event()
    first = [
        threading.Thread(target=write, args=("a1", None)),
        threading.Thread(target=write, args=("b1", gate)),
    ]
    first[1].start()
    threading.Event().wait(0.05)
    first[0].start()
    first[0].join(10)
    gate.set()
    first[1].join(10)
    assert groups == [["a1"], ["b1"]]
    # Round 2: one writer after the other; the first one's commit waits for the second.
    second = [threading.Thread(target=write, args=(n,)) for n in ("a2", "b2")]
    for thread in second:
        thread.start()
        threading.Event().wait(0.02)
    for thread in second:
        thread.join(10)
    assert groups[2:] == [["a2", "b2"]]


def test_a_batch_whose_preparation_fails_is_withdrawn() -> None:
    committer = GroupCommitter()
    groups: list[list[str]] = []

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        groups.append(sorted(b.extra["name"] for b in group))
        return {}

    with pytest.raises(ValueError, match="invalid"), committer.preparing():
        raise ValueError("an invalid statement")  # withdrawn: not outstanding any more
    assert committer._outstanding == 0
    with committer.preparing() as preparation:
        committer.submit(batch("x"), commit, lambda: NOW, preparation)
    assert groups == [["x"]]
    assert committer._outstanding == 0
    assert list(committer._peaks) == [1]  # one writer at a time: no waiting for others


def test_submit_all_commits_its_batches_together_without_lingering_and_keeps_each_error() -> None:
    committer = GroupCommitter(linger=30)  # lingering would show as a 30 s wait
    committer._peaks.append(10)  # as if ten writers had been active: `submit` would linger
    committer._last_commit = 60.0
    groups: list[list[str]] = []

    def commit(group: list[PendingBatch]) -> dict[int, BaseException]:
        groups.append([b.extra["name"] for b in group])
        return {1: ConflictError("b conflicts")}

    batches = [batch(n) for n in "abc"]
    committer.submit_all(batches, commit, lambda: NOW)
    assert groups == [["a", "b", "c"]]
    assert [b.done for b in batches] == [True, True, True]
    assert isinstance(batches[1].error, ConflictError)
    assert batches[0].error is None
    assert batches[2].error is None


def test_submit_all_waits_for_a_running_commit_and_joins_the_next_group() -> None:
    committer = GroupCommitter()
    groups, entered, release, commit = first_commit_held()
    first = start_held_commit(committer, commit, entered)
    later = [batch("b"), batch("c")]
    both = threading.Thread(target=committer.submit_all, args=(later, commit, lambda: NOW))
    both.start()
    while len(committer._queue) < 2:  # both queued behind the running commit
        time.sleep(0.001)
    release.set()
    first.join(5)
    both.join(5)
    assert groups == [["a"], ["b", "c"]]
    assert all(b.done and b.error is None for b in later)
