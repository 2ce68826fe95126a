"""Governance, privacy and access control: users, sessions, reviews, retention, erasure.

Migration ``0006_governance`` creates `ENTITIES` and applies `OPERATIONS`. Users of the web app
and its API are separate from LRS credentials; they carry one role and the scope it applies to.
"""

from __future__ import annotations

from learnledger.core.model.columns import boolean, date, integer, json, text, timestamp
from learnledger.core.model.spec import AddColumn, Entity, Index, Operation

#: Roles of web/API users, from most to least privileged (``app_users.role``).
USER_ROLES = (
    "admin",
    "analyst",
    "executive",
    "programme_owner",
    "manager",
    "learner",
    "auditor",
)
#: Outcome of a vendor / data-protection review (``source_reviews.outcome``).
REVIEW_OUTCOMES = ("approved", "approved_with_conditions", "rejected")
#: What retention does with rows past their period (``data_sources.retention_action``).
RETENTION_ACTIONS = ("delete", "anonymise")

APP_USERS = Entity(
    name="app_users",
    group="governance",
    description="People who sign in to the web app and its API, with one role and its scope.",
    primary_key=("user_id",),
    columns=(
        text("user_id", "Stable id.", required=True, example="U000001"),
        text("username", "Sign-in name (unique, case-insensitive).", required=True, example="ana"),
        text(
            "password_hash",
            "argon2id hash of the password (never the password).",
            required=True,
            example="$argon2id$v=19$m=65536,t=3,p=4$...",
        ),
        text("role", "Role.", required=True, choices=USER_ROLES, example="manager"),
        text(
            "org_unit_id",
            "Manager scope: the org unit whose subtree the user may see.",
            references="org_units.org_unit_id",
            example="OU-SALES",
        ),
        text(
            "person_id",
            "The person the user is (learner scope: own data only).",
            references="people.person_id",
            example="P000123",
        ),
        json(
            "programme_ids",
            "Programme owner scope: the programmes the user owns.",
            example=["PRG-LEAD"],
        ),
        boolean("disabled", "Disabled users cannot sign in.", default=False, example=False),
        timestamp(
            "created_at", "When the user was added.", required=True, example="2026-03-02T09:00:00Z"
        ),
        timestamp(
            "updated_at", "Last change of role, scope or password.", example="2026-03-02T09:30:00Z"
        ),
        timestamp("last_login_at", "Last successful sign-in.", example="2026-03-02T09:30:00Z"),
    ),
    indexes=(Index("ux_app_users_username", ("username",), unique=True),),
)

APP_SESSIONS = Entity(
    name="app_sessions",
    group="governance",
    description="Signed-in sessions. Only a hash of the session token is stored.",
    primary_key=("token_hash",),
    columns=(
        text("token_hash", "SHA-256 of the session token.", required=True, example="9f86d0..."),
        text("user_id", "User.", required=True, references="app_users.user_id", example="U000001"),
        timestamp("created_at", "Sign-in time.", required=True, example="2026-03-02T09:00:00Z"),
        timestamp("expires_at", "Absolute expiry.", required=True, example="2026-03-02T09:00:00Z"),
        timestamp(
            "last_seen_at",
            "Last request (idle timeout).",
            required=True,
            example="2026-03-02T09:00:00Z",
        ),
        timestamp("revoked_at", "Sign-out or revocation time.", example="2026-03-02T09:30:00Z"),
    ),
    indexes=(Index("ix_app_sessions_user", ("user_id",)),),
)

LOGIN_ATTEMPTS = Entity(
    name="login_attempts",
    group="governance",
    description="Sign-in attempts for throttling; names and addresses are kept only as keyed "
    "fingerprints.",
    primary_key=("attempt_id",),
    columns=(
        text("attempt_id", "Stable id.", required=True, example="c1b2..."),
        text(
            "username_key",
            "Keyed fingerprint of the username tried.",
            required=True,
            example="3f1c9a0e...",
        ),
        text(
            "client_key",
            "Keyed fingerprint of the client address.",
            required=True,
            example="b72e04d1...",
        ),
        boolean("succeeded", "Whether the attempt signed in.", required=True, example=False),
        timestamp("occurred_at", "When.", required=True, example="2026-03-02T09:00:00Z"),
    ),
    indexes=(
        Index("ix_login_attempts_user", ("username_key", "occurred_at")),
        Index("ix_login_attempts_client", ("client_key", "occurred_at")),
    ),
)

