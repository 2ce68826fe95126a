"""The demo's statements rendered and turned into table rows in worker processes.

Rendering a statement and building its rows (validation, normalisation, the projection and
the JSON) is Python work of some 30 µs a statement; the batches are independent by
construction (each from its own random stream), so worker processes forked from the builder
can render them and prepare their rows (`BatchPreparer`) while the builder's process only
numbers and writes them (`build_demo(workers=...)`). Batches come back in order and at most
a few are in flight, so the output does not depend on the number of workers.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterator
from multiprocessing.pool import AsyncResult
from typing import Any

from learnledger.demo import statements as _statements
from learnledger.demo.statements import StatementRenderer
from learnledger.lrs.bulk_load import BatchPreparer, PreparedBatch

JsonObject = dict[str, Any]
#: Batches in flight per worker (being rendered, or waiting to be taken).
_AHEAD = 2

# What the forked workers inherit: the renderer and the authority (set only while a pool
# runs), and each worker's own preparer (set by `_start_worker`).
_RENDERER: StatementRenderer | None = None
_AUTHORITY: JsonObject | None = None
_PREPARER: BatchPreparer | None = None


def prepared_batches(
    renderer: StatementRenderer,
    authority: JsonObject,
    *,
    workers: int = 1,
) -> Iterator[PreparedBatch]:
    """Every batch of `renderer` as rows, in time order; rendered in `workers` forked
    processes when there are several workers and batches, else in this process.

    Workers pay off only with idle CPUs: they add about a fifth to the CPU time (the rows
    are pickled to the builder; each worker validates its own templates). On a busy 2-core
    machine one process was faster (10,000 people: 79 s against 94 s), so the demo uses
    none unless asked (see docs/benchmarks.md)."""
    bounds = renderer.episodes.batches(_statements.BATCH_STATEMENTS)
    fork = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or len(bounds) < 2 or not fork:
        preparer = BatchPreparer(authority)
        for number, (lo, hi) in enumerate(bounds):
            statements, stored = renderer.render(number, lo, hi)
            yield preparer.prepare(statements, stored=stored)
        return
    global _RENDERER, _AUTHORITY
    _RENDERER, _AUTHORITY = renderer, authority
    try:
        with multiprocessing.get_context("fork").Pool(workers, _start_worker) as pool:
            tasks = iter(enumerate(bounds))
            pending: deque[AsyncResult[PreparedBatch]] = deque()

            def submit() -> None:
                task = next(tasks, None)
                if task is not None:
                    number, (lo, hi) = task
                    pending.append(pool.apply_async(_prepare, (number, lo, hi)))

            for _ in range(_AHEAD * workers):
                submit()
            while pending:
                batch = pending.popleft().get()
                submit()
                yield batch
    finally:
        _RENDERER = _AUTHORITY = None


def _start_worker() -> None:
    global _PREPARER
    assert _AUTHORITY is not None
    _PREPARER = BatchPreparer(_AUTHORITY)


def _prepare(number: int, lo: int, hi: int) -> PreparedBatch:
    assert _RENDERER is not None
    assert _PREPARER is not None
    statements, stored = _RENDERER.render(number, lo, hi)
    return _PREPARER.prepare(statements, stored=stored)
