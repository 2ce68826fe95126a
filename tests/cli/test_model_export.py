"""`learnledger model export` writes the data model starter, and docs/data-model.md is current."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.core.model.catalog import current_entities
from learnledger.core.model.documents import markdown_data_dictionary

ROOT = Path(__file__).resolve().parents[2]


def test_model_export_writes_ddl_schemas_templates_and_diagram(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["model", "export", str(tmp_path / "kit")])
    assert result.exit_code == 0, result.output
    kit = tmp_path / "kit"
    entities = current_entities()
    assert 'CREATE TABLE "people"' in (kit / "ddl" / "duckdb.sql").read_text()
    assert "JSONB" in (kit / "ddl" / "postgresql.sql").read_text()
    for name, ent in entities.items():
        schema = json.loads((kit / "json-schema" / f"{name}.json").read_text())
        assert list(schema["properties"]) == list(ent.column_names)
        assert set(schema["required"]) == {c.name for c in ent.columns if not c.nullable}
        with (kit / "csv-templates" / f"{name}.csv").open(newline="") as handle:
            header, example = list(csv.reader(handle))
        assert tuple(header) == ent.column_names
        assert len(example) == len(header)
    diagram = (kit / "data-model.mmd").read_text()
    assert diagram.startswith("erDiagram")
    assert 'people }o--o| org_units : "org_unit_id"' in diagram


def test_csv_template_examples_satisfy_their_json_schema(tmp_path: Path) -> None:
    """Every example value has the type its JSON Schema promises (a self-consistency check)."""
    CliRunner().invoke(app, ["model", "export", str(tmp_path)])
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
        "null": lambda v: v is None,
    }
    for path in (tmp_path / "json-schema").glob("*.json"):
        schema = json.loads(path.read_text())
        for name, prop in schema["properties"].items():
            allowed = prop.get("type")
            if allowed is None:
                continue
            types = allowed if isinstance(allowed, list) else [allowed]
            for example in prop.get("examples", []):
                assert any(checks[t](example) for t in types), (path.name, name, example)
                if "enum" in prop:
                    assert example in prop["enum"]


def test_docs_data_model_is_generated_from_the_current_model() -> None:
    documented = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    expected = markdown_data_dictionary(current_entities().values())
    assert documented == expected, (
        "docs/data-model.md is stale: run `learnledger model export /tmp/kit` and copy "
        "data-model.md into docs/"
    )
