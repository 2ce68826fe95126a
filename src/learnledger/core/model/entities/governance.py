"""Governance records: data sources, identities, consent, import runs and the audit log."""

from __future__ import annotations

from learnledger.core.model.columns import boolean, date, integer, json, text, timestamp, uuid
from learnledger.core.model.spec import Entity, Index
from learnledger.core.model.vocabulary import (
    CONSENT_PURPOSES,
    CONSENT_STATUSES,
    IMPORT_STATUSES,
    REVIEW_STATUSES,
    SOURCE_KINDS,
)

DATA_SOURCES = Entity(
    name="data_sources",
    group="governance",
    description="Registered data sources with owner, legal basis, retention and vendor review "
    "status.",
    primary_key=("source_id",),
    columns=(
        text("source_id", "Stable id.", required=True, example="hris"),
        text("name", "Display name.", required=True, example="HR system roster export"),
        text("kind", "Kind of system.", required=True, choices=SOURCE_KINDS, example="hris"),
        text(
            "owner",
            "Accountable owner (a role or team, not a person's name).",
            example="People Operations",
        ),
        text("description", "What the source holds.", example="Monthly roster export."),
        boolean(
            "contains_personal_data", "Whether rows identify people.", default=True, example=True
        ),
        text("legal_basis", "GDPR legal basis for processing.", example="legitimate_interest"),
        integer(
            "retention_days", "Days rows are kept before deletion or anonymisation.", example=1095
        ),
        text(
            "review_status",
            "Vendor / data-protection review status.",
            choices=REVIEW_STATUSES,
            default="not_reviewed",
            example="approved",
        ),
        date("last_reviewed_on", "Date of the last review.", example="2025-01-20"),
        timestamp(
            "registered_at", "When the source was registered.", example="2025-01-02T08:00:00Z"
        ),
    ),
)

IDENTITIES = Entity(
    name="identities",
    group="governance",
    description="Links an identifier seen in a source (xAPI actor IFI, LMS user id) to a person.",
    primary_key=("ifi",),
    columns=(
        text(
            "ifi",
            "Canonical identifier, e.g. 'mbox:mailto:ann@example.com' or "
            "'account:https://lms.example.com|ann'.",
            required=True,
            example="mbox:mailto:ann.lee@example.com",
        ),
        text(
            "person_id",
            "Person the identifier belongs to.",
            required=True,
            references="people.person_id",
            example="P000123",
        ),
        text(
            "kind",
            "mbox, mbox_sha1sum, account, openid or source_user_id.",
            required=True,
            example="mbox",
        ),
        text(
            "source_id",
            "Source the identifier came from.",
            references="data_sources.source_id",
            example="lrs",
        ),
        timestamp("linked_at", "When the link was made.", example="2025-01-02T08:00:00Z"),
    ),
    indexes=(Index("ix_identities_person", ("person_id",)),),
)

CONSENT_RECORDS = Entity(
    name="consent_records",
    group="governance",
    description="Consent per person and purpose; the latest record per person and purpose wins.",
    primary_key=("consent_id",),
    columns=(
        text("consent_id", "Stable id.", required=True, example="CON-000001"),
        text(
            "person_id", "Person.", required=True, references="people.person_id", example="P000123"
        ),
        text(
            "purpose",
            "Purpose the consent covers.",
            required=True,
            choices=CONSENT_PURPOSES,
            example="predictive_modelling",
        ),
        text(
            "status",
            "Granted or withdrawn.",
            required=True,
            choices=CONSENT_STATUSES,
            example="withdrawn",
        ),
        timestamp(
            "recorded_at",
            "When the decision took effect.",
            required=True,
            example="2025-05-04T12:00:00Z",
        ),
        text(
            "source_id",
            "Where the decision was captured.",
            references="data_sources.source_id",
            example="hris",
        ),
    ),
    indexes=(Index("ix_consent_records_person", ("person_id", "purpose")),),
)

IMPORT_RUNS = Entity(
    name="import_runs",
    group="governance",
    description="One import of one source file or query: counts, status and the full report.",
    primary_key=("run_id",),
    columns=(
        uuid("run_id", "Stable id.", required=True, example="1b1f7c1e-8a34-4c59-9b39-4c0f0f5b7e11"),
        text("source_id", "Source imported.", references="data_sources.source_id", example="hris"),
        text("entity", "Canonical entity written.", required=True, example="people"),
        text("location", "File name or query (no credentials).", example="roster-2025-03.csv"),
        text("checksum", "SHA-256 of the input.", example="9f86d081884c7d65..."),
        text("status", "Run status.", required=True, choices=IMPORT_STATUSES, example="succeeded"),
        timestamp("started_at", "Start.", required=True, example="2025-03-01T06:00:00Z"),
        timestamp("finished_at", "End.", example="2025-03-01T06:00:04Z"),
        integer("rows_read", "Rows read.", default=0, example=5120),
        integer("rows_inserted", "Rows inserted.", default=0, example=35),
        integer("rows_updated", "Rows updated.", default=0, example=212),
        integer("rows_rejected", "Rows rejected into quarantine.", default=0, example=3),
        json("report", "Full report: rejections by reason, warnings.", example={"rejected": {}}),
    ),
)

AUDIT_EVENTS = Entity(
    name="audit_events",
    group="governance",
    description="Append-only, hash-chained audit log: who did what, when, with what scope.",
    primary_key=("seq",),
    columns=(
        integer("seq", "Position in the chain, from 1.", required=True, example=1),
        timestamp(
            "occurred_at", "When it happened.", required=True, example="2025-03-01T06:00:00Z"
        ),
        text(
            "actor",
            "User or credential id (never a name or e-mail).",
            required=True,
            example="user:7",
        ),
        text(
            "action",
            "What was done, e.g. login, export, import, view_individual.",
            required=True,
            example="import",
        ),
        text("target", "What it was done to.", example="people"),
        json("details", "Scope and parameters, without personal data.", example={"rows": 5120}),
        text("prev_hash", "Hash of the previous entry.", required=True, example="0" * 64),
        text("hash", "SHA-256 over this entry and prev_hash.", required=True, example="ab12..."),
    ),
)

ENTITIES = (DATA_SOURCES, IDENTITIES, CONSENT_RECORDS, IMPORT_RUNS, AUDIT_EVENTS)
