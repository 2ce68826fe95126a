"""The migration part of the engine conformance kit (mixed into `EngineConformance`)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from learnledger.core.model.catalog import fold_migrations
from learnledger.core.model.spec import (
    AddColumn,
    Column,
    ColumnType,
    CreateIndex,
    CreateTable,
    DropTable,
    Entity,
    Index,
    Migration,
    RebuildTable,
)
from learnledger.errors import MigrationError, StorageError
from learnledger.storage.engine import Engine
from learnledger.storage.migrator import TRACKING_TABLE, Migrator

PEOPLE = Entity(
    name="kit_people",
    description="People.",
    primary_key=("person_id",),
    columns=(
        Column("person_id", ColumnType.TEXT, "Id.", nullable=False),
        Column("name", ColumnType.TEXT, "Name."),
    ),
    indexes=(Index("kit_people_name", ("name",)),),
)
SCRATCH = Entity(
    name="kit_scratch",
    description="Created and dropped.",
    primary_key=("id",),
    columns=(Column("id", ColumnType.INTEGER, "Id.", nullable=False),),
)
M1 = Migration("0001_people", "People.", (CreateTable(PEOPLE),))
M2 = Migration(
    "0002_status_email",
    "Status and e-mail.",
    (
        AddColumn(
            "kit_people",
            Column(
                "status",
                ColumnType.TEXT,
                "Status.",
                nullable=False,
                choices=("active", "left"),
                default="active",
            ),
        ),
        AddColumn("kit_people", Column("email", ColumnType.TEXT, "E-mail.")),
        CreateIndex("kit_people", Index("kit_people_email", ("email",), unique=True)),
    ),
)
M3 = Migration("0003_scratch", "Scratch.", (CreateTable(SCRATCH), DropTable("kit_scratch")))
ALL = (M1, M2, M3)


class MigratorConformance:
    """Migrations apply, report and refuse the same way on every engine."""

    def test_migrate_applies_in_order_and_is_idempotent(self, engine: Engine) -> None:
        calls: list[tuple[str, int, int]] = []
        migrator = Migrator(engine, ALL)
        assert [s.state for s in migrator.status()] == ["pending"] * 3
        applied = migrator.migrate(
            progress=lambda m, done, total: calls.append((m.id, done, total))
        )
        assert applied == [m.id for m in ALL]
        assert calls == [(M1.id, 1, 3), (M2.id, 2, 3), (M3.id, 3, 3)]
        assert Migrator(engine, ALL).migrate() == []
        statuses = migrator.status()
        assert [(s.id, s.state) for s in statuses] == [(m.id, "applied") for m in ALL]
        assert all(s.applied_at is not None and s.applied_at.tzinfo is not None for s in statuses)
        assert engine.table_names() == {PEOPLE.name, TRACKING_TABLE.name}

    def test_added_columns_keep_rows_defaults_checks_and_indexes(self, engine: Engine) -> None:
        migrator = Migrator(engine, ALL)
        assert migrator.migrate(target=M1.id) == [M1.id]
        engine.execute("INSERT INTO kit_people (person_id, name) VALUES (?, ?)", ["p1", "Ada"])
        assert migrator.migrate() == [M2.id, M3.id]
        assert engine.column_names(PEOPLE.name) == ["person_id", "name", "status", "email"]
        assert engine.fetch_all("SELECT person_id, name, status FROM kit_people") == [
            ("p1", "Ada", "active")
        ]
        insert = "INSERT INTO kit_people (person_id, status, email) VALUES (?, ?, ?)"
        engine.execute(insert, ["p2", "left", "a@example.org"])
        with pytest.raises(StorageError):
            engine.execute(insert, ["p3", "retired", None])  # CHECK from choices
        with pytest.raises(StorageError):
            engine.execute(insert, ["p4", "active", "a@example.org"])  # unique index
        with pytest.raises(StorageError):
            engine.execute(insert, ["p1", "active", None])  # primary key survived

    def test_rebuilt_table_keeps_rows_and_takes_the_new_key_and_indexes(
        self, engine: Engine
    ) -> None:
        migrator = Migrator(engine, [M1])
        migrator.migrate()
        insert = "INSERT INTO kit_people (person_id, name) VALUES (?, ?)"
        engine.execute(insert, ["p1", "Ada"])
        engine.execute(insert, ["p2", None])
        with pytest.raises(StorageError):
            engine.execute(insert, ["p1", "Ada again"])  # the old primary key
        keyed_by_name = replace(
            PEOPLE, primary_key=("name",), indexes=(Index("kit_people_id", ("person_id",)),)
        )
        unkeyed = replace(PEOPLE, primary_key=(), indexes=PEOPLE.indexes)
        rebuild = Migration("0002_rebuild", "Rebuild.", (RebuildTable(unkeyed),))
        assert Migrator(engine, [M1, rebuild]).migrate() == [rebuild.id]
        assert engine.column_names(PEOPLE.name) == ["person_id", "name"]
        engine.execute(insert, ["p1", "Ada again"])  # no key any more
        rows = engine.fetch_all("SELECT person_id, name FROM kit_people ORDER BY person_id, name")
        assert rows == [("p1", "Ada"), ("p1", "Ada again"), ("p2", None)]
        rekey = Migration("0003_rekey", "Key by name.", (RebuildTable(keyed_by_name),))
        with pytest.raises(MigrationError, match="0003_rekey"):
            Migrator(engine, [M1, rebuild, rekey]).migrate()  # p2 has no name
        assert engine.fetch_one("SELECT COUNT(*) FROM kit_people") == (3,)
        engine.execute("DELETE FROM kit_people WHERE name IS NULL OR name = ?", ["Ada again"])
        Migrator(engine, [M1, rebuild, rekey]).migrate()
        with pytest.raises(StorageError):
            engine.execute(insert, ["p9", "Ada"])  # the new primary key
        widened = replace(PEOPLE, columns=(*PEOPLE.columns, SCRATCH.columns[0]))
        with pytest.raises(ValueError, match="must keep its columns"):
            fold_migrations([M1, Migration("0002_bad", "Bad.", (RebuildTable(widened),))])

    def test_modified_migration_is_reported_and_refused(self, engine: Engine) -> None:
        Migrator(engine, [M1]).migrate()
        documented = replace(
            M1,
            description="Reworded.",
            operations=(CreateTable(replace(PEOPLE, description="Reworded")),),
        )
        assert [s.state for s in Migrator(engine, [documented]).status()] == ["applied"]
        retyped = replace(
            PEOPLE, columns=(PEOPLE.columns[0], replace(PEOPLE.columns[1], type=ColumnType.JSON))
        )
        changed = replace(M1, operations=(CreateTable(retyped),))
        migrator = Migrator(engine, [changed, M2])
        assert [s.state for s in migrator.status()] == ["modified", "pending"]
        with pytest.raises(MigrationError, match=M1.id):
            migrator.migrate()
        assert PEOPLE.name in engine.table_names()
        assert "status" not in engine.column_names(PEOPLE.name)

    def test_database_newer_than_code_is_refused(self, engine: Engine) -> None:
        Migrator(engine, [M1, M2]).migrate()
        older = Migrator(engine, [M1])
        assert [(s.id, s.state) for s in older.status()] == [(M1.id, "applied"), (M2.id, "unknown")]
        with pytest.raises(MigrationError, match="newer"):
            older.migrate()

    def test_pending_migration_older_than_applied_is_refused(self, engine: Engine) -> None:
        Migrator(engine, [M1, M3]).migrate()
        with pytest.raises(MigrationError, match=M2.id):
            Migrator(engine, ALL).migrate()

    def test_failed_migration_rolls_back_entirely(self, engine: Engine) -> None:
        broken = Migration(
            "0002_broken",
            "Fails half way.",
            (
                CreateTable(SCRATCH),
                CreateIndex("kit_people", Index("kit_bad", ("no_such_column",))),
            ),
        )
        migrator = Migrator(engine, [M1, broken])
        with pytest.raises(MigrationError, match="0002_broken"):
            migrator.migrate()
        assert SCRATCH.name not in engine.table_names()
        assert [s.state for s in migrator.status()] == ["applied", "pending"]

    def test_migrations_must_be_unique_and_ascending(self, engine: Engine) -> None:
        with pytest.raises(MigrationError):
            Migrator(engine, [M2, M1])
        with pytest.raises(MigrationError, match="unknown target"):
            Migrator(engine, ALL).migrate(target="9999_nope")

    def test_real_migrations_build_exactly_the_current_model(self, engine: Engine) -> None:
        from learnledger.core.model.catalog import current_entities

        Migrator(engine).migrate()
        entities = current_entities()
        assert engine.table_names() - {TRACKING_TABLE.name} == set(entities)
        for name, entity in entities.items():
            assert engine.column_names(name) == list(entity.column_names), name
        assert Migrator(engine).migrate() == []
