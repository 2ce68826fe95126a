"""The ordered list of schema migrations: the schema as code.

Rules: never edit a migration once it has shipped (the migrator stores a checksum of each
applied migration and refuses a database whose history differs); change the schema by appending
a new migration. `learnledger.core.model.catalog.current_entities()` folds the list into the
current model, which documentation and exports are generated from.
"""

from __future__ import annotations

from learnledger.core.model.entities import (
    access,
    assessment,
    dataset_imports,
    governance,
    identity,
    ingest,
    learning,
    lrs_documents,
    lrs_statements,
    organisation,
    outcomes,
    risk_models,
    views,
    workforce,
)
from learnledger.core.model.entities import xapi as xapi_entities
from learnledger.core.model.spec import CreateTable, DropIndex, Migration, RebuildTable

M0001_CANONICAL_MODEL = Migration(
    id="0001_canonical_model",
    description="Canonical model: organisation, learning, assessment, outcomes, governance, xAPI.",
    operations=tuple(
        CreateTable(entity)
        for entity in (
            *governance.ENTITIES,
            *organisation.ENTITIES,
            *learning.ENTITIES,
            *assessment.ENTITIES,
            *outcomes.ENTITIES,
            *xapi_entities.ENTITIES,
        )
    ),
)

M0002_LRS = Migration(
    id="0002_lrs",
    description="Learning Record Store: statement links, attachments, activities, credentials, "
    "documents.",
    operations=tuple(
        CreateTable(entity) for entity in (*lrs_statements.ENTITIES, *lrs_documents.ENTITIES)
    ),
)

M0003_INGEST = Migration(
    id="0003_ingest",
    description="Ingestion: quarantine of rejected rows, data source registry details.",
    operations=(*(CreateTable(entity) for entity in ingest.ENTITIES), *ingest.OPERATIONS),
)

M0004_IDENTITY = Migration(
    id="0004_identity",
    description="Identity resolution: link method and rule, person merges and splits, blocked "
    "links, rule versions.",
    operations=(*(CreateTable(entity) for entity in identity.ENTITIES), *identity.OPERATIONS),
)

M0005_DATASET_IMPORTS = Migration(
    id="0005_dataset_imports",
    description="Dataset imports: interaction counts on learning events, the file of a "
    "quarantined row.",
    operations=dataset_imports.OPERATIONS,
)

M0006_GOVERNANCE = Migration(
    id="0006_governance",
    description="Governance: web users and sessions, sign-in throttling, source reviews, "
    "retention runs, erasure tombstones, the sealed head of the audit chain.",
    operations=(*(CreateTable(entity) for entity in access.ENTITIES), *access.OPERATIONS),
)

M0007_SAVED_VIEWS = Migration(
    id="0007_saved_views",
    description="Dashboards: saved views (a metric with its filters and chart) and their pins.",
    operations=tuple(CreateTable(entity) for entity in views.ENTITIES),
)

M0008_STATEMENT_LINK_KEYS = Migration(
    id="0008_statement_link_keys",
    description="LRS: the statement link tables are indexed by statement instead of keyed by "
    "(statement, agent or activity); their rows are unique by construction, and the composite "
    "keys made bulk loads slow and memory-hungry on DuckDB.",
    operations=tuple(RebuildTable(entity) for entity in lrs_statements.LINK_REBUILDS),
)

M0009_RISK_MODELS = Migration(
    id="0009_risk_models",
    description="Insights: trained early-warning models with their cards and signatures.",
    operations=tuple(CreateTable(entity) for entity in risk_models.ENTITIES),
)

M0011_HEADCOUNT_PLANS = Migration(
    id="0011_headcount_plans",
    description="Workforce planning: planned headcount per role (and org unit) and quarter.",
    operations=tuple(CreateTable(entity) for entity in workforce.ENTITIES),
)

M0012_DUCKDB_STATEMENT_INDEXES = Migration(
    id="0012_duckdb_statement_indexes",
    description="LRS on DuckDB: xapi_statements loses its composite (column, stored, seq) "
    "indexes there. DuckDB scans an index only for a filter on a single-column index, so it "
    "never read them (statement queries use zone maps and a top-N), while every insert "
    "maintained them; PostgreSQL keeps them for its ordered index scans.",
    operations=tuple(
        DropIndex("xapi_statements", name, engines=("duckdb",))
        for name in xapi_entities.DUCKDB_UNUSED_STATEMENT_INDEXES
    ),
)

MIGRATIONS: tuple[Migration, ...] = (
    M0001_CANONICAL_MODEL,
    M0002_LRS,
    M0003_INGEST,
    M0004_IDENTITY,
    M0005_DATASET_IMPORTS,
    M0006_GOVERNANCE,
    M0007_SAVED_VIEWS,
    M0008_STATEMENT_LINK_KEYS,
    M0009_RISK_MODELS,
    M0011_HEADCOUNT_PLANS,
    M0012_DUCKDB_STATEMENT_INDEXES,
)
