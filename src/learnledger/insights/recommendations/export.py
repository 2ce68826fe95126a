"""Writing recommendations to files: every recommendation as JSON and CSV, and the
learner-level ones for the LMS as CSV and as xAPI statements; each export is audited.

Files written into the export folder:

- ``recommendations.json`` — the whole set (recommendations, notes, generation moment);
- ``recommendations.csv`` — one row per recommendation (`Recommendation.as_row`);
- ``lms_recommendations.csv`` — the learner-level ones (learners, paths): person, course and
  its xAPI activity id, action, title, reason, priority, strength, expected effect;
- ``lms_statements.json`` — the same as xAPI 2.0 statements (see `xapi_statements`).

Files are written to temporary names first and renamed at the end, so a failure leaves no
half-written export; existing files are refused unless `force`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from learnledger.errors import ConflictError
from learnledger.governance.audit import AuditLog
from learnledger.insights.recommendations.engine import RecommendationSet
from learnledger.insights.recommendations.model import PERSON_KINDS, ROW_COLUMNS, Recommendation
from learnledger.insights.recommendations.xapi_statements import learner_statements
from learnledger.storage.engine import Engine

JSON_FILE = "recommendations.json"
CSV_FILE = "recommendations.csv"
LMS_CSV_FILE = "lms_recommendations.csv"
STATEMENTS_FILE = "lms_statements.json"
FILES = (JSON_FILE, CSV_FILE, LMS_CSV_FILE, STATEMENTS_FILE)
LMS_COLUMNS = (
    "recommendation_id",
    "person_id",
    "course_id",
    "xapi_activity_id",
    "action",
    "title",
    "reason",
    "priority",
    "strength",
    "expected_effect",
    "expected_value",
    "expected_low",
    "expected_high",
    "expected_unit",
)


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    paths: list[Path]
    recommendations: int
    learner_rows: int
    statements: int
    skipped_statements: dict[str, int]


def csv_text(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV text with a header (the columns of the first row unless given), with
    RFC 4180 line ends (CRLF), so fields holding a line break of either kind are quoted."""
    buffer = io.StringIO()
    fields = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def lms_rows(engine: Engine, recommendations: Sequence[Recommendation]) -> list[dict[str, Any]]:
    """The learner-level recommendations as rows for the LMS (columns `LMS_COLUMNS`)."""
    activities = {
        str(c): None if a is None else str(a)
        for c, a in engine.fetch_all("SELECT course_id, xapi_activity_id FROM courses")
    }
    rows = []
    for item in recommendations:
        if item.kind not in PERSON_KINDS or item.person_id is None:
            continue
        flat = item.as_row()
        rows.append(
            {
                "recommendation_id": flat["id"],
                "person_id": item.person_id,
                "course_id": item.course_id,
                "xapi_activity_id": activities.get(item.course_id or ""),
                **{k: flat[k] for k in LMS_COLUMNS[4:]},
            }
        )
    return rows


def export_recommendations(
    engine: Engine,
    result: RecommendationSet,
    directory: Path,
    *,
    audit: AuditLog,
    actor: str,
    home_page: str,
    force: bool = False,
) -> ExportSummary:
    """Write the export files (module docstring) into `directory` and audit the export."""
    if directory.exists() and not directory.is_dir():
        raise ConflictError(f"{directory} exists and is not a folder")
    existing = [name for name in FILES if (directory / name).exists()]
    if existing and not force:
        raise ConflictError(
            f"{', '.join(existing)} already exist in {directory}; use --force to overwrite"
        )
    learners = lms_rows(engine, result.recommendations)
    statements = learner_statements(
        engine, result.recommendations, home_page=home_page, timestamp=result.generated_at
    )
    contents = {
        JSON_FILE: json.dumps(result.as_json(), indent=2, sort_keys=True) + "\n",
        CSV_FILE: csv_text([r.as_row() for r in result.recommendations], columns=ROW_COLUMNS),
        LMS_CSV_FILE: csv_text(learners, columns=LMS_COLUMNS),
        STATEMENTS_FILE: json.dumps(statements.statements, indent=2, sort_keys=True) + "\n",
    }
    directory.mkdir(parents=True, exist_ok=True)
    staged = []
    try:
        for name, text in contents.items():
            temporary = directory / f".{name}.partial"
            temporary.write_text(text, encoding="utf-8", newline="")
            staged.append((temporary, directory / name))
        for temporary, final in staged:
            temporary.replace(final)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    audit.append(
        actor=actor,
        action="export",
        target="recommendations",
        details={
            "recommendations": len(result.recommendations),
            "learner_rows": len(learners),
            "statements": len(statements.statements),
            "kinds": sorted({r.kind.value for r in result.recommendations}),
        },
    )
    return ExportSummary(
        [directory / name for name in FILES],
        len(result.recommendations),
        len(learners),
        len(statements.statements),
        statements.skipped,
    )
