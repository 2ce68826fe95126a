"""Fully loaded costs from the ledger: allocation shares, first-year amortisation, participant
time estimated when the ledger lacks it, and refusals."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from learnledger.core.model.migrations import MIGRATIONS
from learnledger.errors import NotFoundError, ValidationError
from learnledger.impact.costs import fully_loaded_costs
from learnledger.storage import Engine, Migrator


def _programme(engine: Engine) -> None:
    Migrator(engine, MIGRATIONS).migrate()
    engine.bulk_insert("programmes", pa.table({"programme_id": ["P"], "name": ["P"]}))
    engine.bulk_insert(
        "courses",
        pa.table(
            {
                "course_id": ["C"],
                "programme_id": ["P"],
                "name": ["C"],
                "delivery_channel": ["instructor_led"],
                "planned_hours": [8.0],
            }
        ),
    )
    engine.bulk_insert(
        "people",
        pa.table(
            {
                "person_id": ["a", "b", "c"],
                "loaded_cost_per_hour": [50.0, 60.0, 70.0],
                "currency": ["EUR"] * 3,
            }
        ),
    )
    moment = datetime(2024, 3, 1, tzinfo=UTC)
    engine.bulk_insert(
        "enrolments",
        pa.table(
            {
                "enrolment_id": ["e1", "e2", "e3"],
                "person_id": ["a", "b", "c"],
                "course_id": ["C"] * 3,
                "status": ["completed", "completed", "withdrawn"],
                "enrolled_at": [moment] * 3,
                "completed_at": [moment, moment, None],
            }
        ),
    )


def _cost(engine: Engine, rows: list[dict[str, object]]) -> None:
    columns = {key: [row.get(key) for row in rows] for key in rows[0]}
    engine.bulk_insert("programme_costs", pa.table(columns))


def test_costs_apply_shares_and_first_year_amortisation(engine: Engine) -> None:
    _programme(engine)
    _cost(
        engine,
        [
            {
                "cost_id": "1",
                "programme_id": "P",
                "category": "delivery",
                "amount": 1000.0,
                "currency": "EUR",
                "incurred_on": date(2024, 1, 5),
                "allocation_share": 0.5,
                "amortisation_months": None,
            },
            {
                "cost_id": "2",
                "programme_id": "P",
                "category": "development",
                "amount": 2400.0,
                "currency": "EUR",
                "incurred_on": date(2024, 1, 9),
                "allocation_share": None,
                "amortisation_months": 24,
            },
        ],
    )
    costs = fully_loaded_costs(engine, "P")
    assert costs.by_category["delivery"] == 500.0
    assert costs.by_category["development"] == 1200.0
    # no participant time in the ledger: 8 planned hours x (50 + 60) for the two completers
    assert costs.by_category["participant_time"] == 8 * 50 + 8 * 60
    assert costs.total == 500.0 + 1200.0 + 880.0
    assert costs.by_month == {date(2024, 1, 1): 1700.0}
    assert any("first-year share" in note for note in costs.notes)
    assert any("estimated from planned course hours" in note for note in costs.notes)


def test_mixed_currencies_missing_costs_and_unknown_programmes_are_refused(engine: Engine) -> None:
    _programme(engine)
    engine.execute("UPDATE enrolments SET completed_at = NULL")
    with pytest.raises(ValidationError, match="no costs recorded"):
        fully_loaded_costs(engine, "P")
    _cost(
        engine,
        [
            {
                "cost_id": "1",
                "programme_id": "P",
                "category": "delivery",
                "amount": 10.0,
                "currency": "EUR",
                "incurred_on": date(2024, 1, 5),
            },
            {
                "cost_id": "2",
                "programme_id": "P",
                "category": "evaluation",
                "amount": 10.0,
                "currency": "USD",
                "incurred_on": date(2024, 1, 5),
            },
        ],
    )
    with pytest.raises(ValidationError, match="mixes currencies"):
        fully_loaded_costs(engine, "P")
    with pytest.raises(NotFoundError, match="Q"):
        fully_loaded_costs(engine, "Q")
