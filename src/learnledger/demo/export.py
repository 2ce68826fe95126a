"""`export_demo`: write the demo organisation as the files its source systems would export.

```python
summary = export_demo(engine, Path("northbridge-exports"))
# hris/worker_roster.csv, lms/enrollments.csv, crm/performance_monthly.csv, ...,
# lrs/statements.ndjson, manifest.json and import.sh (the commands that import it all back)
```

Each CSV file is the inverse of its shipped mapping (see `export_files`), so importing every
file with its mapping (`learnledger import ENTITY FILE --mapping demo_...`) gives back the same
canonical rows. The files are written into a temporary directory beside the target and moved
into it only when all of them are written: a failed export leaves no partial set.
"""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from learnledger.core.model.spec import ColumnType, Entity
from learnledger.demo.export_files import (
    EXPORT_FILES,
    STATEMENTS_FILE,
    STATEMENTS_SOURCE,
    ExportFile,
)
from learnledger.errors import NotFoundError, ValidationError
from learnledger.ingest import MAPPINGS_DIR, load_mapping
from learnledger.ingest.mapping import ColumnRule, Mapping
from learnledger.storage import Engine

ProgressCallback = Callable[[str, int, int], None]

STAGE_EXPORT = "Writing export files"
MANIFEST_FILE = "manifest.json"
IMPORT_SCRIPT = "import.sh"
XAPI_ENTITY = "xapi_statements"
_ISO_TIMESTAMP = "%Y-%m-%dT%H:%M:%S.%fZ"
_ISO_DATE = "%Y-%m-%d"
_STATEMENT_BATCH = 10_000


@dataclass(frozen=True)
class ExportedFile:
    """One file written: where (relative to the export directory), what it imports into."""

    path: str
    entity: str
    mapping: str | None
    source_id: str
    rows: int

    def import_command(self) -> list[str]:
        """The `learnledger import` arguments that load this file back."""
        command = ["import", self.entity, self.path]
        if self.mapping is not None:
            command += ["--mapping", self.mapping]
        return [*command, "--source", self.source_id]


@dataclass
class ExportSummary:
    """What `export_demo` wrote."""

    directory: Path
    files: list[ExportedFile]
    sources: list[dict[str, Any]] = field(default_factory=list)

    def source_commands(self) -> list[list[str]]:
        """`learnledger sources add` arguments registering every source the files come from."""
        return [_source_command(s) for s in self.sources]

    def as_manifest(self) -> dict[str, Any]:
        """The content of ``manifest.json``."""
        return {
            "generator": "learnledger demo export",
            "files": [vars(f) for f in self.files],
            "sources": self.sources,
            "commands": [*self.source_commands(), *(f.import_command() for f in self.files)],
        }


def export_demo(
    engine: Engine, directory: Path | str, *, progress: ProgressCallback | None = None
) -> ExportSummary:
    """Write every source-system export of the organisation in `engine` into `directory`.

    Raises NotFoundError when the database holds no organisation (no people). Files already
    in `directory` with the same names are replaced; other files are left alone.
    """
    target = Path(directory)
    if engine.fetch_one("SELECT 1 FROM people LIMIT 1") is None:
        raise NotFoundError(
            "the database holds no demo organisation to export; build one first with "
            "`learnledger demo --no-serve`"
        )
    if target.exists() and not target.is_dir():
        raise ValidationError(str(target), "exists and is not a directory")
    report = progress or (lambda stage, done, total: None)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        files = _write_all(engine, staging, report)
        summary = ExportSummary(target, files, _sources(engine, {f.source_id for f in files}))
        (staging / MANIFEST_FILE).write_bytes(
            orjson.dumps(summary.as_manifest(), option=orjson.OPT_INDENT_2) + b"\n"
        )
        (staging / IMPORT_SCRIPT).write_text(_import_script(summary), encoding="utf-8")
        _move_into(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def _write_all(engine: Engine, out: Path, report: ProgressCallback) -> list[ExportedFile]:
    total = len(EXPORT_FILES) + 1
    report(STAGE_EXPORT, 0, total)
    files: list[ExportedFile] = []
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for done, spec in enumerate(EXPORT_FILES, start=1):
            files += _write_spec(engine, con, spec, out)
            report(STAGE_EXPORT, done, total)
    finally:
        con.close()
    files.append(_write_statements(engine, out))
    report(STAGE_EXPORT, total, total)
    return files


def _write_spec(
    engine: Engine, con: duckdb.DuckDBPyConnection, spec: ExportFile, out: Path
) -> list[ExportedFile]:
    mapping = load_mapping(MAPPINGS_DIR / f"{spec.mapping}.yml")
    model = mapping.main.model
    table = _quote(model.name)
    if spec.per_source:
        found = engine.fetch_all(
            f"SELECT DISTINCT source_id FROM {table} WHERE source_id IS NOT NULL ORDER BY 1"
        )
        sources = [str(row[0]) for row in found]
    else:
        sources = [spec.source_id or mapping.source or ""]
    written = []
    for source in sources:
        sql = f"SELECT * FROM {table}"
        params: list[Any] = []
        if "source_id" in model.column_names:
            sql += " WHERE source_id = ?"
            params.append(source)
        rows = engine.fetch_arrow(sql, params)
        path = spec.path.format(source=source)
        _write_csv(con, mapping, spec, model, rows, out / path)
        written.append(ExportedFile(path, model.name, mapping.name, source, rows.num_rows))
    return written


def _write_csv(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    spec: ExportFile,
    model: Entity,
    rows: pa.Table,
    path: Path,
) -> None:
    """COPY the rows, rendered as the mapping reads them, to a CSV file at `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = _export_columns(mapping, spec, model)
    order = ", ".join(_quote(k) for k in model.primary_key)
    select = ", ".join(f"{expr} AS {_quote(name)}" for name, expr in columns.items())
    delimiter = mapping.read.delimiter or ","
    quote = mapping.read.quote or '"'
    con.register("__export", rows)
    try:
        con.execute(
            f"COPY (SELECT {select} FROM __export ORDER BY {order}) TO {_literal(str(path))} "
            f"(FORMAT CSV, HEADER TRUE, DELIMITER {_literal(delimiter)}, QUOTE {_literal(quote)}, "
            f"ESCAPE {_literal(quote)})"
        )
    finally:
        con.unregister("__export")


def _export_columns(mapping: Mapping, spec: ExportFile, model: Entity) -> dict[str, str]:
    """Source column name -> SQL over the canonical columns, in the mapping's order."""
    columns: dict[str, str] = {}
    for rule in mapping.main.columns:
        if rule.source is not None and rule.source not in columns:
            columns[rule.source] = _rendered(rule, model.column(rule.target).type)
        elif rule.expr is not None:
            for name, expr in spec.extra.items():
                if name in rule.expr and name not in columns:
                    columns[name] = expr
    for name, expr in spec.extra.items():
        columns.setdefault(name, expr)
    return columns


def _rendered(rule: ColumnRule, ctype: ColumnType) -> str:
    """The canonical column as the text the rule reads: formatted, then inversely mapped."""
    column = _quote(rule.target)
    if ctype is ColumnType.DATE:
        text = f"strftime({column}, {_literal(rule.format or _ISO_DATE)})"
    elif ctype is ColumnType.TIMESTAMP:
        text = f"strftime({column}, {_literal(rule.format or _ISO_TIMESTAMP)})"
    else:
        text = f"CAST({column} AS VARCHAR)"
    inverse: dict[str, str] = {}
    for source_text, target in (rule.value_map or {}).items():
        if target is not None:
            inverse.setdefault(_canonical_text(target), source_text)
    if not inverse:
        return text
    cases = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in inverse.items())
    return f"(CASE {text} {cases} ELSE {text} END)"


