"""xAPI statements as stored by the LRS, and learning events projected from them."""

from __future__ import annotations

from learnledger.core.model.columns import boolean, double, integer, json, text, timestamp, uuid
from learnledger.core.model.spec import Entity, Index

XAPI_STATEMENTS = Entity(
    name="xapi_statements",
    group="xapi",
    description="Every xAPI statement the LRS accepted, immutable, with the columns queries "
    "filter on.",
    primary_key=("statement_id",),
    columns=(
        uuid(
            "statement_id",
            "Statement id.",
            required=True,
            example="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        ),
        integer(
            "seq",
            "Monotonic storage order, used for ordering and paging.",
            required=True,
            example=1,
        ),
        timestamp(
            "stored", "When the LRS stored it.", required=True, example="2025-02-03T10:40:01Z"
        ),
        timestamp(
            "timestamp",
            "When the experience happened.",
            required=True,
            example="2025-02-03T10:40:00Z",
        ),
        text("version", "xAPI version of the statement.", required=True, example="2.0.0"),
        text(
            "actor_ifi",
            "Canonical identifier of the actor.",
            required=True,
            example="mbox:mailto:ann.lee@example.com",
        ),
        text(
            "verb_id",
            "Verb IRI.",
            required=True,
            example="http://adlnet.gov/expapi/verbs/completed",
        ),
        text(
            "object_type",
            "Activity, Agent, Group, StatementRef or SubStatement.",
            required=True,
            example="Activity",
        ),
        text(
            "object_id",
            "Activity id, agent IFI or referenced statement id.",
            example="https://learn.example.com/courses/cs-101",
        ),
        uuid(
            "registration", "Context registration.", example="9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
        ),
        boolean(
            "voided",
            "Whether a voiding statement targets it.",
            required=True,
            default=False,
            example=False,
        ),
        uuid("voiding_target", "For voiding statements: the statement voided.", example=None),
        text(
            "authority_ifi",
            "Canonical identifier of the authority.",
            example="account:https://learnledger.local|demo",
        ),
        json(
            "statement",
            "The full statement as stored.",
            required=True,
            example={"actor": {"mbox": "mailto:ann.lee@example.com"}},
        ),
    ),
    indexes=(
        Index("ix_xapi_statements_seq", ("seq",)),
        # Statement queries read one page in (stored, seq) order per filter (see
        # learnledger.lrs.statement_query): PostgreSQL walks these indexes backwards from the
        # cursor and stops after a page; DuckDB answers from zone maps (stored follows the
        # insertion order) and cannot scan a composite index at all, so migration 0012 drops
        # them there (`DUCKDB_UNUSED_STATEMENT_INDEXES`).
        Index("ix_xapi_statements_stored", ("stored", "seq")),
        Index("ix_xapi_statements_actor", ("actor_ifi", "stored", "seq")),
        Index("ix_xapi_statements_verb", ("verb_id", "stored", "seq")),
        # Also finds the StatementRef statements (object_type = 'StatementRef').
        Index("ix_xapi_statements_object", ("object_type", "object_id", "stored", "seq")),
        Index("ix_xapi_statements_registration", ("registration",)),
        # Finds the stored voiding statements that target newly arriving statements.
        Index("ix_xapi_statements_voiding_target", ("voiding_target",)),
    ),
)

#: The composite indexes of ``xapi_statements`` that DuckDB never scans (it scans an index only
#: for an equality or range filter on a single-column index); migration 0012 drops them on
#: DuckDB, where each insert maintained them for nothing.
DUCKDB_UNUSED_STATEMENT_INDEXES = (
    "ix_xapi_statements_stored",
    "ix_xapi_statements_actor",
    "ix_xapi_statements_verb",
    "ix_xapi_statements_object",
)

LEARNING_EVENTS = Entity(
    name="learning_events",
    group="xapi",
    description="One row per statement about an activity, projected for analytics: who, what, "
    "result and when; person_id is filled by identity resolution.",
    primary_key=("event_id",),
    columns=(
        uuid(
            "event_id",
            "The statement id.",
            required=True,
            example="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        ),
        text(
            "person_id",
            "Resolved person; empty while the actor is unknown.",
            references="people.person_id",
            example="P000123",
        ),
        text(
            "actor_ifi",
            "Canonical identifier of the actor.",
            required=True,
            example="mbox:mailto:ann.lee@example.com",
        ),
        text(
            "verb_id",
            "Verb IRI.",
            required=True,
            example="http://adlnet.gov/expapi/verbs/completed",
        ),
        text(
            "verb", "Short verb name (last segment of the IRI).", required=True, example="completed"
        ),
        text(
            "activity_id",
            "Activity IRI.",
            required=True,
            example="https://learn.example.com/courses/cs-101",
        ),
        text(
            "parent_activity_id",
            "First parent in contextActivities.",
            example="https://learn.example.com/programmes/consultative-selling",
        ),
        uuid(
            "registration", "Context registration.", example="9e13cefd-53d3-4eac-b5ed-2cf6693903bb"
        ),
        double("score_scaled", "result.score.scaled.", example=0.82),
        double("score_raw", "result.score.raw.", example=82.0),
        double("score_min", "result.score.min.", example=0.0),
        double("score_max", "result.score.max.", example=100.0),
        boolean("success", "result.success.", example=True),
        boolean("completion", "result.completion.", example=True),
        double("duration_seconds", "result.duration in seconds.", example=1520.0),
        text("response", "result.response.", example=None),
        double("progress", "Progress extension (0 to 100) when present.", example=None),
        timestamp(
            "timestamp",
            "When the experience happened.",
            required=True,
            example="2025-02-03T10:40:00Z",
        ),
        timestamp(
            "stored", "When the LRS stored it.", required=True, example="2025-02-03T10:40:01Z"
        ),
    ),
    indexes=(
        Index("ix_learning_events_person", ("person_id",)),
        Index("ix_learning_events_activity", ("activity_id",)),
        Index("ix_learning_events_actor", ("actor_ifi",)),
    ),
)

LRS_COUNTERS = Entity(
    name="lrs_counters",
    group="xapi",
    description="Named counters of the LRS. 'statement_seq' is the last xapi_statements.seq "
    "handed out; writers increment it with UPDATE ... RETURNING, whose row lock orders "
    "concurrent writers so that seq follows commit order on every engine.",
    primary_key=("name",),
    columns=(
        text("name", "Counter name.", required=True, example="statement_seq"),
        integer("value", "Last value handed out.", required=True, default=0, example=1250),
    ),
)

ENTITIES = (XAPI_STATEMENTS, LEARNING_EVENTS, LRS_COUNTERS)