SOURCE_REVIEWS = Entity(
    name="source_reviews",
    group="governance",
    description="Vendor risk / data-protection reviews of a data source: the review history.",
    primary_key=("review_id",),
    columns=(
        text("review_id", "Stable id.", required=True, example="REV-000001"),
        text(
            "source_id",
            "Source reviewed.",
            required=True,
            references="data_sources.source_id",
            example="hris",
        ),
        text("reviewer", "Who reviewed (a role or team).", required=True, example="DPO office"),
        date("reviewed_on", "Date of the review.", required=True, example="2026-01-20"),
        text("outcome", "Outcome.", required=True, choices=REVIEW_OUTCOMES, example="approved"),
        date("next_due", "When the next review is due.", required=True, example="2027-01-20"),
        text("notes", "Conditions and findings.", example="DPA signed; EU hosting."),
        text("recorded_by", "User who recorded the review.", example="U000001"),
        timestamp(
            "recorded_at", "When it was recorded.", required=True, example="2026-03-02T09:00:00Z"
        ),
    ),
    indexes=(Index("ix_source_reviews_source", ("source_id", "reviewed_on")),),
)

RETENTION_RUNS = Entity(
    name="retention_runs",
    group="governance",
    description="Runs of retention enforcement: what was (or, in a dry run, would be) deleted "
    "or anonymised, by source and table.",
    primary_key=("run_id",),
    columns=(
        text("run_id", "Stable id.", required=True, example="RET-20260101-000001"),
        timestamp("started_at", "Start.", required=True, example="2026-03-02T09:00:00Z"),
        timestamp("finished_at", "End.", example="2026-03-02T09:30:00Z"),
        boolean("dry_run", "Whether nothing was changed.", required=True, example=True),
        text(
            "actor",
            "Who ran it (user, cli:<name> or scheduler).",
            required=True,
            example="system:scheduler",
        ),
        json("report", "Rows affected by source, table and action.", example={}),
    ),
)

ERASED_SUBJECTS = Entity(
    name="erased_subjects",
    group="governance",
    description="Tombstones of erased people: keyed fingerprints of their identifiers only, so "
    "a later import of the same person can be recognised without storing who they were.",
    primary_key=("subject_key",),
    columns=(
        text(
            "subject_key",
            "Keyed fingerprint (HMAC-SHA-256) of one identifier of the erased person.",
            required=True,
            example="5e88...",
        ),
        text("erasure_id", "Erasure this tombstone belongs to.", required=True, example="ERA-1"),
        timestamp("erased_at", "When.", required=True, example="2026-03-02T09:00:00Z"),
    ),
)

AUDIT_CHAIN_HEAD = Entity(
    name="audit_chain_head",
    group="governance",
    description="The latest audit entry's seq and hash, sealed with a keyed MAC, so that "
    "removing entries from the end of the log is detected.",
    primary_key=("chain",),
    columns=(
        text("chain", "Chain name.", required=True, example="audit"),
        integer("seq", "Latest seq.", required=True, example=42),
        text("hash", "Latest entry hash.", required=True, example="ab12..."),
        text("seal", "HMAC-SHA-256 over chain, seq and hash.", required=True, example="cd34..."),
    ),
)

ENTITIES: tuple[Entity, ...] = (
    APP_USERS,
    APP_SESSIONS,
    LOGIN_ATTEMPTS,
    SOURCE_REVIEWS,
    RETENTION_RUNS,
    ERASED_SUBJECTS,
    AUDIT_CHAIN_HEAD,
)

#: Changes to existing tables, applied after ENTITIES.
OPERATIONS: tuple[Operation, ...] = (
    AddColumn(
        "data_sources",
        text(
            "retention_action",
            "What happens to rows past the retention period.",
            choices=RETENTION_ACTIONS,
            default="delete",
            example="anonymise",
        ),
    ),
    AddColumn(
        "consent_records",
        text("recorded_by", "Who recorded the decision (user or cli:<name>).", example="U000001"),
    ),
)