def _canonical_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_statements(engine: Engine, out: Path) -> ExportedFile:
    """Every stored statement, in storage order, one JSON object per line."""
    path = out / STATEMENTS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("wb") as handle:
        batches = engine.iter_batches(
            "SELECT CAST(statement AS TEXT) AS statement FROM xapi_statements ORDER BY seq",
            batch_size=_STATEMENT_BATCH,
        )
        for batch in batches:
            for text in batch.column(0).to_pylist():
                handle.write(orjson.dumps(orjson.loads(text)) + b"\n")
                count += 1
    return ExportedFile(STATEMENTS_FILE, XAPI_ENTITY, None, STATEMENTS_SOURCE, count)


def _sources(engine: Engine, used: set[str]) -> list[dict[str, Any]]:
    """The registered facts of the data sources the files come from, for re-registration."""
    rows = engine.fetch_dicts("SELECT * FROM data_sources ORDER BY source_id")
    found = {str(r["source_id"]): r for r in rows}
    missing = sorted(used - set(found))
    if missing:
        raise NotFoundError(f"data source(s) {', '.join(missing)} of the export are not registered")
    return [
        {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in found[s].items()}
        for s in sorted(used)
    ]


def _source_command(source: dict[str, Any]) -> list[str]:
    """`learnledger sources add` arguments for a data source row."""
    purpose = source.get("purpose") or source.get("description") or source["name"]
    command = [
        "sources", "add", str(source["source_id"]),
        "--name", str(source["name"]),
        "--kind", str(source["kind"]),
        "--owner", str(source.get("owner") or "unknown"),
        "--purpose", str(purpose),
        "--legal-basis", str(source.get("legal_basis") or "legitimate_interest"),
    ]  # fmt: skip
    options = {
        "--categories": source.get("personal_data_categories"),
        "--vendor": source.get("vendor"),
        "--dpa-status": source.get("dpa_status"),
        "--review-status": source.get("review_status"),
        "--last-review": source.get("last_reviewed_on"),
        "--next-review": source.get("next_review_due"),
        "--retention-days": source.get("retention_days"),
        "--description": source.get("description"),
    }
    for option, value in options.items():
        if value is not None and value != "":
            command += [option, str(value)]
    personal = source.get("contains_personal_data")
    if personal is not None:
        command.append("--personal-data" if personal else "--no-personal-data")
    return command


def _import_script(summary: ExportSummary) -> str:
    """A POSIX shell script running the manifest's commands; files are found beside it."""
    lines = [
        "#!/bin/sh",
        "# Registers the data sources and imports every file of this demo export into the",
        "# database LearnLedger is configured with (LEARNLEDGER_DATABASE_URL or the config file).",
        "set -e",
        'here="$(dirname "$0")"',
    ]
    lines += [shlex.join(["learnledger", *c]) for c in summary.source_commands()]
    for file in summary.files:
        command = file.import_command()
        words = [shlex.quote(w) for w in ["learnledger", *command]]
        words[3] = f'"$here"/{shlex.quote(file.path)}'
        lines.append(" ".join(words))
    return "\n".join(lines) + "\n"


def _move_into(staging: Path, target: Path) -> None:
    """Move every file of `staging` to the same place under `target`."""
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / path.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        path.replace(destination)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
