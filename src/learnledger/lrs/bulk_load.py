"""Bulk loading of trusted, generated xAPI statements (the demo's millions of statements).

`StatementBulkLoader` writes exactly the rows `StatementStore.store` would write for the same
statements, authority and stored times (``xapi_statements``, the query link tables, the
``learning_events`` projection and the canonical Activity definitions), so the LRS answers
queries for them as if they had been POSTed, but set-based:

- the secondary indexes of those four tables are dropped when the load begins and created
  again, each in one pass over the loaded rows, when it finishes (primary keys stay: DuckDB
  cannot drop them, and they refuse repeated ids);
- statements are gathered into chunks of `chunk_statements` and each chunk is appended as
  Arrow tables (DuckDB scans them, PostgreSQL takes them through COPY), built by the same
  helpers the live store uses (`BatchProjection` and its link rows); a writer thread appends
  one chunk while the caller produces the next, all in one transaction (or one per
  `commit_statements`). Each commit costs DuckDB a write of the log and a checkpoint: on
  1.1 M demo statements a commit per 100,000 took twice the CPU and wrote 2.7 times the
  bytes of one transaction, which, given a memory cap (`Engine.memory_budget`), spills what
  it holds to disk instead of growing. What one transaction wrote must still fit under the
  cap when it commits (its new primary-key entries are merged then): 11 M statements did
  not fit in 1.5 GB, so large loads commit every million or so;
- validation is done once per statement *template*: a statement is validated in full when its
  shape (properties present, the verb, object and contextActivities objects it shares with
  earlier statements, the keys and value types of its context and result extensions) or its
  actor has not been seen yet. What varies inside a template is checked in bulk: ids are
  UUIDs and unique (primary key), timestamps and registrations parse (Arrow and the database),
  scores lie in their ranges;
- Activity definitions are merged in memory, call by call (each `add` is one batch, as one
  `store` call is), and written once at the end with the stored time of the batch that last
  changed each.

It is for one writer on a database no one else writes to at the time (a demo build, a
migration of generated history): live writers would pay for the missing indexes. Voiding
statements are refused (they change earlier rows; store them through `StatementStore`), and
there are no attachment payloads. When the load fails, its open transaction is rolled back,
the rows it committed before (with `commit_statements`) are deleted again and the indexes
restored; nothing of it stays.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from learnledger.core.model.catalog import current_entities
from learnledger.core.xapi import (
    VOIDED_VERB,
    prepare_statement,
    validate_authority,
    validate_statements,
)
from learnledger.errors import LearnLedgerError, ValidationError
from learnledger.lrs.activities import ActivityStore, batch_definitions, merge_definition
from learnledger.lrs.person_links import person_ids_for
from learnledger.lrs.projection import BatchProjection
from learnledger.lrs.statement_store import reserve_seq
from learnledger.storage.ddl import create_index_sql, indexes_on
from learnledger.storage.dialect import dialect_for
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

#: The tables a load writes, in the order rows are appended (statements before their links).
TABLES = (
    "xapi_statements",
    "xapi_statement_agents",
    "xapi_statement_activities",
    "learning_events",
)
_LINK_TABLES = ("xapi_statement_agents", "xapi_statement_activities")
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_DELETE_ACTIVITIES_SQL = (
    "DELETE FROM xapi_activities WHERE activity_id IN (SELECT unnest(CAST(? AS TEXT[])))"
)
_LOADED = "SELECT statement_id FROM xapi_statements WHERE seq BETWEEN ? AND ?"
_UNDO_SQL = {
    "xapi_statement_agents": f"DELETE FROM xapi_statement_agents WHERE statement_id IN ({_LOADED})",
    "xapi_statement_activities": (
        f"DELETE FROM xapi_statement_activities WHERE statement_id IN ({_LOADED})"
    ),
    "learning_events": f"DELETE FROM learning_events WHERE event_id IN ({_LOADED})",
    "xapi_statements": "DELETE FROM xapi_statements WHERE seq BETWEEN ? AND ?",
}
_TIMESTAMP = pa.timestamp("us", tz="UTC")
#: Templates remembered at most; a full memory is cleared (and validates again), not grown.
TEMPLATE_LIMIT = 100_000


@dataclass(frozen=True)
class BulkLoadSummary:
    """What a finished load wrote."""

    statements: int
    activities: int


class StatementBulkLoader:
    """Loads trusted statements in bulk; use as a context manager (see the module docstring).

    ```python
    with StatementBulkLoader(engine, authority=AUTHORITY) as loader:
        for statements, stored in batches:
            loader.add(statements, stored=stored)
    summary = loader.summary
    ```
    """

    def __init__(
        self,
        engine: Engine,
        *,
        authority: JsonObject,
        version: str = "2.0.0",
        chunk_statements: int = 200_000,
        commit_statements: int | None = None,
    ) -> None:
        if chunk_statements < 1:
            raise ValidationError("chunk_statements", "must be at least 1")
        if commit_statements is not None and commit_statements < 1:
            raise ValidationError("commit_statements", "must be at least 1")
        self.engine = engine
        self.authority = authority
        self.version = version
        self.chunk_statements = chunk_statements
        self.commit_statements = commit_statements
        self.summary: BulkLoadSummary | None = None
        self._preparer = BatchPreparer(authority, version)
        self._activities = ActivityStore(engine)
        self._definitions: dict[str, tuple[JsonObject, JsonObject | None, datetime | None]] = {}
        self._persons: dict[str, str | None] = {}
        self._pending: list[PreparedBatch] = []
        self._pending_count = 0
        self._added = 0
        self._writer: _ChunkWriter | None = None
        self._dropped: list[str] = []

    # -- the load ----------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.begin()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if error is None:
            self.finish()
        else:
            self.abort()

    def begin(self) -> None:
        """Drop the secondary indexes of the tables the load writes and start the writer."""
        if self._writer is not None:
            raise LearnLedgerError("the bulk load has begun already")
        entities = current_entities()
        quote = dialect_for(self.engine.name).quote
        with self.engine.transaction():
            for table in TABLES:
                for index in entities[table].indexes:
                    self.engine.execute(f"DROP INDEX IF EXISTS {quote(index.name)}")
        self._dropped = list(TABLES)
        self._writer = _ChunkWriter(self.engine, self.commit_statements)

    def add(self, statements: Sequence[JsonObject], *, stored: datetime) -> None:
        """Queue one batch of statements, stored at `stored` (as one `StatementStore.store`
        call with that `stored` would); they are written in chunks. Raises
        `ValidationError` naming ``statement[i]`` of this batch for an invalid statement."""
        self._require_writer().raise_failure()
        if statements:
            self.add_prepared(self._preparer.prepare(statements, stored=stored))

    def add_prepared(self, batch: PreparedBatch) -> None:
        """Queue one batch that a `BatchPreparer` with this load's authority and version
        turned into rows, possibly in another process (batches must come in storage order)."""
        writer = self._require_writer()
        writer.raise_failure()
        count = batch.statements.num_rows
        if not count:
            return
        self._merge_definitions(batch.definitions, batch.stored)
        self._pending.append(batch)
        self._pending_count += count
        self._added += count
        if self._pending_count >= self.chunk_statements:
            self._flush()

    def finish(self) -> BulkLoadSummary:
        """Write what is pending, the Activity definitions and the indexes; return the summary."""
        writer = self._require_writer()
        try:
            self._flush()
            writer.close()
            self._restore_indexes()
            activities = self._write_definitions()
        except BaseException:
            self.abort()
            raise
        self._writer = None
        self.summary = BulkLoadSummary(statements=self._added, activities=activities)
        return self.summary

    def abort(self) -> None:
        """Delete every row this load wrote and restore the indexes (after a failure)."""
        writer = self._writer
        if writer is None:
            return
        writer.close(raise_failure=False, commit=False)
        with self.engine.transaction():
            for first, last in writer.seq_ranges:
                for table in reversed(TABLES):
                    self.engine.execute(_UNDO_SQL[table], [first, last])
        self._restore_indexes()
        self._writer = None

    # -- internals ---------------------------------------------------------------------------

    def _require_writer(self) -> _ChunkWriter:
        if self._writer is None:
            raise LearnLedgerError("the bulk load has not begun (use it as a context manager)")
        return self._writer

    def _flush(self) -> None:
        """Combine the pending batches into one chunk, fill in the people of its learning
        events and hand it to the writer."""
        batches, self._pending, self._pending_count = self._pending, [], 0
        if not batches:
            return

        def combined(name: str) -> pa.Table:
            return pa.concat_tables([getattr(batch, name) for batch in batches])

        events = combined("events")
        ifis = events.column("actor_ifi")
        persons = self._person_ids({str(ifi) for ifi in pc.unique(ifis).to_pylist()})
        if persons:
            keys = pa.array(list(persons), pa.string())
            values = pa.array(list(persons.values()), pa.string())
            person = pc.take(values, pc.index_in(ifis, value_set=keys))
            events = events.set_column(
                events.schema.get_field_index("person_id"), "person_id", person
            )
        chunk = _Chunk(combined("statements"), combined("agents"), combined("activities"), events)
        self._require_writer().put(chunk)

    def _person_ids(self, ifis: set[str]) -> dict[str, str]:
        unknown = [ifi for ifi in ifis if ifi not in self._persons]
        if unknown:
            found = person_ids_for(self.engine, unknown)
            for ifi in unknown:
                self._persons[ifi] = found.get(ifi)
        return {ifi: person for ifi in ifis if (person := self._persons[ifi]) is not None}

    def _merge_definitions(self, incoming: dict[str, JsonObject], stored: datetime) -> None:
        """Fold this batch's definitions into the running ones; an Activity's ``updated`` is
        the stored time of the last batch that changed its definition."""
        unseen = [activity_id for activity_id in incoming if activity_id not in self._definitions]
        if unseen:
            before = self._activities.definitions(unseen)
            for activity_id in unseen:
                old = before.get(activity_id)
                self._definitions[activity_id] = (old or {}, old, None)
        for activity_id, definition in incoming.items():
            current, original, _ = self._definitions[activity_id]
            merged = merge_definition(current, definition) if current else definition
            if merged != current:
                self._definitions[activity_id] = (merged, original, stored)

    def _write_definitions(self) -> int:
        changed = {
            activity_id: (merged, updated)
            for activity_id, (merged, original, updated) in self._definitions.items()
            if updated is not None and merged != original
        }
        if not changed:
            return 0
        ids = sorted(changed)
        table = pa.table(
            {
                "activity_id": pa.array(ids, pa.string()),
                "definition": pa.array([_dumps(changed[i][0]) for i in ids], pa.string()),
                "updated": pa.array([changed[i][1] for i in ids], _TIMESTAMP),
            }
        )
        with self.engine.transaction():
            self.engine.execute(_DELETE_ACTIVITIES_SQL, [ids])
            self.engine.bulk_insert("xapi_activities", table)
        return len(ids)

    def _restore_indexes(self) -> None:
        """Create the secondary indexes of the loaded tables, one pass over the rows each."""
        entities = current_entities()
        dialect = dialect_for(self.engine.name)
        for table in self._dropped:
            for index in indexes_on(dialect, entities[table]):
                with self.engine.transaction():
                    sql = create_index_sql(dialect, table, index, if_not_exists=True)
                    self.engine.execute(sql)
        self._dropped = []


@dataclass
class PreparedBatch:
    """The rows of one batch of statements, ready for `StatementBulkLoader.add_prepared`:
    everything but ``seq`` (numbered by the writer) and the person of each learning event
    (looked up by the loader). Plain data, so it can be built in another process."""

    statements: pa.Table
    agents: pa.Table
    activities: pa.Table
    events: pa.Table
    #: The Activity definitions of the batch (see `batch_definitions`).
    definitions: dict[str, JsonObject]
    stored: datetime


class BatchPreparer:
    """Checks batches of trusted statements and turns them into `PreparedBatch` rows.

    Pure (no database): a loader prepares its own batches, and a generator can run one
    preparer per worker process and hand the batches to the loader in order. It validates
    once per template (`TemplateValidator`), so keep one preparer per process.
    """

    def __init__(self, authority: JsonObject, version: str = "2.0.0") -> None:
        validate_authority(authority)
        self.authority = authority
        self.version = version
        self.validator = TemplateValidator(version)

    def prepare(self, statements: Sequence[JsonObject], *, stored: datetime) -> PreparedBatch:
        """The rows of `statements` stored at `stored`. Raises `ValidationError` naming
        ``statement[i]`` of the batch for an invalid or voiding statement."""
        self.validator.check(statements)
        for index, statement in enumerate(statements):
            if statement["verb"]["id"] == VOIDED_VERB:
                raise ValidationError(
                    f"statement[{index}].verb", "voiding statements cannot be bulk loaded"
                )
        authority, version = self.authority, self.version
        prepared = [
            prepare_statement(s, authority=authority, stored=stored, version=version)
            for s in statements
        ]
        projection = BatchProjection(prepared, voided=(), first_seq=0)
        table = projection.statement_table()
        events = projection.event_table({})
        _check_uuids(table.column("statement_id"))
        _check_scores(events)
        rows = projection.rows
        return PreparedBatch(
            table,
            rows.agent_links,
            rows.activity_links,
            events,
            batch_definitions(prepared),
            stored,
        )


class TemplateValidator:
    """Validates statements once per template and actor (see the module docstring).

    Templates are keyed by the identity of the objects statements share (verb, object,
    contextActivities); the validator keeps those objects alive, so an id cannot be reused by
    another object while its template is remembered.
    """

    def __init__(self, version: str) -> None:
        self.version = version
        self._templates: set[Hashable] = set()
        self._actors: set[int] = set()
        self._pinned: list[Any] = []
        self.validated = 0

    def check(self, statements: Sequence[JsonObject]) -> None:
        """Validate in full those of `statements` with a new template or actor."""
        templates, actors = self._templates, self._actors
        if len(templates) + len(actors) > TEMPLATE_LIMIT:
            templates.clear()
            actors.clear()
            self._pinned.clear()
        for index, statement in enumerate(statements):
            key = _template_key(statement)
            actor = statement.get("actor")
            if key in templates and id(actor) in actors:
                continue
            try:
                validate_statements([statement], self.version)
            except ValidationError as exc:
                raise ValidationError(
                    exc.path.replace("statement[0]", f"statement[{index}]", 1), exc.reason
                ) from exc
            self.validated += 1
            templates.add(key)
            actors.add(id(actor))
            context = statement.get("context") or {}
            self._pinned.append(
                (actor, statement["verb"], statement["object"], context.get("contextActivities"))
            )


def _template_key(statement: JsonObject) -> Hashable:
    """What a statement shares with the others of its template (see `TemplateValidator`)."""
    context = statement.get("context")
    result = statement.get("result")
    return (
        tuple(statement),
        id(statement["verb"]),
        id(statement["object"]),
        None
        if context is None
        else (
            tuple(context),
            id(context.get("contextActivities")),
            _shape(context.get("extensions")),
        ),
        None
        if result is None
        else (tuple(result), _shape(result.get("score")), _shape(result.get("extensions"))),
    )


def _shape(value: Any) -> Hashable:
    """Keys and value types of a small object (extensions, score)."""
    if type(value) is not dict:
        return type(value).__name__
    return tuple((key, type(item)) for key, item in value.items())


def _check_uuids(ids: pa.ChunkedArray) -> None:
    ok = pc.match_substring_regex(ids, _UUID)
    if not pc.all(ok).as_py():
        position = pc.index(ok, False).as_py()
        raise ValidationError("statement.id", f"{ids[position].as_py()!r} is not a UUID")


def _check_scores(events: pa.Table) -> None:
    """Scores in range: scaled in [-1, 1], min <= raw <= max."""
    scaled = events.column("score_scaled")
    raw, low, high = (events.column(f"score_{n}") for n in ("raw", "min", "max"))
    bad = pc.or_kleene(
        pc.or_kleene(pc.less(scaled, -1.0), pc.greater(scaled, 1.0)),
        pc.or_kleene(pc.less(raw, low), pc.greater(raw, high)),
    )
    if pc.any(pc.fill_null(bad, False)).as_py():
        position = pc.index(pc.fill_null(bad, False), True).as_py()
        event = events.column("event_id")[position].as_py()
        raise ValidationError(f"statement {event}: result.score", "is out of range")


def _dumps(value: JsonObject) -> str:
    return orjson.dumps(value).decode()


@dataclass
class _Chunk:
    """The rows of one chunk of statements (``seq`` still to be numbered)."""

    statements: pa.Table
    agents: pa.Table
    activities: pa.Table
    events: pa.Table


class _ChunkWriter:
    """Appends chunks in a thread of its own while the caller builds the next chunk (the
    database releases the GIL while it appends), committing once `commit_statements` have
    been written since the last commit, and at the end."""

    def __init__(self, engine: Engine, commit_statements: int | None) -> None:
        self.engine = engine
        self.commit_statements = commit_statements
        self.seq_ranges: list[tuple[int, int]] = []
        self._queue: queue.Queue[_Chunk | None] = queue.Queue(maxsize=1)
        self._failure: BaseException | None = None
        self._commit_at_end = True
        self._thread = threading.Thread(target=self._run, name="statement-bulk-writer")
        self._thread.start()

    def put(self, chunk: _Chunk) -> None:
        self.raise_failure()
        self._queue.put(chunk)

    def close(self, *, raise_failure: bool = True, commit: bool = True) -> None:
        """Write what is queued and end the open transaction: commit it, or roll it back
        when `commit` is false (an aborted load)."""
        if self._thread.is_alive():
            self._commit_at_end = commit
            self._queue.put(None)
            self._thread.join()
        if raise_failure:
            self.raise_failure()

    def raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        with contextlib.ExitStack() as open_transaction:
            in_transaction = 0  # statements written in the open transaction
            while True:
                chunk = self._queue.get()
                if chunk is None:
                    break
                if self._failure is not None:
                    continue  # drain: the caller sees the failure on its next call
                try:
                    if not in_transaction:
                        open_transaction.enter_context(self.engine.transaction())
                    self._write(chunk)
                    in_transaction += chunk.statements.num_rows
                    every = self.commit_statements
                    if every is not None and in_transaction >= every:
                        open_transaction.close()  # commit
                        in_transaction = 0
                except BaseException as exc:  # handed to the caller's thread
                    self._failure = exc
                    self._rollback(open_transaction, exc)
                    in_transaction = 0
            if self._failure is None and in_transaction:
                if not self._commit_at_end:
                    self._rollback(open_transaction, LearnLedgerError("the bulk load was aborted"))
                    return
                try:
                    open_transaction.close()
                except BaseException as exc:
                    self._failure = exc

    @staticmethod
    def _rollback(open_transaction: contextlib.ExitStack, error: BaseException) -> None:
        """End the open transaction, if any, by rolling it back (its context sees `error`)."""
        with contextlib.suppress(BaseException):
            open_transaction.__exit__(type(error), error, error.__traceback__)

    def _write(self, chunk: _Chunk) -> None:
        engine = self.engine
        count = chunk.statements.num_rows
        first = reserve_seq(engine, count) + 1
        self.seq_ranges.append((first, first + count - 1))
        statements = chunk.statements
        seq = pa.array(range(first, first + count), pa.int64())
        statements = statements.set_column(statements.schema.get_field_index("seq"), "seq", seq)
        engine.bulk_insert("xapi_statements", statements)
        for table, rows_ in zip(_LINK_TABLES, (chunk.agents, chunk.activities), strict=True):
            if rows_.num_rows:
                engine.bulk_insert(table, rows_)
        if chunk.events.num_rows:
            engine.bulk_insert("learning_events", chunk.events)
