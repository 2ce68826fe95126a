"""The small-write queue on its own: groups, and an app served on one event loop after
another (a new server or test client in the same process)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from learnledger.web.xapi.write_queue import WriteQueue


class RecordingStore:
    """Stands in for `StatementStore`: answers each write with its own id, records groups."""

    def __init__(self) -> None:
        self.groups: list[list[Any]] = []

    def store_many(self, writes: list[Any]) -> list[list[str]]:
        self.groups.append(list(writes))
        time.sleep(0.02)  # a commit takes a while: later writes queue meanwhile
        return [[f"id-{write}"] for write in writes]


async def _store_all(queue: WriteQueue, writes: range) -> list[list[str]]:
    return await asyncio.gather(*(queue.store(write) for write in writes))  # type: ignore[arg-type]


def test_writes_queued_together_are_stored_as_one_group_and_each_gets_its_answer() -> None:
    store = RecordingStore()
    queue = WriteQueue(store)  # type: ignore[arg-type]
    assert asyncio.run(_store_all(queue, range(6))) == [[f"id-{n}"] for n in range(6)]
    assert [len(group) for group in store.groups] == [6]


def test_the_queue_keeps_working_when_the_app_is_served_on_a_new_event_loop() -> None:
    # After a group of 5, fewer waiting writes make the queue linger on an asyncio event; that
    # event belongs to the loop that first waited on it, so each new loop needs its own (the
    # third run failed with "bound to a different event loop" before).
    store = RecordingStore()
    queue = WriteQueue(store)  # type: ignore[arg-type]
    for writes in (range(5), range(2), range(2), range(3)):
        assert asyncio.run(_store_all(queue, writes)) == [[f"id-{n}"] for n in writes]
    assert sum(len(group) for group in store.groups) == 12
