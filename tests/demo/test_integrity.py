"""Referential integrity, keys, required columns and vocabularies of a built demo."""

from __future__ import annotations

import pytest

from learnledger.core.model.catalog import current_entities

ENTITIES = current_entities()
REFERENCES = [
    (table, column.name, column.references)
    for table, entity in sorted(ENTITIES.items())
    for column in entity.columns
    if column.references
]
CHOICES = [
    (table, column.name, column.choices)
    for table, entity in sorted(ENTITIES.items())
    for column in entity.columns
    if column.choices
]
#: The canonical model the demo writes (later migrations add service tables it leaves alone:
#: the LRS's bookkeeping, import quarantine).
CANONICAL = {
    "org_units", "roles", "skills", "role_skill_requirements", "people", "programmes",
    "programme_objectives", "cohorts", "courses", "course_modules", "enrolments", "assessments",
    "assessment_items", "assessment_results", "item_responses", "proficiency_ratings",
    "performance_metrics", "performance_observations", "business_kpis", "kpi_observations",
    "programme_costs", "data_sources", "identities", "consent_records", "import_runs",
    "audit_events", "xapi_statements", "learning_events",
}  # fmt: skip
#: Tables the demo does not fill: the audit log belongs to the governance service.
NOT_FILLED = {"audit_events"}


def test_demo_fills_every_canonical_table(small_demo):
    counts = small_demo.summary.counts
    assert len(CANONICAL) == 28
    empty = sorted(t for t in CANONICAL if counts.get(t, 0) == 0 and t not in NOT_FILLED)
    assert empty == []
    assert small_demo.summary.statements == counts["xapi_statements"] == counts["learning_events"]


@pytest.mark.parametrize(("table", "column", "target"), REFERENCES)
def test_demo_reference_resolves(small_demo, table, column, target):
    ref_table, ref_column = target.split(".")
    row = small_demo.engine.fetch_one(
        f'SELECT COUNT(*) FROM "{table}" AS t WHERE t."{column}" IS NOT NULL AND NOT EXISTS '
        f'(SELECT 1 FROM "{ref_table}" AS r WHERE r."{ref_column}" = t."{column}")'
    )
    assert row == (0,)


@pytest.mark.parametrize("table", sorted(ENTITIES))
def test_demo_primary_key_unique_and_required_columns_filled(small_demo, table):
    entity = ENTITIES[table]
    # A table without a primary key (the statement link tables) has unique rows.
    key = entity.primary_key or entity.column_names
    keys = ", ".join(f'"{c}"' for c in key)
    row = small_demo.engine.fetch_one(
        f'SELECT COUNT(*), COUNT(DISTINCT ({keys})) FROM "{table}"'
        if len(key) > 1
        else f'SELECT COUNT(*), COUNT(DISTINCT {keys}) FROM "{table}"'
    )
    assert row is not None
    assert row[0] == row[1]
    for column in entity.columns:
        if not column.nullable:
            nulls = small_demo.engine.fetch_one(
                f'SELECT COUNT(*) FROM "{table}" WHERE "{column.name}" IS NULL'
            )
            assert nulls == (0,), f"{table}.{column.name}"


@pytest.mark.parametrize(("table", "column", "choices"), CHOICES)
def test_demo_vocabulary_respected(small_demo, table, column, choices):
    values = {
        v for (v,) in small_demo.engine.fetch_all(f'SELECT DISTINCT "{column}" FROM "{table}"')
    }
    assert values - {None} <= set(choices)


def test_demo_people_hierarchy_and_dates_are_consistent(small_demo):
    engine = small_demo.engine
    # Exactly one person (the CEO) has no manager; nobody manages themselves.
    assert engine.fetch_one("SELECT COUNT(*) FROM people WHERE manager_id IS NULL") == (1,)
    assert engine.fetch_one("SELECT COUNT(*) FROM people WHERE manager_id = person_id") == (0,)
    assert engine.fetch_one(
        "SELECT COUNT(*) FROM people WHERE leave_date IS NOT NULL AND leave_date <= hire_date"
    ) == (0,)
    # Teams have 6-12 members under one lead; the hierarchy is company > division > ...
    kinds = dict(engine.fetch_all("SELECT kind, COUNT(*) FROM org_units GROUP BY kind"))
    assert kinds["company"] == 1
    assert kinds["division"] == 5
    assert kinds["team"] > kinds["department"]
    orphans = engine.fetch_one(
        "SELECT COUNT(*) FROM org_units c JOIN org_units p ON c.parent_id = p.org_unit_id "
        "WHERE c.kind || '>' || p.kind NOT IN ('division>company', 'department>division', "
        "'team>department')"
    )
    assert orphans == (0,)
    # Leavers within the window, some of them mid-programme.
    assert (
        engine.fetch_one(
            "SELECT COUNT(*) FROM enrolments e JOIN people p USING (person_id) "
            "WHERE e.status = 'withdrawn' AND e.withdrawn_at::DATE = p.leave_date"
        )[0]
        > 0
    )


def test_demo_costs_cover_all_phillips_categories(small_demo):
    rows = small_demo.engine.fetch_all(
        "SELECT programme_id, COUNT(DISTINCT category) FROM programme_costs GROUP BY 1"
    )
    assert len(rows) == 7
    assert all(n == 6 for _, n in rows)
