"""The value part of the engine conformance kit: every logical type, bulk insert and Arrow.

`ValueConformance` is mixed into `learnledger.storage.conformance.EngineConformance`; the data
and helpers here (the all-types table `VALUES`, `SAMPLE` row, `create`, `arrow_rows`) are for
engine tests to reuse.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnledger.core.model.spec import Column, ColumnType, Entity
from learnledger.errors import StorageError
from learnledger.storage.ddl import create_entity_sql
from learnledger.storage.dialect import dialect_for
from learnledger.storage.engine import Engine

UTC = dt.UTC
VALUES = Entity(
    name="conformance_values",
    description="One column of every logical type.",
    primary_key=("id",),
    columns=(
        Column("id", ColumnType.INTEGER, "Row id.", nullable=False),
        *(Column(f"{t.value}_value", t, f"A {t.value} value.") for t in ColumnType),
        Column(
            "status",
            ColumnType.TEXT,
            "Closed vocabulary.",
            choices=("open", "done"),
            default="open",
        ),
    ),
)
TYPED = [c.name for c in VALUES.columns if c.name not in ("id", "status")]
ARROW_TYPES = {
    "id": pa.int64(),
    "text_value": pa.string(),
    "integer_value": pa.int64(),
    "double_value": pa.float64(),
    "decimal_value": pa.decimal128(18, 4),
    "boolean_value": pa.bool_(),
    "date_value": pa.date32(),
    "timestamp_value": pa.timestamp("us", tz="UTC"),
    "json_value": pa.string(),
    "uuid_value": pa.string(),
    "status": pa.string(),
}
SAMPLE: dict[str, Any] = {
    "text_value": "Grüße, \"quoted\" 'text', 50% ?\nline two ✓ 中文",
    "integer_value": -(2**63),
    "double_value": 1.5e-7,
    "decimal_value": Decimal("-12345678901234.5678"),
    "boolean_value": True,
    "date_value": dt.date(2024, 2, 29),
    "timestamp_value": dt.datetime(
        2024, 3, 31, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2))
    ),
    "json_value": '{"name": "Ada", "tags": ["a", "b"], "n": 3, "ok": true, "none": null}',
    "uuid_value": uuid.UUID("12345678-1234-5678-1234-567812345678"),
}
TRICKY_TEXT = ["", " ", "it's", 'say "hi"', "a\nb\r\nc", "tab\there", "back\\slash", "\\.", "NULL",
               "a,b", "?", "%s", "100%", "'; DROP TABLE x; --", "😀 é 中文 \u200b"]  # fmt: skip
INSERT_ALL = f"INSERT INTO {VALUES.name} (id, {', '.join(TYPED)}) VALUES (?{', ?' * len(TYPED)})"
SELECT_ALL = f"SELECT id, {', '.join(TYPED)} FROM {VALUES.name} ORDER BY id"


def create(engine: Engine, entity: Entity = VALUES) -> None:
    """Create `entity` (default: the all-types table) on `engine`."""
    for statement in create_entity_sql(dialect_for(engine.name), entity):
        engine.execute(statement)


def arrow_rows(rows: list[dict[str, Any]]) -> pa.Table:
    """An Arrow table of all-types rows, typed as a loader would build it (UUID/JSON as text)."""
    columns = ["id", *TYPED]
    data = {c: [r.get(c) for r in rows] for c in columns}
    data["uuid_value"] = [None if v is None else str(v) for v in data["uuid_value"]]
    schema = pa.schema([(c, ARROW_TYPES[c]) for c in columns])
    return pa.table(data, schema=schema)


def comparable(row: tuple[Any, ...] | list[Any]) -> tuple[Any, ...]:
    """An all-types row with its JSON text parsed, so rows from different engines compare."""
    json_at = 1 + TYPED.index("json_value")
    values = list(row)
    if isinstance(values[json_at], str):
        values[json_at] = ("json", json.loads(values[json_at]))
    return tuple(values)


_CHARS = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(_CHARS, max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(_CHARS, max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_OFFSETS = st.sampled_from(
    [UTC, dt.timezone(dt.timedelta(hours=5, minutes=30)), dt.timezone(dt.timedelta(hours=-8))]
)
_ROW = st.fixed_dictionaries(
    {
        "text_value": st.none() | st.text(_CHARS, max_size=20),
        "integer_value": st.none() | st.integers(-(2**63), 2**63 - 1),
        "double_value": st.none() | st.floats(allow_nan=False),
        "decimal_value": st.none()
        | st.decimals(Decimal("-99999999999999.9999"), Decimal("99999999999999.9999"), places=4),
        "boolean_value": st.none() | st.booleans(),
        "date_value": st.none() | st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
        "timestamp_value": st.none()
        | st.datetimes(dt.datetime(2, 1, 1), dt.datetime(9998, 12, 31), timezones=_OFFSETS),
        "json_value": st.none() | _JSON.map(json.dumps),
        "uuid_value": st.none() | st.uuids(),
    }
)


_NOON = dt.datetime(2024, 1, 1, 12, tzinfo=UTC)
_LOADER_SHAPED = [
    ("text_value", pa.array(["a", None]).dictionary_encode(), "a"),
    ("text_value", pa.array(["a", None], pa.string_view()), "a"),
    ("text_value", pa.array(["a", None], pa.large_string()), "a"),
    ("text_value", pa.nulls(2), None),
    ("integer_value", pa.array([5, None], pa.int32()), 5),
    ("integer_value", pa.array(["12", None]), 12),
    ("double_value", pa.array([0.1, None], pa.float32()), pa.scalar(0.1, pa.float32()).as_py()),
    ("decimal_value", pa.array([Decimal("1.25"), None], pa.decimal128(10, 2)), Decimal("1.2500")),
    ("decimal_value", pa.array(["1.25", None]), Decimal("1.2500")),
    ("boolean_value", pa.array(["true", None]), True),
    ("date_value", pa.array([dt.date(2024, 1, 1), None], pa.date64()), dt.date(2024, 1, 1)),
    ("date_value", pa.array(["2024-01-01", None]), dt.date(2024, 1, 1)),
    ("timestamp_value", pa.array([_NOON.replace(tzinfo=None), None], pa.timestamp("us")), _NOON),
    ("timestamp_value", pa.array([_NOON, None], pa.timestamp("s", tz="Europe/Paris")), _NOON),
    ("timestamp_value", pa.array([_NOON, None], pa.timestamp("ns", tz="UTC")), _NOON),
    ("timestamp_value", pa.array(["2024-01-01T14:00:00+02:00", None]), _NOON),
    ("uuid_value", pa.array([str(SAMPLE["uuid_value"]).upper(), None]), SAMPLE["uuid_value"]),
    (
        "uuid_value",
        pa.array([SAMPLE["uuid_value"].bytes, None], pa.binary(16)),
        SAMPLE["uuid_value"],
    ),
    ("json_value", pa.array([{"a": 1, "b": "x"}, None]), {"a": 1, "b": "x"}),
    ("json_value", pa.array([[1, 2], None]), [1, 2]),
]


class ValueConformance:
    """Values of every logical type come back the same from every engine."""

    # -- values -------------------------------------------------------------------------------

    def test_every_type_round_trips_through_parameters_with_nulls(self, engine: Engine) -> None:
        create(engine)
        engine.execute(INSERT_ALL, [1, *(SAMPLE[c] for c in TYPED)])
        engine.execute(INSERT_ALL, [2, *([None] * len(TYPED))])
        rows = engine.fetch_all(SELECT_ALL)
        assert [comparable(r) for r in rows] == [
            comparable([1, *(SAMPLE[c] for c in TYPED)]),
            (2, *([None] * len(TYPED))),
        ]
        self._assert_python_types(dict(zip(["id", *TYPED], rows[0], strict=True)))

    def test_every_type_round_trips_through_bulk_insert(self, engine: Engine) -> None:
        create(engine)
        assert engine.bulk_insert(VALUES.name, arrow_rows([{"id": 1, **SAMPLE}, {"id": 2}])) == 2
        rows = engine.fetch_dicts(SELECT_ALL)
        assert comparable(list(rows[0].values())) == comparable([1, *(SAMPLE[c] for c in TYPED)])
        assert list(rows[1].values()) == [2, *([None] * len(TYPED))]
        self._assert_python_types(rows[0])

    @staticmethod
    def _assert_python_types(row: dict[str, Any]) -> None:
        assert row["timestamp_value"].tzinfo is UTC
        assert row["timestamp_value"] == SAMPLE["timestamp_value"]
        assert isinstance(row["decimal_value"], Decimal)
        assert row["decimal_value"].as_tuple().exponent == -4
        assert isinstance(row["uuid_value"], uuid.UUID)
        assert isinstance(row["json_value"], str)
        assert type(row["date_value"]) is dt.date
        assert row["boolean_value"] is True

    def test_text_keeps_quotes_newlines_unicode_and_empty_strings(self, engine: Engine) -> None:
        create(engine)
        engine.execute_many(
            f"INSERT INTO {VALUES.name} (id, text_value) VALUES (?, ?)",
            list(enumerate(TRICKY_TEXT)),
        )
        offset = len(TRICKY_TEXT)
        bulk = [{"id": offset + i, "text_value": t} for i, t in enumerate([*TRICKY_TEXT, None])]
        engine.bulk_insert(VALUES.name, arrow_rows(bulk))
        got = [r[0] for r in engine.fetch_all(f"SELECT text_value FROM {VALUES.name} ORDER BY id")]
        assert got == [*TRICKY_TEXT, *TRICKY_TEXT, None]
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name} WHERE text_value = ''") == (2,)

    def test_timestamps_are_stored_as_instants_and_returned_in_utc(self, engine: Engine) -> None:
        create(engine)
        paris = dt.datetime(2024, 7, 1, 14, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
        naive = dt.datetime(2024, 7, 1, 12, 0, 0, 1)  # naive values are taken as UTC
        sql = f"INSERT INTO {VALUES.name} (id, timestamp_value) VALUES (?, ?)"
        engine.execute_many(sql, [(1, paris), (2, naive)])
        got = [
            r[0] for r in engine.fetch_all(f"SELECT timestamp_value FROM {VALUES.name} ORDER BY id")
        ]
        assert got == [dt.datetime(2024, 7, 1, 12, 0, tzinfo=UTC), naive.replace(tzinfo=UTC)]
        assert all(v.tzinfo is UTC for v in got)
        count = f"SELECT count(*) FROM {VALUES.name} WHERE timestamp_value < ?"
        assert engine.fetch_one(count, [dt.datetime(2024, 7, 1, 12, 0, 0, 1, tzinfo=UTC)]) == (1,)

    def test_decimals_dates_booleans_and_uuids_compare_exactly(self, engine: Engine) -> None:
        create(engine)
        rows = [
            (1, Decimal("0.1"), dt.date(1, 1, 1), False, uuid.UUID(int=0)),
            (
                2,
                Decimal("99999999999999.9999"),
                dt.date(9999, 12, 31),
                True,
                uuid.UUID(int=2**128 - 1),
            ),
        ]
        cols = "id, decimal_value, date_value, boolean_value, uuid_value"
        engine.execute_many(f"INSERT INTO {VALUES.name} ({cols}) VALUES (?, ?, ?, ?, ?)", rows)
        assert engine.fetch_all(f"SELECT {cols} FROM {VALUES.name} ORDER BY id") == rows
        total = f"SELECT CAST(sum(decimal_value) AS DECIMAL(38, 4)) FROM {VALUES.name}"
        assert engine.fetch_one(total) == (Decimal("100000000000000.0999"),)
        by_text = f"SELECT id FROM {VALUES.name} WHERE uuid_value = ?"
        assert engine.fetch_all(by_text, [str(uuid.UUID(int=0))]) == [(1,)]

    def test_json_comes_back_as_text_with_the_same_meaning(self, engine: Engine) -> None:
        create(engine)
        document = {"b": [1, 2, {"c": None}], "a": 'é "q"', "n": -3}
        engine.execute(
            f"INSERT INTO {VALUES.name} (id, json_value) VALUES (?, ?)", [1, json.dumps(document)]
        )
        (value,) = engine.fetch_one(f"SELECT json_value FROM {VALUES.name}") or (None,)
        assert isinstance(value, str)
        assert json.loads(value) == document

    def test_choices_are_enforced_and_defaults_applied(self, engine: Engine) -> None:
        create(engine)
        engine.execute(f"INSERT INTO {VALUES.name} (id) VALUES (1)")
        assert engine.fetch_one(f"SELECT status FROM {VALUES.name}") == ("open",)
        with pytest.raises(StorageError):
            engine.execute(f"INSERT INTO {VALUES.name} (id, status) VALUES (2, 'other')")

    # -- bulk insert --------------------------------------------------------------------------

    def test_bulk_insert_matches_columns_by_name_and_fills_omitted_ones(
        self, engine: Engine
    ) -> None:
        create(engine)
        data = pa.table({"text_value": ["x", None], "id": [2, 1]})
        assert engine.bulk_insert(VALUES.name, data) == 2
        rows = engine.fetch_all(
            f"SELECT id, text_value, integer_value, status FROM {VALUES.name} ORDER BY id"
        )
        assert rows == [(1, None, None, "open"), (2, "x", None, "open")]
        assert engine.bulk_insert(VALUES.name, data.slice(0, 0)) == 0

    def test_bulk_insert_rejects_unknown_columns_and_tables(self, engine: Engine) -> None:
        create(engine)
        with pytest.raises(StorageError, match="nope"):
            engine.bulk_insert(VALUES.name, pa.table({"id": [1], "nope": [1]}))
        with pytest.raises(StorageError, match="missing_table"):
            engine.bulk_insert("missing_table", pa.table({"id": [1]}))

    @pytest.mark.parametrize(
        ("column", "values", "expected"),
        _LOADER_SHAPED,
        ids=[f"{c}-{v.type}" for c, v, _ in _LOADER_SHAPED],
    )
    def test_bulk_insert_converts_loader_shaped_arrow_columns_identically(
        self, engine: Engine, column: str, values: pa.Array, expected: Any
    ) -> None:
        create(engine)
        engine.bulk_insert(VALUES.name, pa.table({"id": [1, 2], column: values}))
        got = [r[0] for r in engine.fetch_all(f"SELECT {column} FROM {VALUES.name} ORDER BY id")]
        if column == "json_value":
            got = [json.loads(got[0]), got[1]]
        assert got == [expected, None]
        assert type(got[0]) is type(expected)

    @pytest.mark.parametrize(
        "bad",
        [
            pytest.param({"id": [1, 2, 1]}, id="duplicate-key"),
            pytest.param({"id": [1, None]}, id="null-key"),
            pytest.param({"id": [1, 2], "json_value": ["[1]", "{bad"]}, id="invalid-json"),
            pytest.param({"id": [1, 2], "status": ["open", "other"]}, id="check"),
        ],
    )
    def test_bulk_insert_is_atomic(self, engine: Engine, bad: dict[str, list[Any]]) -> None:
        create(engine)
        with pytest.raises(StorageError):
            engine.bulk_insert(VALUES.name, pa.table(bad))
        assert engine.fetch_one(f"SELECT count(*) FROM {VALUES.name}") == (0,)
        assert engine.bulk_insert(VALUES.name, pa.table({"id": [7]})) == 1  # engine still usable

    # -- queries as Arrow ---------------------------------------------------------------------

    def test_fetch_arrow_types_are_the_same_on_every_engine(self, engine: Engine) -> None:
        create(engine)
        engine.bulk_insert(VALUES.name, arrow_rows([{"id": 1, **SAMPLE}]))
        columns = ", ".join(ARROW_TYPES)
        for where in ("", " WHERE id < 0"):
            table = engine.fetch_arrow(f"SELECT {columns} FROM {VALUES.name}{where}")
            assert dict(zip(table.column_names, table.schema.types, strict=True)) == ARROW_TYPES
        (row,) = engine.fetch_arrow(f"SELECT uuid_value, json_value FROM {VALUES.name}").to_pylist()
        assert row["uuid_value"] == str(SAMPLE["uuid_value"])
        assert json.loads(row["json_value"]) == json.loads(SAMPLE["json_value"])
        batches = list(engine.iter_batches(f"SELECT id FROM {VALUES.name}", batch_size=1))
        assert sum(b.num_rows for b in batches) == 1

    # -- property -----------------------------------------------------------------------------

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(rows=st.lists(_ROW, max_size=12))
    def test_random_rows_round_trip_through_bulk_insert(
        self, engine: Engine, rows: list[dict[str, Any]]
    ) -> None:
        if VALUES.name not in engine.table_names():
            create(engine)
        engine.execute(f"DELETE FROM {VALUES.name}")
        numbered = [{"id": i, **row} for i, row in enumerate(rows)]
        engine.bulk_insert(VALUES.name, arrow_rows(numbered))
        got = [comparable(r) for r in engine.fetch_all(SELECT_ALL)]
        assert got == [comparable([r["id"], *(r[c] for c in TYPED)]) for r in numbered]
