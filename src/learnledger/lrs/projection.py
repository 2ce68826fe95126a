"""Rows of ``xapi_statements`` and ``learning_events`` projected from prepared statements.

`BatchProjection` turns a batch of prepared statements (see
`learnledger.core.xapi.prepare_statement`) into Arrow tables ready for `Engine.bulk_insert`,
computing what both tables share (actor IFI, parsed timestamp) once per statement. It works
in two steps: `BatchRows` holds every column that does not depend on the commit (built
before a batch queues for its group commit, outside the commit's critical section), and
`BatchProjection` adds ``seq``, ``stored``, ``timestamp``, ``voided``, the statement JSON and
the person of each learning event.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any

import orjson
import pyarrow as pa

from learnledger.core.xapi import VOIDED_VERB, actor_ifi
from learnledger.core.xapi.timestamps import duration_seconds, parse_timestamp
from learnledger.lrs.links import LinkRows

JsonObject = dict[str, Any]

_TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Progress extensions read into ``learning_events.progress`` and the factor to 0..100.
PROGRESS_EXTENSIONS = {
    "https://w3id.org/xapi/cmi5/result/extensions/progress": 1.0,  # cmi5: 0..100
    "https://w3id.org/xapi/video/extensions/progress": 100.0,  # xAPI video profile: 0..1
}

STATEMENT_COLUMNS: dict[str, pa.DataType] = {
    "statement_id": pa.string(),
    "seq": pa.int64(),
    "stored": _TIMESTAMP,
    "timestamp": _TIMESTAMP,
    "version": pa.string(),
    "actor_ifi": pa.string(),
    "verb_id": pa.string(),
    "object_type": pa.string(),
    "object_id": pa.string(),
    "registration": pa.string(),
    "voided": pa.bool_(),
    "voiding_target": pa.string(),
    "authority_ifi": pa.string(),
    "statement": pa.string(),
}

EVENT_COLUMNS: dict[str, pa.DataType] = {
    "event_id": pa.string(),
    "person_id": pa.string(),
    "actor_ifi": pa.string(),
    "verb_id": pa.string(),
    "verb": pa.string(),
    "activity_id": pa.string(),
    "parent_activity_id": pa.string(),
    "registration": pa.string(),
    "score_scaled": pa.float64(),
    "score_raw": pa.float64(),
    "score_min": pa.float64(),
    "score_max": pa.float64(),
    "success": pa.bool_(),
    "completion": pa.bool_(),
    "duration_seconds": pa.float64(),
    "response": pa.string(),
    "progress": pa.float64(),
    "timestamp": _TIMESTAMP,
    "stored": _TIMESTAMP,
}


def is_voiding(statement: JsonObject) -> bool:
    """True for a (valid) voiding statement: the voided verb with a StatementRef object."""
    verb_id: str = statement["verb"]["id"]
    return verb_id == VOIDED_VERB


def voiding_target(statement: JsonObject) -> str:
    """The lower-cased id a voiding statement targets."""
    target: str = statement["object"]["id"]
    return target.lower()


class BatchRows:
    """What the rows of a batch of prepared statements hold independently of their commit.

    Everything but ``seq``, ``stored``, ``timestamp`` (the LRS fills a missing one in at
    commit time), ``voided``, the statement JSON (which holds ``stored``) and the person of
    a learning event: the columns of ``xapi_statements`` and ``learning_events`` and the
    query link tables (`link_tables`). The store builds these before it queues a batch for
    its group commit, so that the commit itself does little more than the inserts. Rows of
    several batches combine with `concat`.
    """

    def __init__(self, statements: Sequence[JsonObject]) -> None:
        self.count = len(statements)
        # Statements share actor objects (one per person and source): one IFI per object.
        # Keys are object identities, valid while `statements` (which holds them) is alive.
        ifi_of: dict[int, str] = {}
        self.actor_ifis = []
        for statement in statements:
            actor = statement["actor"]
            ifi = ifi_of.get(id(actor))
            if ifi is None:
                ifi = ifi_of[id(actor)] = actor_ifi(actor)
            self.actor_ifis.append(ifi)
        authority_ifis: dict[int, str] = {}
        ids: list[str] = []
        versions: list[str] = []
        verb_ids: list[str] = []
        object_types: list[str] = []
        object_ids: list[str | None] = []
        registrations: list[str | None] = []
        voiding_targets: list[str | None] = []
        authorities: list[str] = []
        #: Positions (in the batch) of the statements about an Activity: learning events.
        self.event_rows: list[int] = []
        events: list[tuple[Any, ...]] = []
        for position, stmt in enumerate(statements):
            obj = stmt["object"]
            verb_id: str = stmt["verb"]["id"]
            object_type = obj.get("objectType", "Activity")
            context = stmt.get("context")
            authority = stmt["authority"]  # usually one object shared by the whole batch
            authority_ifi = authority_ifis.get(id(authority))
            if authority_ifi is None:
                authority_ifi = authority_ifis[id(authority)] = actor_ifi(authority)
            registration = None if context is None else context.get("registration")
            ids.append(stmt["id"])
            versions.append(stmt["version"])
            verb_ids.append(verb_id)
            object_types.append(object_type)
            object_ids.append(
                obj["id"] if object_type == "Activity" else _object_id(obj, object_type)
            )
            registrations.append(registration)
            voiding_targets.append(obj["id"].lower() if verb_id == VOIDED_VERB else None)
            authorities.append(authority_ifi)
            if object_type == "Activity":
                self.event_rows.append(position)
                events.append(_event_fields(stmt, verb_id, registration))
        # Python lists, not Arrow arrays: a group commit converts the lists of all its
        # batches at once (an Arrow array per column per batch costs more for small batches).
        self.statement_columns: dict[str, list[Any]] = {
            "statement_id": ids,
            "actor_ifi": self.actor_ifis,
            "version": versions,
            "verb_id": verb_ids,
            "object_type": object_types,
            "object_id": object_ids,
            "registration": registrations,
            "voiding_target": voiding_targets,
            "authority_ifi": authorities,
        }
        self.event_columns: dict[str, list[Any]] = {
            name: list(values) for name, values in _transpose(_EVENT_ROW_FIELDS, events).items()
        }
        self.links = LinkRows(statements)
        self._link_tables: tuple[pa.Table, pa.Table] | None = None

    @classmethod
    def concat(cls, parts: Sequence[BatchRows]) -> BatchRows:
        """The rows of several batches, in order, as one (the parts are not changed)."""
        if len(parts) == 1:
            return parts[0]
        rows = cls.__new__(cls)
        rows.count = sum(part.count for part in parts)
        rows.event_rows = []
        offset = 0
        for part in parts:
            rows.event_rows.extend(position + offset for position in part.event_rows)
            offset += part.count
        rows.statement_columns = _concat_columns([part.statement_columns for part in parts])
        rows.actor_ifis = rows.statement_columns["actor_ifi"]
        rows.event_columns = _concat_columns([part.event_columns for part in parts])
        rows.links = LinkRows()
        for part in parts:
            rows.links.extend(part.links)
        rows._link_tables = None
        return rows

    def link_tables(self) -> tuple[pa.Table, pa.Table]:
        """The ``xapi_statement_agents`` and ``xapi_statement_activities`` rows (built once)."""
        if self._link_tables is None:
            self._link_tables = self.links.tables()
        return self._link_tables

    @property
    def agent_links(self) -> pa.Table:
        """The ``xapi_statement_agents`` rows."""
        return self.link_tables()[0]

    @property
    def activity_links(self) -> pa.Table:
        """The ``xapi_statement_activities`` rows."""
        return self.link_tables()[1]


class BatchProjection:
    """The table rows of a batch of new statements.

    `voided` holds the lower-case ids of the statements of the batch that are voided already
    (their voiding statement arrived first); they get no learning event. ``seq`` values are
    `first_seq`, `first_seq` + 1, ... in batch order. `rows` are the batch's `BatchRows`
    when the caller built them already (they must be of exactly these statements).
    """

    def __init__(
        self,
        statements: Sequence[JsonObject],
        *,
        voided: Collection[str],
        first_seq: int,
        rows: BatchRows | None = None,
    ) -> None:
        self.rows = rows if rows is not None else BatchRows(statements)
        if self.rows.count != len(statements):
            raise ValueError("the rows given are not those of the statements")
        self.statements = statements
        self.first_seq = first_seq
        self.voided = [s["id"].lower() in voided for s in statements] if voided else None
        self.actor_ifis = self.rows.actor_ifis
        flags = self.voided
        self.event_rows = (
            self.rows.event_rows
            if flags is None
            else [k for k in self.rows.event_rows if not flags[k]]
        )
        # Columns both tables share, converted once.
        self.shared = {
            "id": pa.array(self.rows.statement_columns["statement_id"], pa.string()),
            "actor_ifi": pa.array(self.actor_ifis, pa.string()),
            "timestamp": _timestamps([s["timestamp"] for s in statements]),
            "stored": _timestamps([s["stored"] for s in statements]),
        }

    def event_actor_ifis(self) -> set[str]:
        """The actors of the statements that become learning events."""
        ifis = self.actor_ifis
        return {ifis[k] for k in self.event_rows}

    def statement_table(self) -> pa.Table:
        """The ``xapi_statements`` rows."""
        dumps = orjson.dumps
        count = len(self.statements)
        shared = self.shared
        return _table(
            STATEMENT_COLUMNS,
            **{
                **self.rows.statement_columns,
                "statement_id": shared["id"],
                "actor_ifi": shared["actor_ifi"],
            },
            seq=pa.array(range(self.first_seq, self.first_seq + count), pa.int64()),
            stored=shared["stored"],
            timestamp=shared["timestamp"],
            voided=[False] * count if self.voided is None else self.voided,
            statement=[dumps(stmt).decode() for stmt in self.statements],
        )

    def event_table(self, person_ids: Mapping[str, str]) -> pa.Table:
        """The ``learning_events`` rows; actors missing from `person_ids` get NULL."""
        columns = self.rows.event_columns
        if self.voided is not None:
            flags = self.voided
            keep = [not flags[k] for k in self.rows.event_rows]
            columns = {
                name: [value for value, kept in zip(column, keep, strict=True) if kept]
                for name, column in columns.items()
            }
        take = pa.array(self.event_rows, pa.int64())
        shared = {name: column.take(take) for name, column in self.shared.items()}
        ifis = self.actor_ifis
        return _table(
            EVENT_COLUMNS,
            **columns,
            event_id=shared["id"],
            actor_ifi=shared["actor_ifi"],
            timestamp=shared["timestamp"],
            stored=shared["stored"],
            person_id=[person_ids.get(ifis[k]) for k in self.event_rows],
        )


def _event_fields(stmt: JsonObject, verb_id: str, registration: str | None) -> tuple[Any, ...]:
    """The `_EVENT_ROW_FIELDS` of a statement about an Activity."""
    context = stmt.get("context") or _EMPTY
    result = stmt.get("result") or _EMPTY
    score = result.get("score") or _EMPTY
    duration = result.get("duration")
    return (
        verb_id,
        _verb_name(verb_id),
        stmt["object"]["id"],
        _first_parent(context),
        registration,
        score.get("scaled"),
        score.get("raw"),
        score.get("min"),
        score.get("max"),
        result.get("success"),
        result.get("completion"),
        None if duration is None else _duration_seconds(duration),
        result.get("response"),
        _progress(result),
    )


def _concat_columns(parts: Sequence[Mapping[str, list[Any]]]) -> dict[str, list[Any]]:
    """Columns of several batches, concatenated name by name."""
    return {name: [value for part in parts for value in part[name]] for name in parts[0]}


_EMPTY: JsonObject = {}
# The learning_events fields of `_event_fields`, in the order of its tuples (the person,
# event id, actor, timestamp and stored time are added at commit).
_EVENT_ROW_FIELDS = (
    "verb_id",
    "verb",
    "activity_id",
    "parent_activity_id",
    "registration",
    "score_scaled",
    "score_raw",
    "score_min",
    "score_max",
    "success",
    "completion",
    "duration_seconds",
    "response",
    "progress",
)


def _transpose(fields: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    """Columns (by field name) of row tuples."""
    if not rows:
        return dict.fromkeys(fields, ())
    return dict(zip(fields, zip(*rows, strict=True), strict=True))


def _table(types: Mapping[str, pa.DataType], **columns: Any) -> pa.Table:
    """An Arrow table with exactly the columns of `types`, in that order and with those types."""
    return pa.table(
        {
            name: column if isinstance(column, pa.Array) else pa.array(column, kind)
            for name, kind in types.items()
            for column in (columns[name],)
        }
    )


def _timestamps(texts: list[str]) -> pa.Array:
    """Valid xAPI timestamps as a UTC timestamp array (Arrow's parser, Python's as fallback)."""
    try:
        return pa.array(texts, pa.string()).cast(_TIMESTAMP)
    except pa.ArrowInvalid:  # basic format, no offset, more than 6 fraction digits, ...
        return pa.array([parse_timestamp(text) for text in texts], _TIMESTAMP)


def _object_id(obj: JsonObject, object_type: str) -> str | None:
    if object_type == "Activity":
        activity_id: str = obj["id"]
        return activity_id
    if object_type == "StatementRef":
        ref: str = obj["id"]
        return ref.lower()
    if object_type in ("Agent", "Group"):
        return actor_ifi(obj)
    return None


def verb_name(verb_id: str) -> str:
    """The last segment of a verb IRI: ``.../verbs/completed`` gives ``completed`` and
    ``...verbs#sent-a-statement`` gives ``sent-a-statement``."""
    trimmed = verb_id.rstrip("/#")
    cut = max(trimmed.rfind("/"), trimmed.rfind("#"), trimmed.rfind(":"))
    return trimmed[cut + 1 :] or verb_id


# Verbs and many durations repeat from statement to statement.
_verb_name = lru_cache(maxsize=1024)(verb_name)
_duration_seconds = lru_cache(maxsize=4096)(duration_seconds)


def _first_parent(context: JsonObject) -> str | None:
    parents = (context.get("contextActivities") or _EMPTY).get("parent")
    if not parents:
        return None
    first = parents[0] if type(parents) is list else parents
    parent_id: str = first["id"]
    return parent_id


def _progress(result: JsonObject) -> float | None:
    extensions = result.get("extensions")
    if not extensions:
        return None
    for key, factor in PROGRESS_EXTENSIONS.items():
        value = extensions.get(key)
        if type(value) is int or type(value) is float:
            return float(value) * factor
    return None
