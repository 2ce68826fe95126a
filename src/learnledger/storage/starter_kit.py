"""The data model starter kit: everything a team needs to map its data into LearnLedger.

`write_data_model_starter(dir)` writes::

    README.md                 what is in the kit
    ddl/duckdb.sql            the schema for each engine, from the migrations
    ddl/postgresql.sql
    json-schema/<entity>.json one JSON Schema (draft 2020-12) per entity
    csv-templates/<entity>.csv header + one example row per entity
    data-model.md             the data dictionary with the Mermaid diagram
    data-model.mmd            the Mermaid diagram alone
"""

from __future__ import annotations

import json
from pathlib import Path

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.documents import (
    csv_template,
    json_schema,
    markdown_data_dictionary,
    mermaid_diagram,
)
from learnledger.core.model.migrations import MIGRATIONS
from learnledger.storage.ddl import render_schema_ddl
from learnledger.storage.dialect import DUCKDB, POSTGRESQL

_README = """# LearnLedger data model starter

- `ddl/` — the schema as SQL for DuckDB and PostgreSQL, generated from LearnLedger's migrations.
- `json-schema/` — one JSON Schema (draft 2020-12) per entity, to validate rows before import.
- `csv-templates/` — one CSV per entity: the header LearnLedger expects and an example row.
- `data-model.md` / `data-model.mmd` — the data dictionary and the entity diagram (Mermaid).

Required columns are marked in the JSON Schemas (`required`) and in the data dictionary.
"""


def write_data_model_starter(directory: Path) -> list[Path]:
    """Write the starter kit into `directory` (created if missing); return the files written."""
    entities = current_entities()
    files: dict[str, str] = {
        "README.md": _README,
        "ddl/duckdb.sql": render_schema_ddl(DUCKDB, MIGRATIONS),
        "ddl/postgresql.sql": render_schema_ddl(POSTGRESQL, MIGRATIONS),
        "data-model.md": markdown_data_dictionary(entities.values()),
        "data-model.mmd": mermaid_diagram(entities.values()),
    }
    for name, entity in sorted(entities.items()):
        files[f"json-schema/{name}.json"] = json.dumps(json_schema(entity), indent=2) + "\n"
        files[f"csv-templates/{name}.csv"] = csv_template(entity)
    written = []
    for relative, content in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
        written.append(path)
    return written
