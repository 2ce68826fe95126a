"""Consent records import in bulk through the existing importer (``learnledger import
consent_records FILE --mapping M --source S``): bad rows are quarantined with row, column and
reason, good ones decide exclusion. On DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.governance.consent import excluded_people
from learnledger.ingest import Importer, rejections_of
from learnledger.storage import Engine, Migrator

MAPPING = """\
name: consent_register
entity: consent_records
source: hris
read: {format: csv, delimiter: ",", quote: '"', header: true}
columns:
  consent_id: {from: Ref, required: true}
  person_id: Person
  purpose: Purpose
  status: Decision
  recorded_at: {from: When, format: "%Y-%m-%d %H:%M:%S"}
"""

CSV = """\
Ref,Person,Purpose,Decision,When
C1,P1,analytics,withdrawn,2025-03-01 10:00:00
C2,P2,analytics,granted,2025-03-01 10:00:00
C3,P3,marketing,withdrawn,2025-03-01 10:00:00
C4,P9,analytics,withdrawn,2025-03-01 10:00:00
C5,P2,analytics,withdrawn,2025-09-01 10:00:00
"""


def test_the_importer_loads_consent_and_quarantines_bad_rows_by_row_and_field(
    engine: Engine, tmp_path: Path
) -> None:
    Migrator(engine, MIGRATIONS).migrate()
    engine.execute_many("INSERT INTO people (person_id) VALUES (?)", [("P1",), ("P2",), ("P3",)])
    engine.execute(
        "INSERT INTO data_sources (source_id, name, kind, owner, purpose, legal_basis) "
        "VALUES ('hris', 'HR', 'hris', 'People', 'HR', 'contract')"
    )
    (tmp_path / "consent.yml").write_text(MAPPING)
    (tmp_path / "consent.csv").write_text(CSV)
    report = Importer(engine).run(
        tmp_path / "consent.csv", tmp_path / "consent.yml", entity="consent_records"
    )
    assert report.status == "succeeded"
    assert report.rows_rejected == 2
    rejected = {(r.row_number, r.column_name) for r in rejections_of(engine, report.run_id)}
    assert rejected == {(4, "Purpose"), (5, "Person")}  # the file's own column names
    reasons = " ".join(r.reason for r in rejections_of(engine, report.run_id))
    assert "not one of" in reasons
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    assert excluded_people(engine, "analytics", moment) == {"P1"}
    later = datetime(2025, 10, 1, tzinfo=UTC)
    assert excluded_people(engine, "analytics", later) == {"P1", "P2"}
