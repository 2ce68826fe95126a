"""LRS tables for the statement resource: query links, attachments, activities, credentials."""

from __future__ import annotations

from dataclasses import replace

from learnledger.core.model.columns import boolean, integer, json, text, timestamp, uuid
from learnledger.core.model.spec import Entity, Index

XAPI_STATEMENT_AGENTS = Entity(
    name="xapi_statement_agents",
    group="xapi",
    description="The Agents and Groups a statement mentions beyond its actor_ifi, object_id "
    "and authority_ifi columns, for the agent and related_agents filters of "
    "GET /xapi/statements: members of a Group actor or object ('direct': they match the agent "
    "filter), and instructor, team, 2.0 context agents and groups, members of an authority "
    "Group and the Agents of a SubStatement (matching related_agents only).",
    primary_key=("statement_id", "ifi", "direct"),
    columns=(
        uuid(
            "statement_id",
            "The statement.",
            required=True,
            references="xapi_statements.statement_id",
            example="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        ),
        text(
            "ifi",
            "Canonical identifier of the Agent or Group.",
            required=True,
            example="mbox:mailto:ann.lee@example.com",
        ),
        boolean(
            "direct",
            "Whether it matches the agent filter (a member of the actor or object Group).",
            required=True,
            example=False,
        ),
    ),
    indexes=(Index("ix_xapi_statement_agents_ifi", ("ifi",)),),
)

XAPI_STATEMENT_ACTIVITIES = Entity(
    name="xapi_statement_activities",
    group="xapi",
    description="The Activities a statement mentions besides its object (object_id): context "
    "activities and the object and context activities of a SubStatement, for the "
    "related_activities filter of GET /xapi/statements.",
    primary_key=("statement_id", "activity_id"),
    columns=(
        uuid(
            "statement_id",
            "The statement.",
            required=True,
            references="xapi_statements.statement_id",
            example="fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        ),
        text(
            "activity_id",
            "Activity IRI.",
            required=True,
            example="https://learn.example.com/programmes/consultative-selling",
        ),
    ),
    indexes=(Index("ix_xapi_statement_activities_activity", ("activity_id",)),),
)

XAPI_ATTACHMENTS = Entity(
    name="xapi_attachments",
    group="xapi",
    description="Attachment payloads sent with statements (multipart/mixed), stored once per "
    "SHA-2 hash and served with GET /xapi/statements?attachments=true.",
    primary_key=("sha2",),
    columns=(
        text(
            "sha2",
            "Lower-case hex SHA-2 hash of the content, as in the statement's attachment.",
            required=True,
            example="495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
        ),
        text(
            "content_type",
            "Content type the part was sent with.",
            required=True,
            example="application/pdf",
        ),
        integer("length", "Size in bytes.", required=True, example=31204),
        text(
            "content",
            "The content, base64-encoded.",
            required=True,
            example="JVBERi0xLjcK",
        ),
        timestamp(
            "stored", "When it was first stored.", required=True, example="2025-02-03T10:40:01Z"
        ),
    ),
)

XAPI_ACTIVITIES = Entity(
    name="xapi_activities",
    group="xapi",
    description="The LRS's canonical Activity definitions, merged from the definitions in "
    "statements (language maps key by key), served by GET /xapi/activities.",
    primary_key=("activity_id",),
    columns=(
        text(
            "activity_id",
            "Activity IRI.",
            required=True,
            example="https://learn.example.com/courses/cs-101",
        ),
        json(
            "definition",
            "The merged Activity definition.",
            required=True,
            example={"name": {"en-US": "Consultative selling 101"}},
        ),
        timestamp(
            "updated",
            "When the definition last changed.",
            required=True,
            example="2025-02-03T10:40:01Z",
        ),
    ),
)

LRS_CREDENTIALS = Entity(
    name="lrs_credentials",
    group="xapi",
    description="Credentials of xAPI clients (HTTP Basic key and secret). The secret is "
    "stored only as an argon2id hash; 'authority' is the Agent written as the authority of "
    "the statements the credential stores.",
    primary_key=("credential_key",),
    columns=(
        text(
            "credential_key", "Public key (the Basic user name).", required=True, example="k3v9q2x8"
        ),
        text("name", "What the credential is for.", required=True, example="Moodle production"),
        text(
            "secret_hash",
            "argon2id hash of the secret.",
            required=True,
            example="$argon2id$v=19$m=65536,t=3,p=4$...",
        ),
        text(
            "scopes",
            "Comma-separated xAPI scopes: statements/write, statements/read, "
            "statements/read/mine, state, define, profile, all/read, all.",
            required=True,
            example="statements/write,statements/read/mine",
        ),
        json(
            "authority",
            "The authority Agent of the statements it stores.",
            required=True,
            example={"objectType": "Agent", "account": {"homePage": "https://lrs", "name": "k3"}},
        ),
        timestamp(
            "created_at", "When it was created.", required=True, example="2025-02-03T10:40:01Z"
        ),
        timestamp("revoked_at", "When it was revoked; empty while valid.", example=None),
    ),
)

ENTITIES: tuple[Entity, ...] = (
    XAPI_STATEMENT_AGENTS,
    XAPI_STATEMENT_ACTIVITIES,
    XAPI_ATTACHMENTS,
    XAPI_ACTIVITIES,
    LRS_CREDENTIALS,
)

#: Migration 0008: the link tables lose their primary keys. Their rows are unique by
#: construction (one row per distinct Agent or Activity of a statement, written only with
#: the statement, whose id `xapi_statements` keeps unique), so the keys checked nothing the
#: writers do not guarantee, and on DuckDB their in-memory indexes dominated the cost and
#: memory of large loads (about 2.3 link rows per statement, keys of a UUID and an IRI). A
#: plain index on `statement_id` serves the deletes and exports by statement instead.
LINK_REBUILDS: tuple[Entity, ...] = (
    replace(
        XAPI_STATEMENT_AGENTS,
        primary_key=(),
        indexes=(
            *XAPI_STATEMENT_AGENTS.indexes,
            Index("ix_xapi_statement_agents_statement", ("statement_id",)),
        ),
    ),
    replace(
        XAPI_STATEMENT_ACTIVITIES,
        primary_key=(),
        indexes=(
            *XAPI_STATEMENT_ACTIVITIES.indexes,
            Index("ix_xapi_statement_activities_statement", ("statement_id",)),
        ),
    ),
)
