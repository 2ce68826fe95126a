"""Identity resolution: how identifiers were linked, person merges and splits, the rules used.

Migration ``0004_identity`` creates `ENTITIES` and applies `OPERATIONS` (new columns on
``identities`` and ``people``).
"""

from __future__ import annotations

from learnledger.core.model.columns import integer, json, text, timestamp, uuid
from learnledger.core.model.spec import AddColumn, Entity, Index, Operation

#: How an identity link was made (``identities.method``).
IDENTITY_METHODS = ("rule", "manual", "import")
#: Status of a person merge (``person_merges.status``).
MERGE_STATUSES = ("active", "split")

PERSON_MERGES = Entity(
    name="person_merges",
    group="governance",
    description="Two person records found to be one person: the merged person's rows were "
    "re-pointed to the kept one. A split undoes the merge (status 'split').",
    primary_key=("merge_id",),
    columns=(
        uuid(
            "merge_id", "Stable id.", required=True, example="4be0c2f4-5f7e-4d0e-9a43-2f1c7d0a9b55"
        ),
        text(
            "kept_person_id",
            "The surviving person.",
            required=True,
            references="people.person_id",
            example="P000123",
        ),
        text(
            "merged_person_id",
            "The person merged into the kept one (its row stays, with people.merged_into set).",
            required=True,
            references="people.person_id",
            example="P004711",
        ),
        text(
            "status",
            "active, or split once undone.",
            required=True,
            choices=MERGE_STATUSES,
            example="active",
        ),
        text("reason", "Why the records were merged.", required=True, example="HR ticket 1234"),
        text("actor", "Who merged (user or credential id).", required=True, example="cli:ana"),
        timestamp("merged_at", "When.", required=True, example="2025-03-01T06:00:00Z"),
        json(
            "moved",
            "Rows re-pointed, by 'table.column'; and rows left on the merged person because "
            "the kept person already has a row with the same key.",
            example={"moved": {"enrolments.person_id": 4}, "kept": {}},
        ),
        text("split_reason", "Why the merge was undone.", example=None),
        text("split_actor", "Who undid it.", example=None),
        timestamp("split_at", "When it was undone.", example=None),
    ),
    indexes=(
        Index("ix_person_merges_kept", ("kept_person_id",)),
        Index("ix_person_merges_merged", ("merged_person_id",)),
    ),
)

PERSON_MERGE_ROWS = Entity(
    name="person_merge_rows",
    group="governance",
    description="Every row a merge re-pointed (table, column, primary key as text), so that a "
    "split can move exactly those rows back.",
    primary_key=("merge_id", "table_name", "column_name", "row_key"),
    columns=(
        uuid(
            "merge_id",
            "The merge.",
            required=True,
            references="person_merges.merge_id",
            example="4be0c2f4-5f7e-4d0e-9a43-2f1c7d0a9b55",
        ),
        text("table_name", "Table of the row.", required=True, example="enrolments"),
        text("column_name", "Column re-pointed.", required=True, example="person_id"),
        text(
            "row_key",
            "The row's primary key as text (columns joined with '|'), without the re-pointed "
            "column.",
            required=True,
            example="ENR-000001",
        ),
    ),
)

IDENTITY_BLOCKS = Entity(
    name="identity_blocks",
    group="governance",
    description="Identifier-person pairs that identity resolution must never link again "
    "(written when a wrong link is split off).",
    primary_key=("ifi", "person_id"),
    columns=(
        text(
            "ifi",
            "Canonical identifier.",
            required=True,
            example="mbox:mailto:ann.lee@example.com",
        ),
        text(
            "person_id",
            "Person it must not be linked to.",
            required=True,
            references="people.person_id",
            example="P000123",
        ),
        text("reason", "Why.", required=True, example="two people share the address"),
        text("actor", "Who blocked it.", required=True, example="cli:ana"),
        timestamp("blocked_at", "When.", required=True, example="2025-03-01T06:00:00Z"),
    ),
)

IDENTITY_RULES = Entity(
    name="identity_rules",
    group="governance",
    description="Versions of the identity resolution rules (YAML); the highest version is in "
    "force for runs that name no rules file, such as the one after an HR import.",
    primary_key=("version",),
    columns=(
        integer("version", "Version, from 1.", required=True, example=1),
        text("content", "The rules YAML.", required=True, example="rules: [...]"),
        text("checksum", "SHA-256 of the content.", required=True, example="5e884898da28..."),
        text("location", "File the rules were read from.", example="identity-rules.yml"),
        text("actor", "Who recorded them.", required=True, example="cli:ana"),
        timestamp("recorded_at", "When.", required=True, example="2025-03-01T06:00:00Z"),
    ),
)

ENTITIES: tuple[Entity, ...] = (PERSON_MERGES, PERSON_MERGE_ROWS, IDENTITY_BLOCKS, IDENTITY_RULES)

#: Changes to existing tables, applied after ENTITIES.
OPERATIONS: tuple[Operation, ...] = (
    AddColumn(
        "identities",
        text(
            "method",
            "How the link was made: rule (identity resolution), manual, or import (empty for "
            "links written before 0004, which came from imports).",
            choices=IDENTITY_METHODS,
            example="rule",
        ),
    ),
    AddColumn(
        "identities",
        text("rule", "Name of the resolution rule that made the link.", example="email"),
    ),
    AddColumn(
        "people",
        text(
            "merged_into",
            "Set when this record was merged into another person (see person_merges); "
            "analytics count the surviving person only.",
            references="people.person_id",
            example=None,
        ),
    ),
)
