"""The canonical model: completeness, internal consistency and the migration fold."""

from __future__ import annotations

from dataclasses import replace

import pytest

from learnledger.core.model.catalog import current_entities, entity, fold_migrations
from learnledger.core.model.spec import (
    AddColumn,
    Column,
    ColumnType,
    CreateTable,
    DropIndex,
    DropTable,
    Entity,
    Index,
    Migration,
)

REQUIRED_ENTITIES = {
    "people", "org_units", "roles", "role_skill_requirements", "cohorts", "programmes",
    "courses", "course_modules", "enrolments", "learning_events", "assessments",
    "assessment_items", "assessment_results", "item_responses", "skills",
    "proficiency_ratings", "performance_observations", "business_kpis", "kpi_observations",
    "programme_costs", "data_sources", "consent_records", "import_runs", "audit_events",
    "xapi_statements", "identities",
}  # fmt: skip


def test_model_has_every_entity_the_foundation_names() -> None:
    assert set(current_entities()) >= REQUIRED_ENTITIES


def test_people_carry_the_hr_attributes() -> None:
    names = set(entity("people").column_names)
    assert {
        "hr_id", "email", "given_name", "family_name", "hire_date", "leave_date", "manager_id",
        "org_unit_id", "role_id", "location", "loaded_cost_per_hour",
    } <= names  # fmt: skip


def test_costs_use_the_six_phillips_categories() -> None:
    choices = entity("programme_costs").column("category").choices
    assert choices == (
        "analysis", "development", "delivery", "participant_time", "support_overhead",
        "evaluation",
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(current_entities()))
def test_entity_is_consistent(name: str) -> None:
    ent = current_entities()[name]
    all_entities = current_entities()
    assert ent.description
    assert len(set(ent.column_names)) == len(ent.column_names)
    for key in ent.primary_key:
        assert not ent.column(key).nullable, f"{name}.{key} is a key but nullable"
    for column in ent.columns:
        assert column.description, f"{name}.{column.name} has no description"
        if column.references:
            table, _, col = column.references.partition(".")
            assert col in all_entities[table].column_names
        if column.choices and column.example is not None:
            assert column.example in column.choices
        if not column.nullable:
            assert column.example is not None, f"{name}.{column.name}: required, no example"
    for index in ent.indexes:
        assert set(index.columns) <= set(ent.column_names)


def test_unknown_entity_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="people"):
        entity("staff")


def _table(name: str) -> Entity:
    return Entity(
        name=name,
        description="t",
        columns=(Column("id", ColumnType.TEXT, "id", nullable=False),),
        primary_key=("id",),
    )


def test_fold_applies_operations_in_order() -> None:
    extra = Column("note", ColumnType.TEXT, "note")
    folded = fold_migrations(
        [
            Migration("0001_a", "a", (CreateTable(_table("a")), CreateTable(_table("b")))),
            Migration("0002_b", "b", (AddColumn("a", extra), DropTable("b"))),
        ]
    )
    assert list(folded) == ["a"]
    assert folded["a"].column_names == ("id", "note")


def test_an_index_dropped_on_some_engines_stays_for_the_others() -> None:
    indexed = replace(_table("a"), indexes=(Index("ix_a", ("id",)), Index("ix_b", ("id",))))
    folded = fold_migrations(
        [
            Migration("0001_a", "a", (CreateTable(indexed),)),
            Migration("0002_b", "b", (DropIndex("a", "ix_a", engines=("duckdb",)),)),
            Migration("0003_c", "c", (DropIndex("a", "ix_b"),)),
        ]
    )
    (index,) = folded["a"].indexes
    assert index.name == "ix_a"
    assert index.dropped_on == ("duckdb",)
    assert index.exists_on("postgresql")
    assert not index.exists_on("duckdb")


def test_duckdb_lost_only_the_composite_statement_indexes() -> None:
    on_duckdb = {i.name for i in entity("xapi_statements").indexes if i.exists_on("duckdb")}
    everywhere = {i.name for i in entity("xapi_statements").indexes}
    assert everywhere - on_duckdb == {
        "ix_xapi_statements_stored",
        "ix_xapi_statements_actor",
        "ix_xapi_statements_verb",
        "ix_xapi_statements_object",
    }
    assert all(
        len(i.columns) == 1 for i in entity("xapi_statements").indexes if i.exists_on("duckdb")
    )


@pytest.mark.parametrize(
    "operations",
    [
        (CreateTable(_table("a")), CreateTable(_table("a"))),
        (DropTable("missing"),),
        (CreateTable(_table("a")), DropIndex("a", "ix_missing")),
        (CreateTable(_table("a")), AddColumn("a", Column("id", ColumnType.TEXT, "dup"))),
    ],
)
def test_fold_rejects_contradictions(operations: tuple[CreateTable, ...]) -> None:
    with pytest.raises(ValueError, match="0001_x"):
        fold_migrations([Migration("0001_x", "x", operations)])
