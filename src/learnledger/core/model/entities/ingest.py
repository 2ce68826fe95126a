"""Ingestion tables: quarantined rows, and the registry and lineage fields imports need."""

from __future__ import annotations

from learnledger.core.model.columns import date, integer, json, text, uuid
from learnledger.core.model.spec import AddColumn, Entity, Index, Operation
from learnledger.core.model.vocabulary import DPA_STATUSES

IMPORT_REJECTIONS = Entity(
    name="import_rejections",
    group="governance",
    description="Quarantine: every row an import rejected, with the cell and the reason; rows are "
    "never dropped silently.",
    primary_key=("run_id", "rejection_no"),
    columns=(
        uuid(
            "run_id",
            "Import run that rejected the row.",
            required=True,
            references="import_runs.run_id",
            example="1b1f7c1e-8a34-4c59-9b39-4c0f0f5b7e11",
        ),
        integer(
            "rejection_no",
            "Position of the rejection in the run, from 1.",
            required=True,
            example=1,
        ),
        integer(
            "row_number",
            "Row in the source (the header is row 1 in files with a header).",
            required=True,
            example=17,
        ),
        text("column_name", "Source column (or target column) at fault.", example="hire_date"),
        text("value", "The offending value as read.", example="31/02/2024"),
        text(
            "reason",
            "Why the row was rejected.",
            required=True,
            example="not a valid date (expected format %d/%m/%Y)",
        ),
        json("raw", "The whole source row as read.", example={"employee_id": "E-1"}),
    ),
    indexes=(Index("ix_import_rejections_row", ("run_id", "row_number")),),
)

ENTITIES: tuple[Entity, ...] = (IMPORT_REJECTIONS,)

#: Changes to existing tables, applied after ENTITIES.
OPERATIONS: tuple[Operation, ...] = (
    AddColumn(
        "data_sources",
        text("purpose", "Why the data is processed.", example="Link training to performance."),
    ),
    AddColumn(
        "data_sources",
        text(
            "personal_data_categories",
            "Categories of personal data held, comma-separated.",
            example="identification,employment",
        ),
    ),
    AddColumn("data_sources", text("vendor", "Vendor of the system, if any.", example="Workday")),
    AddColumn(
        "data_sources",
        text(
            "dpa_status",
            "Status of the data processing agreement with the vendor.",
            choices=DPA_STATUSES,
            example="signed",
        ),
    ),
    AddColumn(
        "data_sources",
        date("next_review_due", "When the next vendor risk review is due.", example="2026-01-20"),
    ),
    AddColumn(
        "import_runs",
        text("mapping_name", "Name of the mapping used.", example="hris_roster"),
    ),
    AddColumn(
        "import_runs",
        text("mapping_checksum", "SHA-256 of the mapping file.", example="5e884898da28..."),
    ),
    AddColumn(
        "import_runs",
        text("actor", "Who ran the import (OS user or --actor).", example="ana"),
    ),
    AddColumn(
        "import_runs",
        integer(
            "rows_unchanged", "Rows already stored with the same values.", default=0, example=4873
        ),
    ),
)
