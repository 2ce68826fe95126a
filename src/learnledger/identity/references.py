"""The columns that reference a person, and moving rows between people along them.

Every column the model declares as ``references="people.person_id"`` counts (identities,
enrolments, learning events, assessment results, performance observations, consent, reports'
manager, ...), except the history columns in `NOT_REPOINTED`. Rows are identified by their
primary key as text without the re-pointed column (``person_merge_rows.row_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.spec import Entity
from learnledger.errors import ConflictError, NotFoundError, ValidationError
from learnledger.storage.engine import Engine

PERSON_KEY = "people.person_id"
#: Columns that reference people but record history, never re-pointed by a merge.
NOT_REPOINTED = frozenset(
    {("person_merges", "kept_person_id"), ("person_merges", "merged_person_id")}
)


@dataclass(frozen=True)
class PersonReference:
    """A column that references ``people.person_id`` and the keys it is part of."""

    table: str
    column: str
    primary_key: tuple[str, ...]
    #: The primary key and unique indexes that contain `column`.
    keys: tuple[tuple[str, ...], ...]


def person_references(engine: Engine) -> list[PersonReference]:
    """The columns of the tables present in the database that reference a person."""
    present = engine.table_names()
    found: list[PersonReference] = []
    for entity in current_entities().values():
        if entity.name not in present:
            continue
        for column in entity.columns:
            if column.references != PERSON_KEY or (entity.name, column.name) in NOT_REPOINTED:
                continue
            found.append(_reference(entity, column.name))
    return found


def repoint_rows(
    engine: Engine, ref: PersonReference, source: str, target: str, merge_id: str, *, record: bool
) -> tuple[int, int]:
    """Move `ref`'s rows from person `source` to `target` (all of them when `record`, else the
    rows `merge_id` recorded); rows whose key `target` has already stay. Returns (moved, stayed).
    """
    table, column = _ident(ref.table), _ident(ref.column)
    # The re-pointed column is left out of the key: it changes, and the person is known.
    key_columns = tuple(c for c in ref.primary_key if c != ref.column)
    row_key = _key_sql(key_columns, "t")
    base = [f"t.{column} = ?"]
    base_params: list[Any] = [source]
    if ref.table == "people":  # a person never becomes its own manager or survivor
        base.append("t.person_id <> ?")
        base_params.append(target)
    if not record:
        base.append(
            f"{row_key} IN (SELECT row_key FROM person_merge_rows WHERE merge_id = CAST(? AS UUID) "
            "AND table_name = ? AND column_name = ?)"
        )
        base_params += [merge_id, ref.table, ref.column]
    free: list[str] = []
    for key in ref.keys:
        same = "".join(f" AND k.{_ident(c)} = t.{_ident(c)}" for c in key if c != ref.column)
        free.append(f"NOT EXISTS (SELECT 1 FROM {table} AS k WHERE k.{column} = ?{same})")
    where = " AND ".join(base + free)
    params = [*base_params, *([target] * len(free))]
    candidates = count_rows(
        engine, f"SELECT COUNT(*) FROM {table} AS t WHERE {' AND '.join(base)}", base_params
    )
    if not candidates:
        return 0, 0
    if record:
        engine.execute(
            "INSERT INTO person_merge_rows (merge_id, table_name, column_name, row_key) "
            f"SELECT CAST(? AS UUID), ?, ?, {row_key} FROM {table} AS t WHERE {where}",
            [merge_id, ref.table, ref.column, *params],
        )
    moved = count_rows(engine, f"SELECT COUNT(*) FROM {table} AS t WHERE {where}", params)
    if moved:
        engine.execute(
            f"UPDATE {table} SET {column} = ? WHERE {column} = ? AND "
            f"{_key_sql(key_columns, table)} IN (SELECT {row_key} FROM {table} AS t WHERE {where})",
            [target, source, *params],
        )
    return moved, candidates - moved


def merged_into(engine: Engine, person_id: str) -> str | None:
    """The person `person_id` is merged into (None if none); NotFoundError if it does not exist."""
    row = engine.fetch_one("SELECT merged_into FROM people WHERE person_id = ?", [person_id])
    if row is None:
        raise NotFoundError(f"person {person_id} does not exist")
    return None if row[0] is None else str(row[0])


def require_active_person(engine: Engine, person_id: str) -> None:
    """Raise unless `person_id` exists and is not merged into another person."""
    survivor = merged_into(engine, person_id)
    if survivor is not None:
        raise ConflictError(f"person {person_id} is merged into {survivor}; use that person")


def require_reason(reason: str) -> None:
    """Raise ValidationError for an empty reason."""
    if not reason.strip():
        raise ValidationError("reason", "must not be empty")


def count_rows(engine: Engine, sql: str, params: list[Any]) -> int:
    """The single number a COUNT query returns."""
    row = engine.fetch_one(sql, params)
    return int(row[0]) if row else 0


def _reference(entity: Entity, column: str) -> PersonReference:
    keys = [entity.primary_key] + [index.columns for index in entity.indexes if index.unique]
    return PersonReference(
        table=entity.name,
        column=column,
        primary_key=entity.primary_key,
        keys=tuple(key for key in keys if column in key),
    )


def _key_sql(columns: tuple[str, ...], alias: str) -> str:
    """The primary key of a row as one text value (columns joined with '|')."""
    if not columns:
        return "''"
    parts = [f"COALESCE(CAST({alias}.{_ident(c)} AS TEXT), '')" for c in columns]
    return " || '|' || ".join(parts)


def _ident(name: str) -> str:
    return f'"{name}"'
