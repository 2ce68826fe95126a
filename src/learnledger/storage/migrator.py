"""Apply schema migrations to an engine and report their state.

Applied migrations are recorded in ``schema_migrations`` with a checksum of what they do to
the database (names, types, nullability, defaults, choices, keys, indexes; not descriptions,
examples or documented references), so documentation can be corrected in place while a changed
schema operation is caught.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from learnledger.core.model.spec import (
    AddColumn,
    Column,
    ColumnType,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    Entity,
    Index,
    Migration,
    Operation,
    RebuildTable,
)
from learnledger.errors import MigrationError, StorageError
from learnledger.storage.ddl import create_table_sql, migration_sql
from learnledger.storage.dialect import dialect_for
from learnledger.storage.engine import Engine

TRACKING_TABLE = Entity(
    name="schema_migrations",
    description="Migrations applied to this database, with a checksum of their operations.",
    primary_key=("id",),
    columns=(
        Column("id", ColumnType.TEXT, "Migration id.", nullable=False),
        Column("description", ColumnType.TEXT, "What the migration does.", nullable=False),
        Column("checksum", ColumnType.TEXT, "sha256 of the operations.", nullable=False),
        Column("applied_at", ColumnType.TIMESTAMP, "When it was applied.", nullable=False),
    ),
    group="system",
)

State = Literal["applied", "pending", "modified", "unknown"]
Progress = Callable[[Migration, int, int], None]


@dataclass(frozen=True)
class MigrationStatus:
    """One migration's state: ``applied``, ``pending``, ``modified`` (applied with another
    checksum) or ``unknown`` (applied, but not in this code: the database is newer)."""

    id: str
    description: str
    applied_at: dt.datetime | None
    state: State


def checksum(migration: Migration) -> str:
    """sha256 (hex) of a canonical form of what `migration` does to the database."""
    payload = [_canonical_operation(op) for op in migration.operations]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class Migrator:
    """Apply `migrations` (default: the canonical model's) to `engine`, each in a transaction."""

    _lock = threading.Lock()  # one migrate() at a time in this process

    def __init__(self, engine: Engine, migrations: Sequence[Migration] | None = None) -> None:
        if migrations is None:
            from learnledger.core.model.migrations import MIGRATIONS

            migrations = MIGRATIONS
        ids = [m.id for m in migrations]
        if len(set(ids)) != len(ids) or ids != sorted(ids):
            raise MigrationError(f"migration ids must be unique and ascending: {ids}")
        self.engine = engine
        self.migrations = tuple(migrations)
        self.dialect = dialect_for(engine.name)
        self._table = self.dialect.quote(TRACKING_TABLE.name)

    def status(self) -> list[MigrationStatus]:
        """The state of every migration in the code, then of applied ids the code lacks."""
        applied = self._applied()
        known = {m.id for m in self.migrations}
        result = []
        for m in self.migrations:
            row = applied.get(m.id)
            if row is None:
                result.append(MigrationStatus(m.id, m.description, None, "pending"))
            else:
                state: State = "applied" if row[1] == checksum(m) else "modified"
                result.append(MigrationStatus(m.id, m.description, row[2], state))
        for mid in sorted(set(applied) - known):
            result.append(MigrationStatus(mid, applied[mid][0], applied[mid][2], "unknown"))
        return result

    def pending(self) -> list[Migration]:
        """Migrations not applied yet, in order (after checking the applied history)."""
        applied = self._applied()
        self._check_history(applied)
        return [m for m in self.migrations if m.id not in applied]

    def migrate(self, target: str | None = None, progress: Progress | None = None) -> list[str]:
        """Apply pending migrations up to and including `target` (default: all).

        Each migration runs with its tracking row in one transaction. `progress` is called
        after each with (migration, number done, number to do). Returns the applied ids; an
        up-to-date database gives ``[]``. Raises MigrationError when an applied migration was
        modified, the database has migrations this code does not know, or one fails.
        """
        if target is not None and target not in {m.id for m in self.migrations}:
            raise MigrationError(f"unknown target migration {target!r}")
        with self._lock:
            self._ensure_table()
            todo = self.pending()
            if target is not None:
                todo = [m for m in todo if m.id <= target]
            done: list[str] = []
            for migration in todo:
                if self._apply(migration):
                    done.append(migration.id)
                if progress is not None:
                    progress(migration, len(done), len(todo))
            return done

    # -- internals ----------------------------------------------------------------------------

    def _applied(self) -> dict[str, tuple[str, str, dt.datetime]]:
        if TRACKING_TABLE.name not in self.engine.table_names():
            return {}
        rows = self.engine.fetch_all(
            f"SELECT id, description, checksum, applied_at FROM {self._table} ORDER BY id"
        )
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def _check_history(self, applied: dict[str, tuple[str, str, dt.datetime]]) -> None:
        unknown = sorted(set(applied) - {m.id for m in self.migrations})
        if unknown:
            raise MigrationError(
                "database is newer than this LearnLedger: it has migrations "
                f"{', '.join(unknown)} that this version does not know; upgrade LearnLedger"
            )
        modified = [
            m.id for m in self.migrations if m.id in applied and applied[m.id][1] != checksum(m)
        ]
        if modified:
            raise MigrationError(
                f"migrations {', '.join(modified)} were changed after they were applied; "
                "restore them and add a new migration instead"
            )
        latest = max(applied, default="")
        late = [m.id for m in self.migrations if m.id not in applied and m.id < latest]
        if late:
            raise MigrationError(
                f"migrations {', '.join(late)} are pending but older than the applied {latest}; "
                "renumber them after it"
            )

    def _ensure_table(self) -> None:
        ddl = create_table_sql(self.dialect, TRACKING_TABLE, if_not_exists=True)
        try:
            with self.engine.transaction():
                self._lock_database()
                self.engine.execute(ddl)
        except StorageError as exc:
            raise MigrationError(f"cannot create {TRACKING_TABLE.name}: {exc}") from exc

    def _lock_database(self) -> None:
        if self.dialect.migration_lock_sql:
            self.engine.execute(self.dialect.migration_lock_sql)

    def _apply(self, migration: Migration) -> bool:
        """Apply one migration; False when another process applied it meanwhile."""
        index = self.migrations.index(migration)
        try:
            statements = migration_sql(self.dialect, migration, self.migrations[:index])
        except (ValueError, KeyError) as exc:  # an operation on a table that does not exist
            raise MigrationError(f"migration {migration.id} is invalid: {exc}") from exc
        try:
            with self.engine.transaction():
                self._lock_database()
                if self.engine.fetch_one(
                    f"SELECT 1 FROM {self._table} WHERE id = ?", [migration.id]
                ):
                    return False
                for statement in statements:
                    self.engine.execute(statement)
                self.engine.execute(
                    f"INSERT INTO {self._table} (id, description, checksum, applied_at) "
                    "VALUES (?, ?, ?, ?)",
                    [
                        migration.id,
                        migration.description,
                        checksum(migration),
                        dt.datetime.now(dt.UTC),
                    ],
                )
        except StorageError as exc:
            raise MigrationError(f"migration {migration.id} failed: {exc}") from exc
        return True


def _canonical_operation(op: Operation) -> dict[str, Any]:
    if isinstance(op, CreateTable | RebuildTable):
        e = op.entity
        return {
            "op": "create_table" if isinstance(op, CreateTable) else "rebuild_table",
            "table": e.name,
            "columns": [_canonical_column(c) for c in e.columns],
            "primary_key": list(e.primary_key),
            "indexes": [_canonical_index(i) for i in e.indexes],
        }
    if isinstance(op, AddColumn):
        return {"op": "add_column", "table": op.table, "column": _canonical_column(op.column)}
    if isinstance(op, CreateIndex):
        return {"op": "create_index", "table": op.table, "index": _canonical_index(op.index)}
    if isinstance(op, DropIndex):
        return {"op": "drop_index", "table": op.table, "name": op.name, "engines": op.engines}
    assert isinstance(op, DropTable)
    return {"op": "drop_table", "table": op.table}


def _canonical_column(c: Column) -> dict[str, Any]:
    return {
        "name": c.name,
        "type": c.type.value,
        "nullable": c.nullable,
        "choices": list(c.choices) if c.choices else None,
        "default": c.default,
    }


def _canonical_index(i: Index) -> dict[str, Any]:
    canonical: dict[str, Any] = {"name": i.name, "columns": list(i.columns), "unique": i.unique}
    if i.dropped_on:  # absent before indexes could be dropped per engine: same checksums
        canonical["dropped_on"] = list(i.dropped_on)
    return canonical
