"""Helpers shared by the engine adapters (which must not import each other).

`ThreadTransactions` keeps per-thread transaction state. A transaction belongs to the thread
that opened it. Nested `transaction()` blocks join the outermost one; when an inner block
raises, the whole transaction is marked for rollback, so an outer block that swallows the error
still cannot commit half of its work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Generic, TypeVar

from learnledger.errors import StorageError

H = TypeVar("H")


class ThreadTransactions(Generic[H]):
    """Track the open transaction of each thread; `H` is the adapter's handle (a connection).

    `begin` opens a transaction and returns its handle; `commit` and `rollback` end it and
    release the handle. `commit` must release the handle even when it fails; `rollback` must
    not raise, so that the error that caused it is the one the caller sees.
    """

    def __init__(
        self,
        begin: Callable[[], H],
        commit: Callable[[H], None],
        rollback: Callable[[H], None],
    ) -> None:
        self._begin = begin
        self._commit = commit
        self._rollback = rollback
        self._local = threading.local()

    def current(self) -> H | None:
        """The handle of this thread's open transaction, or None."""
        handle: H | None = getattr(self._local, "handle", None)
        return handle

    @contextmanager
    def transaction(self) -> Iterator[H]:
        """Open (or join) this thread's transaction; commit on exit, roll back on error."""
        local = self._local
        outer: H | None = getattr(local, "handle", None)
        if outer is not None:
            try:
                yield outer
            except BaseException:
                local.doomed = True
                raise
            return
        handle = self._begin()
        local.handle, local.doomed = handle, False
        try:
            yield handle
        except BaseException:
            local.handle = None
            self._rollback(handle)
            raise
        local.handle = None
        if local.doomed:
            self._rollback(handle)
            raise StorageError("transaction rolled back: a nested transaction block raised")
        self._commit(handle)


def check_bulk_columns(table: str, existing: Sequence[str], given: Sequence[str]) -> list[str]:
    """The columns of `given`, after checking that each names a column of `table` once."""
    if not existing:
        raise StorageError(f"bulk insert: no table {table!r}")
    unknown = [c for c in given if c not in existing]
    if unknown:
        raise StorageError(f"bulk insert into {table}: unknown columns {', '.join(unknown)}")
    if len(set(given)) != len(given):
        raise StorageError(f"bulk insert into {table}: duplicate column names")
    return list(given)


def abbreviate_sql(sql: str, limit: int = 200) -> str:
    """`sql` on one line, cut to `limit` characters, for error messages."""
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def sql_text_literal(text: str) -> str:
    """`text` as an SQL string literal (quotes doubled), for statements that take no
    parameters (DDL defaults, ``SET``)."""
    return "'" + text.replace("'", "''") + "'"
