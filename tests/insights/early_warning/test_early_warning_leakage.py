"""No leakage: the features as of a cut-off do not change when anything dated at or after the
cut-off is changed, deleted or added (events, assessment attempts, withdrawals, completions,
statuses not yet settled, later enrolments)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnledger.insights.early_warning.features import FEATURES, FeatureFrame, features_on
from learnledger.storage import Migrator, open_engine
from learnledger.storage.engine import Engine

START = dt.date(2025, 1, 6)
STATUSES = ("enrolled", "in_progress", "completed", "failed", "withdrawn", "cancelled")
TS = pa.timestamp("us", tz="UTC")


def _moment(day: int) -> dt.datetime:
    return dt.datetime.combine(START + dt.timedelta(days=day), dt.time(10), tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store() -> Iterator[Engine]:
    with open_engine("duckdb://") as engine:
        Migrator(engine).migrate()
        yield engine


_enrolment = st.fixed_dictionaries(
    {
        "course": st.sampled_from(["C1", "C2"]),
        "person": st.sampled_from(["P1", "P2", "P3", "P4"]),
        "cohort_shift": st.sampled_from([-70, 0]),
        "enrolled": st.integers(-90, 30),
        "status": st.sampled_from(STATUSES),
        "withdrawn": st.none() | st.integers(-60, 60),
        "completed": st.none() | st.integers(-60, 60),
        "due": st.none() | st.integers(-60, 80),
        "events": st.lists(
            st.tuples(
                st.integers(-80, 60), st.integers(0, 40), st.sampled_from(["home", "m1", "m2"])
            ),
            max_size=12,
        ),
        "results": st.lists(
            st.tuples(st.integers(-60, 60), st.sampled_from(["A1", "A2", "A3"]), st.floats(0, 100)),
            max_size=4,
        ),
    }
)


def _load(engine: Engine, enrolments: list[dict[str, object]]) -> None:
    for table in (
        "learning_events",
        "assessment_results",
        "enrolments",
        "assessments",
        "course_modules",
        "courses",
        "cohorts",
        "people",
    ):
        engine.execute(f"DELETE FROM {table}")
    engine.bulk_insert("people", pa.table({"person_id": ["P1", "P2", "P3", "P4"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C1", "C2"],
                "name": ["One", "Two"],
                "delivery_channel": ["e_learning", "e_learning"],
                "xapi_activity_id": ["https://x.test/C1", "https://x.test/C2"],
            }
        ),
    )
    engine.bulk_insert(
        "course_modules",
        pa.table(
            {
                "module_id": [f"{c}-{m}" for c in ("C1", "C2") for m in ("home", "m1", "m2")],
                "course_id": [c for c in ("C1", "C2") for _ in range(3)],
                "name": ["m"] * 6,
                "position": [1, 2, 3] * 2,
                "kind": ["homepage", "resource", "quiz"] * 2,
                "xapi_activity_id": [
                    f"https://x.test/{c}/{m}" for c in ("C1", "C2") for m in ("home", "m1", "m2")
                ],
            }
        ),
    )
    engine.bulk_insert(
        "cohorts",
        pa.table(
            {
                "cohort_id": [f"{c}{s}" for c in ("C1", "C2") for s in (-70, 0)],
                "programme_id": ["PRG"] * 4,
                "start_date": [
                    START + dt.timedelta(days=s) for _ in ("C1", "C2") for s in (-70, 0)
                ],
            }
        ),
    )
    engine.bulk_insert(
        "assessments",
        pa.table(
            {
                "assessment_id": [f"{c}-{a}" for c in ("C1", "C2") for a in ("A1", "A2", "A3")],
                "course_id": [c for c in ("C1", "C2") for _ in range(3)],
                "name": ["a"] * 6,
                "kind": ["quiz"] * 6,
                "max_score": [100.0] * 6,
                "pass_score": [40.0] * 6,
            }
        ),
    )
    rows, events, results = [], [], []
    for i, e in enumerate(enrolments):
        registration = str(uuid.UUID(int=i + 1))
        shift = int(e["cohort_shift"])  # type: ignore[call-overload]
        rows.append(
            {
                "enrolment_id": f"E{i}",
                "person_id": e["person"],
                "course_id": e["course"],
                "cohort_id": f"{e['course']}{shift}",
                "registration": registration,
                "status": e["status"],
                "enrolled_at": _moment(int(e["enrolled"]) + shift),  # type: ignore[call-overload]
                "withdrawn_at": None
                if e["withdrawn"] is None
                else _moment(int(e["withdrawn"]) + shift),  # type: ignore[call-overload]
                "completed_at": None
                if e["completed"] is None
                else _moment(int(e["completed"]) + shift),  # type: ignore[call-overload]
                "due_date": None
                if e["due"] is None
                else START + dt.timedelta(days=int(e["due"]) + shift),  # type: ignore[call-overload]
            }
        )
        for k, (day, clicks, module) in enumerate(e["events"]):  # type: ignore[attr-defined]
            events.append(
                {
                    "event_id": str(uuid.UUID(int=(i + 1) * 1000 + k)),
                    "person_id": e["person"],
                    "actor_ifi": f"mbox:mailto:{e['person']}@x.test",
                    "verb_id": "http://x.test/v",
                    "verb": "interacted",
                    "activity_id": f"https://x.test/{e['course']}/{module}",
                    "registration": registration if k % 3 else None,
                    "timestamp": _moment(day + shift),
                    "stored": _moment(day + shift),
                    "interactions": clicks,
                }
            )
        for k, (day, assessment, score) in enumerate(e["results"]):  # type: ignore[attr-defined]
            results.append(
                {
                    "result_id": f"R{i}-{k}",
                    "assessment_id": f"{e['course']}-{assessment}",
                    "person_id": e["person"],
                    "enrolment_id": f"E{i}" if k % 2 else None,
                    "taken_at": _moment(day + shift),
                    "score_raw": score,
                }
            )
    engine.bulk_insert(
        "enrolments", pa.Table.from_pylist(rows, schema=_schema(engine, "enrolments", rows))
    )
    if events:
        engine.bulk_insert(
            "learning_events",
            pa.Table.from_pylist(events, schema=_schema(engine, "learning_events", events)),
        )
    if results:
        engine.bulk_insert(
            "assessment_results",
            pa.Table.from_pylist(results, schema=_schema(engine, "assessment_results", results)),
        )


def _schema(engine: Engine, table: str, rows: list[dict[str, object]]) -> pa.Schema:
    types = {
        "enrolled_at": TS,
        "withdrawn_at": TS,
        "completed_at": TS,
        "timestamp": TS,
        "stored": TS,
        "taken_at": TS,
        "due_date": pa.date32(),
        "interactions": pa.int64(),
        "score_raw": pa.float64(),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in rows[0]])


def _mutate_after(engine: Engine, cutoff: dt.date, seed: int) -> None:
    """Change, delete and add every kind of record dated on or after `cutoff`."""
    at = dt.datetime.combine(cutoff, dt.time(0), tzinfo=dt.UTC)
    rng = np.random.default_rng(seed)
    engine.execute(
        'DELETE FROM learning_events WHERE "timestamp" >= ? AND interactions % 2 = 0', [at]
    )
    engine.execute(
        "UPDATE learning_events SET interactions = interactions * 7 + 3, "
        "activity_id = 'https://x.test/C1/m2' WHERE \"timestamp\" >= ?",
        [at],
    )
    engine.execute(
        "UPDATE assessment_results SET score_raw = 100 - score_raw WHERE taken_at >= ?", [at]
    )
    engine.execute("DELETE FROM assessment_results WHERE taken_at >= ? AND score_raw < 50", [at])
    later = at + dt.timedelta(days=int(rng.integers(0, 20)))
    engine.execute("UPDATE enrolments SET withdrawn_at = ? WHERE withdrawn_at >= ?", [later, at])
    engine.execute("UPDATE enrolments SET completed_at = NULL WHERE completed_at >= ?", [at])
    engine.execute(
        "UPDATE enrolments SET status = ? WHERE (withdrawn_at IS NULL OR withdrawn_at >= ?) "
        "AND (completed_at IS NULL OR completed_at >= ?) "
        "AND (due_date IS NULL OR due_date >= ?)",
        [str(rng.choice(STATUSES)), at, at, cutoff],
    )
    engine.execute("DELETE FROM enrolments WHERE enrolled_at >= ?", [at])
    engine.execute(
        "INSERT INTO learning_events (event_id, person_id, actor_ifi, verb_id, verb, activity_id, "
        'registration, "timestamp", stored, interactions) '
        "SELECT ?, person_id, 'mbox:mailto:new@x.test', 'http://x.test/v', 'interacted', "
        "'https://x.test/C1/m1', registration, ?, ?, 99 FROM enrolments LIMIT 1",
        [str(uuid.uuid4()), later, later],
    )
    engine.execute(
        "INSERT INTO assessment_results (result_id, assessment_id, person_id, enrolment_id, "
        "taken_at, score_raw) "
        "SELECT 'NEW-' || enrolment_id, 'C1-A1', person_id, enrolment_id, ?, 5 FROM enrolments",
        [later],
    )


def _same(a: FeatureFrame, b: FeatureFrame) -> None:
    assert a.enrolment_ids == b.enrolment_ids
    # Sums of float scores may add up in another order once rows are gone: equal up to
    # rounding, not bit for bit.
    for j, name in enumerate(FEATURES):
        np.testing.assert_allclose(
            a.matrix[:, j], b.matrix[:, j], rtol=1e-12, atol=1e-12, equal_nan=True, err_msg=name
        )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    enrolments=st.lists(_enrolment, min_size=1, max_size=6),
    day=st.integers(0, 40),
    seed=st.integers(0, 99),
)
def test_features_ignore_every_record_at_or_after_the_cutoff(
    store: Engine, enrolments: list[dict[str, object]], day: int, seed: int
) -> None:
    _load(store, enrolments)
    cutoff = START + dt.timedelta(days=day)
    before = features_on(store, cutoff)
    _mutate_after(store, cutoff, seed)
    _same(before, features_on(store, cutoff))


def test_the_mutation_does_change_features_when_the_cutoff_is_later(store: Engine) -> None:
    """Guards the property test: the same mutation does change what a later cut-off sees."""
    enrolment = {
        "course": "C1",
        "person": "P1",
        "cohort_shift": 0,
        "enrolled": -5,
        "status": "enrolled",
        "withdrawn": None,
        "completed": None,
        "due": None,
        "events": [(1, 4, "m1"), (12, 6, "m2")],
        "results": [(3, "A1", 30.0), (13, "A2", 40.0)],
    }
    _load(store, [enrolment])
    cutoff = START + dt.timedelta(days=10)
    later = START + dt.timedelta(days=30)
    before = features_on(store, later)
    _mutate_after(store, cutoff, 1)
    after = features_on(store, later)
    assert not np.array_equal(before.column("interactions"), after.column("interactions"))
