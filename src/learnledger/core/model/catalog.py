"""The current canonical model, folded from the migrations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.core.model.spec import (
    AddColumn,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    Entity,
    Migration,
    RebuildTable,
)


def fold_migrations(migrations: Sequence[Migration]) -> dict[str, Entity]:
    """Apply `migrations` in order to an empty model and return the entities by table name.

    Raises ValueError when an operation contradicts the model built so far (a table created
    twice, a column added twice, an operation on a missing table or index, a rebuild that
    changes the columns). An index dropped on some engines only stays in the model with
    those engines in its `Index.dropped_on`.
    """
    entities: dict[str, Entity] = {}
    for migration in migrations:
        for op in migration.operations:
            if isinstance(op, CreateTable):
                if op.entity.name in entities:
                    raise ValueError(f"{migration.id}: table {op.entity.name} already exists")
                entities[op.entity.name] = op.entity
                continue
            table = op.entity.name if isinstance(op, RebuildTable) else op.table
            if table not in entities:
                raise ValueError(f"{migration.id}: table {table} does not exist")
            if isinstance(op, DropTable):
                del entities[table]
            elif isinstance(op, AddColumn):
                entity = entities[table]
                if op.column.name in entity.column_names:
                    raise ValueError(f"{migration.id}: {table}.{op.column.name} already exists")
                entities[table] = replace(entity, columns=(*entity.columns, op.column))
            elif isinstance(op, CreateIndex):
                entity = entities[table]
                entities[table] = replace(entity, indexes=(*entity.indexes, op.index))
            elif isinstance(op, DropIndex):
                entities[table] = _drop_index(migration.id, entities[table], op)
            elif isinstance(op, RebuildTable):
                if op.entity.column_names != entities[table].column_names:
                    raise ValueError(f"{migration.id}: rebuilding {table} must keep its columns")
                entities[table] = op.entity
    return entities


def _drop_index(migration_id: str, entity: Entity, op: DropIndex) -> Entity:
    """`entity` without index `op.name`, or with it marked as dropped on `op.engines`."""
    names = [index.name for index in entity.indexes]
    if op.name not in names:
        raise ValueError(f"{migration_id}: {entity.name} has no index {op.name}")
    kept = []
    for index in entity.indexes:
        if index.name == op.name:
            if not op.engines:
                continue
            index = replace(index, dropped_on=tuple(sorted({*index.dropped_on, *op.engines})))
        kept.append(index)
    return replace(entity, indexes=tuple(kept))


def current_entities() -> dict[str, Entity]:
    """The canonical model as the latest migration leaves it, by table name."""
    return fold_migrations(MIGRATIONS)


def entity(name: str) -> Entity:
    """The current definition of table `name`; KeyError names the known tables when missing."""
    entities = current_entities()
    if name not in entities:
        raise KeyError(f"unknown entity {name!r}; known: {', '.join(sorted(entities))}")
    return entities[name]
