"""Fully loaded programme costs from the cost ledger, by Phillips category."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from learnledger.errors import NotFoundError, ValidationError
from learnledger.storage.engine import Engine

#: Phillips cost categories, in the order reports list them.
CATEGORIES: tuple[str, ...] = (
    "analysis",
    "development",
    "delivery",
    "participant_time",
    "support_overhead",
    "evaluation",
)


@dataclass(frozen=True)
class CostBreakdown:
    """A programme's fully loaded first-year cost, by category, with how it was derived."""

    by_category: dict[str, float]
    currency: str
    by_month: dict[date, float]
    notes: list[str] = field(default_factory=list)

    @property
    def total(self) -> float:
        """All categories together."""
        return sum(self.by_category.values())

    def as_json(self) -> dict[str, object]:
        """JSON-ready breakdown."""
        return {
            "total": self.total,
            "currency": self.currency,
            "by_category": self.by_category,
            "notes": self.notes,
        }


def fully_loaded_costs(engine: Engine, programme_id: str) -> CostBreakdown:
    """Sum the ledger's costs charged to the programme (amount x allocation share; a cost
    amortised over N months counts its first-year share, min(12, N) / N, to match first-year
    benefits). When the ledger has no participant-time cost, it is estimated from completed
    enrolments: each course's planned hours x the learner's loaded cost per hour."""
    if engine.fetch_one("SELECT 1 FROM programmes WHERE programme_id = ?", [programme_id]) is None:
        raise NotFoundError(f"programme {programme_id!r} does not exist")
    rows = engine.fetch_all(
        "SELECT category, amount, currency, incurred_on, allocation_share, amortisation_months "
        "FROM programme_costs WHERE programme_id = ?",
        [programme_id],
    )
    by_category = dict.fromkeys(CATEGORIES, 0.0)
    by_month: dict[date, float] = {}
    currencies = set()
    notes: list[str] = []
    amortised = 0
    for category, amount, currency, incurred, share, months in rows:
        value = float(Decimal(amount)) * (1.0 if share is None else float(share))
        if months:
            value *= min(12, int(months)) / int(months)
            amortised += 1
        by_category[str(category)] = by_category.get(str(category), 0.0) + value
        month = date(incurred.year, incurred.month, 1)
        by_month[month] = by_month.get(month, 0.0) + value
        currencies.add(str(currency))
    if len(currencies) > 1:
        raise ValidationError(
            f"programme_costs[{programme_id}]",
            f"mixes currencies ({', '.join(sorted(currencies))}); convert them first",
        )
    if amortised:
        notes.append(f"{amortised} amortised costs count their first-year share only.")
    if not by_category["participant_time"]:
        estimate = _participant_time(engine, programme_id)
        if estimate:
            by_category["participant_time"] = estimate
            notes.append(
                "Participants' time is estimated from planned course hours x loaded cost per "
                "hour (the ledger has none)."
            )
    if not rows and not by_category["participant_time"]:
        raise ValidationError(
            f"programme_costs[{programme_id}]",
            "no costs recorded; ROI needs the programme's fully loaded costs",
        )
    currency = currencies.pop() if currencies else _people_currency(engine)
    return CostBreakdown(by_category, currency, dict(sorted(by_month.items())), notes)


def _participant_time(engine: Engine, programme_id: str) -> float:
    row = engine.fetch_one(
        """
        SELECT SUM(c.planned_hours * p.loaded_cost_per_hour)
        FROM enrolments e
        JOIN courses c ON c.course_id = e.course_id
        JOIN people p ON p.person_id = e.person_id
        WHERE c.programme_id = ? AND e.completed_at IS NOT NULL
        """,
        [programme_id],
    )
    return float(row[0]) if row and row[0] is not None else 0.0


def _people_currency(engine: Engine) -> str:
    row = engine.fetch_one("SELECT MIN(currency) FROM people WHERE currency IS NOT NULL")
    if not row or not row[0]:
        raise ValidationError("people.currency", "unknown: record the currency of loaded costs")
    return str(row[0])
