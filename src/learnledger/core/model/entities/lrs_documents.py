"""LRS tables for the document resources: state, activity profile, agent profile."""

from __future__ import annotations

from learnledger.core.model.columns import integer, text, timestamp
from learnledger.core.model.spec import Entity

#: The three document resources of xAPI.
DOCUMENT_KINDS = ("state", "activity_profile", "agent_profile")

LRS_DOCUMENTS = Entity(
    name="lrs_documents",
    group="xapi",
    description="Documents of the xAPI document resources (State, Activity Profile, Agent "
    "Profile), stored as sent: any content type, bytes unchanged. A key part a kind does not "
    "use is the empty string (an activity profile has no agent, a state without registration "
    "has registration '').",
    primary_key=("kind", "activity_id", "agent_ifi", "registration", "document_id"),
    columns=(
        text("kind", "Which resource.", required=True, choices=DOCUMENT_KINDS, example="state"),
        text(
            "activity_id",
            "Activity IRI (state, activity profile); '' for an agent profile.",
            required=True,
            example="https://learn.example.com/courses/cs-101",
        ),
        text(
            "agent_ifi",
            "Canonical identifier of the Agent (state, agent profile); '' for an activity profile.",
            required=True,
            example="mbox:mailto:ann.lee@example.com",
        ),
        text(
            "registration",
            "Registration UUID of a state document in lower case; '' when none was given.",
            required=True,
            example="9e13cefd-53d3-4eac-b5ed-2cf6693903bb",
        ),
        text(
            "document_id",
            "The stateId or profileId the client chose.",
            required=True,
            example="bookmark",
        ),
        text(
            "content_type",
            "Content-Type the document was sent with.",
            required=True,
            example="application/json",
        ),
        text(
            "content",
            "The document's bytes, base64-encoded.",
            required=True,
            example="eyJwYWdlIjogMTJ9",
        ),
        integer("length", "Size of the document in bytes.", required=True, example=12),
        text(
            "etag",
            "Lower-case hex SHA-1 of the content: the ETag, without its quotes.",
            required=True,
            example="0f6b7e4ef0e5c1b2c8a8f6de14a1c4f1b8d0e5a7",
        ),
        timestamp(
            "updated",
            "When the document was last written (Last-Modified; the since filter).",
            required=True,
            example="2025-02-03T10:40:01Z",
        ),
    ),
)

ENTITIES: tuple[Entity, ...] = (LRS_DOCUMENTS,)
