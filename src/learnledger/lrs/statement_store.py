"""The statement store: the one write path for xAPI statements (LRS HTTP layer and demo alike).

`StatementStore.store` validates a whole batch before writing anything, enforces immutability
(same id + same statement is a silent no-op, same id + other content a `ConflictError`),
applies the voiding rules, and writes ``xapi_statements``, the query link tables, attachment
payloads, canonical Activity definitions and the ``learning_events`` projection in one
transaction with bulk inserts. Concurrent calls share transactions (`GroupCommitter`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from learnledger.core.xapi import (
    actor_ifi,
    canonical_json,
    prepare_statement,
    validate_authority,
    validate_statements,
)
from learnledger.core.xapi.formats import is_uuid
from learnledger.core.xapi.timestamps import format_timestamp, parse_timestamp
from learnledger.errors import ConflictError, StorageError, ValidationError
from learnledger.lrs.activities import ActivityStore, batch_definitions, combine_definitions
from learnledger.lrs.attachments import Attachment, AttachmentStore, check_attachments
from learnledger.lrs.group_commit import GroupCommitter, PendingBatch
from learnledger.lrs.projection import BatchProjection, BatchRows, is_voiding, voiding_target
from learnledger.lrs.signatures import TrustedSigners, verify_signatures
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

# A list of statement ids as one comma-separated text parameter: binding one string is much
# cheaper than binding an array of 10,000 values, and string_to_array works on both engines.
_IDS = "(SELECT CAST(id AS UUID) FROM (SELECT unnest(string_to_array(?, ',')) AS id) AS ids)"
_STATEMENTS_SQL = (
    f"SELECT statement_id, statement FROM xapi_statements WHERE statement_id IN {_IDS}"
)
# What a group's commit must know, in one round trip: which of its ids stored voiding
# statements target ('voided'), the people ``identities`` knows among its actors ('person')
# and, when the primary key refused the group, which of its ids are stored already ('stored').
_STORED_PART = (
    "SELECT 'stored', CAST(statement_id AS TEXT), NULL FROM xapi_statements "
    f"WHERE statement_id IN {_IDS} UNION ALL "
)
_LOOKUP_SQL = (
    "SELECT DISTINCT 'voided', CAST(voiding_target AS TEXT), NULL "
    f"FROM xapi_statements WHERE voiding_target IS NOT NULL AND voiding_target IN {_IDS} "
    "UNION ALL SELECT 'person', ifi, person_id FROM identities "
    "WHERE ifi IN (SELECT unnest(CAST(? AS TEXT[])))"
)
_VOID_SQL = (
    f"UPDATE xapi_statements SET voided = TRUE WHERE statement_id IN {_IDS} "
    "AND voiding_target IS NULL AND NOT voided"
)
_DROP_EVENTS_SQL = f"DELETE FROM learning_events WHERE event_id IN {_IDS}"
# Taking the counter row first (an UPDATE locks it until commit) serialises writers across
# processes: duplicate checks see every earlier batch, and seq follows commit order. The
# UPDATE reserves a number for every statement of the group; the few a group does not use
# (duplicates, conflicting batches) are given back before the commit.
_RESERVE_SEQ_SQL = "UPDATE lrs_counters SET value = value + ? WHERE name = ? RETURNING value"
_SET_SEQ_SQL = "UPDATE lrs_counters SET value = ? WHERE name = ?"
_INIT_SEQ_SQL = (
    "INSERT INTO lrs_counters (name, value) SELECT ?, COALESCE(MAX(seq), 0) FROM xapi_statements "
    "ON CONFLICT (name) DO NOTHING"
)
_SEQ_COUNTER = "statement_seq"
# What `store` prepares for the commit in `PendingBatch.extra` (see `_commit_attempt`).
_ROWS = "rows"
_DEFINITIONS = "definitions"
_RESULT = "result"  # the position of a batch's write in `store_many`
# Batches at least this large get their rows built before they queue. Smaller ones (single
# statements) leave it to the commit: they would queue later, and the groups of concurrent
# single-statement writers, whose size decides the cost per statement, would shrink.
_PREBUILD_MIN = 16

_COMMITTERS: weakref.WeakKeyDictionary[Engine, GroupCommitter] = weakref.WeakKeyDictionary()
_COMMITTERS_GUARD = threading.Lock()


@dataclass(frozen=True)
class StatementWrite:
    """One client's write for `StatementStore.store_many`: the arguments of
    `StatementStore.store` (``stored`` is always the commit time)."""

    statements: Sequence[JsonObject]
    authority: JsonObject
    version: str = "2.0.0"
    attachments: Mapping[str, Attachment] | None = None
    define: bool = True
    from_json: bool = False


class StatementStore:
    """Stores and reads xAPI statements on an `Engine`.

    Writes are serialised and grouped: within a process by a `GroupCommitter` per engine
    (shared by every store on it; batches that queue while one commits are committed
    together in the next transaction), across processes by the row lock on the
    ``lrs_counters`` sequence row; so duplicate checks see every earlier batch and ``seq``
    follows commit order.
    """

    def __init__(self, engine: Engine, trusted_signers: TrustedSigners | None = None) -> None:
        self.engine = engine
        self.trusted_signers = trusted_signers
        with _COMMITTERS_GUARD:
            self._committer = _COMMITTERS.setdefault(engine, GroupCommitter())
        self.activities = ActivityStore(engine)
        self.attachments = AttachmentStore(engine)

    def store(
        self,
        statements: Sequence[JsonObject],
        *,
        authority: JsonObject,
        version: str = "2.0.0",
        stored: datetime | None = None,
        attachments: Mapping[str, Attachment] | None = None,
        define: bool = True,
        from_json: bool = False,
    ) -> list[str]:
        """Validate, prepare and store a batch; return the statement ids in input order.

        Atomic: when any statement is invalid or the batch repeats an id (`ValidationError`
        naming ``statement[i]...``), or a statement conflicts with a stored one
        (`ConflictError` naming the id), nothing of the batch is stored (other callers'
        batches committed in the same transaction are not affected). A statement whose id
        is stored already with the same content (per the xAPI comparison rules) is skipped
        silently. `authority` replaces whatever the client sent; `stored` defaults to the
        commit time. `attachments` are the payloads sent with the batch, by SHA-2; `define`
        lets the batch's Activity definitions update the canonical ones. When `attachments`
        is given (HTTP writes), every attachment without a fileUrl needs its payload, every
        payload an attachment, and signed statements a valid signature. `from_json` says the
        statements were parsed from JSON text (JSON types only), which lets validation skip
        parts it has seen pass before (`validate_statements`).
        """
        write = StatementWrite(
            statements,
            authority=authority,
            version=version,
            attachments=attachments,
            define=define,
            from_json=from_json,
        )
        return self.store_write(write, stored)

    def store_write(self, write: StatementWrite, stored: datetime | None = None) -> list[str]:
        """`store` with its arguments in one `StatementWrite` (``stored`` as there)."""
        with self._committer.preparing() as preparation:
            batch = self._prepare(write, stored)
            if batch is None:
                return []
            self._committer.submit(batch, self._commit_group, _now, preparation)
        return [p["id"] for p in batch.prepared]

    def store_many(self, writes: Sequence[StatementWrite]) -> list[list[str] | Exception]:
        """`store` several independent writes (the requests of different clients) in one
        call; return, in order, each write's statement ids or the error `store` would have
        raised for it (`ValidationError`, `ConflictError`, ...).

        Each write is atomic and judged on its own, exactly as in `store` (a rejected write
        stores nothing and does not affect the others); the valid ones are committed
        together, in as few transactions as the group commit takes (usually one), and this
        returns only once every one of them is committed or rejected.
        """
        results: list[list[str] | Exception] = []
        batches: list[PendingBatch] = []
        for write in writes:
            try:
                batch = self._prepare(write, None)
            except Exception as exc:
                results.append(exc)
                continue
            results.append([] if batch is None else [p["id"] for p in batch.prepared])
            if batch is not None:
                batch.extra[_RESULT] = len(results) - 1
                batches.append(batch)
        self._committer.submit_all(batches, self._commit_group, _now)
        for batch in batches:
            if batch.error is not None:
                error = batch.error
                if not isinstance(error, Exception):  # interrupted: nothing of it stored
                    raise error
                results[batch.extra[_RESULT]] = error
        return results

    def _prepare(self, write: StatementWrite, stored: datetime | None) -> PendingBatch | None:
        """Validate and prepare `write` for the group commit (None when it is empty)."""
        statements = write.statements
        validate_authority(write.authority)
        validate_statements(statements, write.version, from_json=write.from_json)
        if write.attachments is not None:
            check_attachments(statements, write.attachments)
            verify_signatures(statements, write.attachments, write.version, self.trusted_signers)
        if not statements:
            return None
        moment = stored if stored is not None else datetime.now(UTC)
        prepared = [
            prepare_statement(s, authority=write.authority, stored=moment, version=write.version)
            for s in statements
        ]
        batch = PendingBatch(
            statements=statements,
            prepared=prepared,
            candidates=_first_occurrences(statements, prepared),
            attachments=dict(write.attachments or {}),
            define=write.define,
            stored_given=stored is not None,
        )
        if len(prepared) >= _PREBUILD_MIN:
            # Everything the rows need but the commit's time, sequence numbers and lookups,
            # built here: concurrent writers do it while the group before them commits.
            batch.extra[_ROWS] = BatchRows(prepared)
            batch.extra[_DEFINITIONS] = batch_definitions(prepared) if write.define else {}
        return batch

    def get(self, statement_id: str) -> JsonObject | None:
        """The stored statement with this id, or None when unknown or voided."""
        return self._fetch(statement_id, voided=False)

    def get_voided(self, statement_id: str) -> JsonObject | None:
        """The voided statement with this id, or None when unknown or not voided."""
        return self._fetch(statement_id, voided=True)

    def count(self) -> int:
        """Number of stored statements, voided and voiding ones included."""
        row = self.engine.fetch_one("SELECT COUNT(*) FROM xapi_statements")
        return int(row[0]) if row else 0

    def consistent_through(self) -> datetime:
        """A time such that every statement stored (``stored``) up to it is readable: now,
        or just before the commit in progress in this process."""
        inflight = self._committer.inflight_since
        now = datetime.now(UTC)
        if inflight is None:
            return now
        return min(now, inflight - timedelta(milliseconds=1))

    # -- internals ---------------------------------------------------------------------------

    def _fetch(self, statement_id: str, *, voided: bool) -> JsonObject | None:
        if not is_uuid(statement_id):
            raise ValidationError("statementId", "must be a UUID in standard string form")
        row = self.engine.fetch_one(
            "SELECT statement FROM xapi_statements WHERE statement_id = CAST(? AS UUID) "
            "AND voided = ?",
            [statement_id.lower(), voided],
        )
        if row is None:
            return None
        statement: JsonObject = orjson.loads(row[0])
        return statement

    def _commit_group(self, group: list[PendingBatch]) -> dict[int, BaseException]:
        """Write the batches of `group` in one transaction; return the errors of the batches
        it rejected (conflicts), by position.

        Ids are rarely stored already, so the first attempt does not look them up: the
        primary key of ``xapi_statements`` refuses a stored id (finding them costs a join
        with the whole table). When the attempt fails, the group is written again with the
        lookup, which sorts out duplicates and conflicts (and reports any other failure).

        When every statement of the batches written is new (the usual case), their rows and
        Activity definitions prepared by `store` are combined; otherwise the rows of the new
        statements are built here.
        """
        try:
            return self._commit_attempt(group, check_stored=False)
        except StorageError:
            return self._commit_attempt(group, check_stored=True)

    def _commit_attempt(
        self, group: list[PendingBatch], *, check_stored: bool
    ) -> dict[int, BaseException]:
        errors: dict[int, BaseException] = {}
        definitions: dict[str, JsonObject] = {}
        keys = sorted({key for batch in group for key, _ in batch.candidates})
        actors = {ifi for batch in group for ifi in _actor_ifis(batch)}
        with self.engine.transaction():
            last_seq = self._reserve_seq(len(keys))
            found = self._lookup(keys, actors, check_stored=check_stored)
            existing = self._stored_json(found.stored)
            accepted: dict[str, tuple[JsonObject, JsonObject]] = {}
            new: list[JsonObject] = []
            writers: list[PendingBatch] = []
            whole = True  # every statement of the writers is new
            for position, batch in enumerate(group):
                try:
                    fresh = _new_statements(batch, existing, accepted)
                except ConflictError as exc:
                    errors[position] = exc
                    continue
                whole = whole and len(fresh) == len(batch.prepared)
                for index in fresh:
                    key = batch.prepared[index]["id"].lower()
                    accepted[key] = (batch.statements[index], batch.prepared[index])
                    new.append(batch.prepared[index])
                writers.append(batch)
            if len(new) != len(keys):
                self.engine.execute(_SET_SEQ_SQL, [last_seq + len(new), _SEQ_COUNTER])
            if new:
                moment: datetime = group[0].extra["moment"]
                new_ids = {id(p) for p in new}
                _stamp(writers, new_ids, moment)
                rows = BatchRows.concat([_rows(b) for b in writers]) if whole else None
                self._write(new, found, first_seq=last_seq + 1, rows=rows)
                definitions = self._write_extras(writers, new_ids, moment, whole=whole)
        self.activities.remember(definitions)  # committed: safe to rely on
        return errors

    def _write_extras(
        self, writers: list[PendingBatch], new_ids: set[int], moment: datetime, *, whole: bool
    ) -> dict[str, JsonObject]:
        """Attachment payloads and Activity definitions of the newly stored statements;
        returns the definitions merged (see `ActivityStore.merge`). With `whole` (every
        statement of `writers` is new) the definitions `store` gathered are used."""
        payloads = [a for batch in writers for a in batch.attachments.values()]
        if payloads:
            self.attachments.put(payloads, stored=moment)
        defining = [p for b in writers if b.define for p in b.prepared if id(p) in new_ids]
        if not defining:
            return {}
        # The latest stored time, not the clock: a demo stored "in the past" stays reproducible.
        updated = max(parse_timestamp(text) for text in {p["stored"] for p in defining})
        if whole:
            incoming = combine_definitions(_definitions(b) for b in writers if b.define)
            return self.activities.merge_definitions(incoming, updated=updated)
        return self.activities.merge(defining, updated=updated)

    def _lookup(self, keys: list[str], actors: Collection[str], *, check_stored: bool) -> _Lookup:
        """Ids among `keys` that stored voiding statements target, the people of `actors`
        and, with `check_stored`, the ids among `keys` stored already; one query."""
        ids = ",".join(keys)
        if check_stored:
            sql, params = _STORED_PART + _LOOKUP_SQL, [ids, ids, sorted(actors)]
        else:
            sql, params = _LOOKUP_SQL, [ids, sorted(actors)]
        found = _Lookup()
        for kind, value, person in self.engine.fetch_all(sql, params):
            if kind == "stored":
                found.stored.append(str(value))
            elif kind == "voided":
                found.voided.add(str(value))
            else:
                found.persons[str(value)] = str(person)
        return found

    def _stored_json(self, found: list[str]) -> dict[str, str]:
        """Statement JSON of the stored statements `found` (lower-case ids)."""
        if not found:
            return {}
        rows = self.engine.fetch_all(_STATEMENTS_SQL, [",".join(found)])
        return {str(statement_id): text for statement_id, text in rows}

    def _write(
        self,
        new: list[JsonObject],
        found: _Lookup,
        *,
        first_seq: int,
        rows: BatchRows | None = None,
    ) -> None:
        """Insert `new` (prepared, not stored yet) with ``seq`` from `first_seq` on, their
        query links, and apply their voiding, in the open transaction. `rows` are the
        `BatchRows` of exactly `new`, when built already."""
        by_key = {p["id"].lower(): p for p in new}
        targets = {voiding_target(p) for p in new if is_voiding(p)}
        voided = {t for t in targets if t in by_key and not is_voiding(by_key[t])}
        earlier_targets = targets - by_key.keys()
        if earlier_targets:
            ids = ",".join(sorted(earlier_targets))
            self.engine.execute(_VOID_SQL, [ids])
            self.engine.execute(_DROP_EVENTS_SQL, [ids])
        # Voiding statements stored before their target arrives void it on arrival.
        voided.update(key for key in found.voided if key in by_key and not is_voiding(by_key[key]))
        projection = BatchProjection(new, voided=voided, first_seq=first_seq, rows=rows)
        self.engine.bulk_insert("xapi_statements", projection.statement_table())
        agent_links, activity_links = projection.rows.link_tables()
        for table, link_rows in (
            ("xapi_statement_agents", agent_links),
            ("xapi_statement_activities", activity_links),
        ):
            if link_rows.num_rows:
                self.engine.bulk_insert(table, link_rows)
        if projection.event_rows:
            self.engine.bulk_insert("learning_events", projection.event_table(found.persons))

    def _reserve_seq(self, count: int) -> int:
        return reserve_seq(self.engine, count)


def reserve_seq(engine: Engine, count: int) -> int:
    """Lock the ``seq`` counter row for the running transaction and reserve `count` numbers;
    return the last ``seq`` used before them (the lock orders writers across processes)."""
    params = [count, _SEQ_COUNTER]
    rows = engine.fetch_all(_RESERVE_SEQ_SQL, params)
    if not rows:
        engine.execute(_INIT_SEQ_SQL, [_SEQ_COUNTER])
        rows = engine.fetch_all(_RESERVE_SEQ_SQL, params)
    return int(rows[0][0]) - count


@dataclass
class _Lookup:
    """What `StatementStore._lookup` found."""

    stored: list[str] = field(default_factory=list)
    voided: set[str] = field(default_factory=set)
    persons: dict[str, str] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def _actor_ifis(batch: PendingBatch) -> list[str]:
    """The actor IFIs of the statements of `batch`."""
    rows: BatchRows | None = batch.extra.get(_ROWS)
    if rows is not None:
        return rows.actor_ifis
    return [actor_ifi(p["actor"]) for p in batch.prepared]


def _rows(batch: PendingBatch) -> BatchRows:
    """The `BatchRows` of all statements of `batch` (built by `store`, or now)."""
    rows: BatchRows | None = batch.extra.get(_ROWS)
    return BatchRows(batch.prepared) if rows is None else rows


def _definitions(batch: PendingBatch) -> dict[str, JsonObject]:
    """The `batch_definitions` of all statements of `batch` (gathered by `store`, or now)."""
    definitions: dict[str, JsonObject] | None = batch.extra.get(_DEFINITIONS)
    return batch_definitions(batch.prepared) if definitions is None else definitions


def _new_statements(
    batch: PendingBatch,
    existing: Mapping[str, str],
    accepted: Mapping[str, tuple[JsonObject, JsonObject]],
) -> list[int]:
    """Indexes of the statements of `batch` to insert; `ConflictError` when one clashes with
    a stored statement or one accepted earlier in the group."""
    fresh: list[int] = []
    for key, index in batch.candidates:
        raw, prepared = batch.statements[index], batch.prepared[index]
        old = existing.get(key)
        if old is not None:
            if not _same_statement(raw, prepared, orjson.loads(old)):
                raise ConflictError(
                    f"statement {prepared['id']} is already stored with other content"
                )
        elif key in accepted:
            other_raw, other = accepted[key]
            if not _same_statement(raw, prepared, other, other_raw):
                raise ConflictError(
                    f"statement {prepared['id']} is already stored with other content"
                )
        else:
            fresh.append(index)
    return fresh


def _stamp(writers: list[PendingBatch], new_ids: set[int], moment: datetime) -> None:
    """Set ``stored`` (and a timestamp the LRS filled in) of the new statements whose batch
    did not fix ``stored`` to the commit time, so that ``stored`` order is ``seq`` order."""
    text = format_timestamp(moment)
    for batch in writers:
        if batch.stored_given:
            continue
        for raw, prepared in zip(batch.statements, batch.prepared, strict=True):
            if id(prepared) in new_ids:
                if "timestamp" not in raw:
                    prepared["timestamp"] = text
                prepared["stored"] = text


def _first_occurrences(
    statements: Sequence[JsonObject], prepared: Sequence[JsonObject]
) -> list[tuple[str, int]]:
    """(lower-case id, index) of each statement of the batch.

    A batch must not repeat an id (xAPI Communication 2.1.2): `ValidationError` (400).
    """
    first: dict[str, int] = {}
    for index, stmt in enumerate(prepared):
        key = stmt["id"].lower()
        earlier = first.setdefault(key, index)
        if earlier != index:
            raise ValidationError(
                f"statement[{index}].id", f"repeats the id of statement[{earlier}] in the batch"
            )
    return list(first.items())


def _same_statement(
    raw: JsonObject,
    prepared: JsonObject,
    other: JsonObject,
    other_raw: JsonObject | None = None,
) -> bool:
    """Whether `prepared` (from `raw`) and `other` are the same statement per xAPI comparison.

    A timestamp the LRS filled in (absent from the incoming statement) is not compared.
    """
    no_timestamp = "timestamp" not in raw or (
        other_raw is not None and "timestamp" not in other_raw
    )
    return canonical_json(prepared, ignore_timestamp=no_timestamp) == canonical_json(
        other, ignore_timestamp=no_timestamp
    )
