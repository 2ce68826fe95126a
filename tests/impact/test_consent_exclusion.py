"""The impact engine leaves out people without consent to analytics, on DuckDB and PostgreSQL,
and reports how many were left out."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from learnledger.impact.panel import NEVER_TREATED, Panel
from learnledger.impact.service import ImpactRequest, run_impact
from learnledger.storage import Engine

StorePanel = Callable[..., None]


def at(text: str) -> datetime:
    """A UTC moment from ISO text."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def withdraw(engine: Engine, people: list[str], when: str, status: str = "withdrawn") -> None:
    """Record an analytics decision for each of `people`."""
    engine.execute_many(
        "INSERT INTO consent_records (consent_id, person_id, purpose, status, recorded_at) "
        "VALUES (?, ?, 'analytics', ?, ?)",
        [(f"CON-{status}-{p}", p, status, at(when)) for p in people],
    )


def request(as_of: str) -> ImpactRequest:
    """The DiD request with consent as of `as_of`."""
    return ImpactRequest("PRG-A", "calls_per_day", methods=("did",), consent_as_of=at(as_of))


def test_withdrawn_people_leave_the_panel_and_are_counted(
    engine: Engine, make_panel: Callable[..., Panel], store_panel: StorePanel
) -> None:
    simulated = make_panel(31, effect=2.0, people=200)
    store_panel(engine, simulated)
    trained = [f"P{u:04d}" for u, s in enumerate(simulated.first_treated) if s != NEVER_TREATED]
    untrained = [f"P{u:04d}" for u, s in enumerate(simulated.first_treated) if s == NEVER_TREATED]
    before = run_impact(engine, request("2026-01-01"))
    assert before.consent_excluded == 0
    assert before.trained_people == len(trained)
    leaving = trained[:5] + untrained[:3]
    withdraw(engine, leaving, "2025-06-01")
    after = run_impact(engine, request("2026-01-01"))
    assert after.consent_excluded == 8
    assert after.trained_people == len(trained) - 5
    assert not set(leaving) & set(after.treated_months)
    assert after.as_json()["consent_excluded"] == 8
    assert any("8 people left out" in note for note in after.notes)
    assert after.estimates[0].effect != before.estimates[0].effect
    # A withdrawal recorded after the run's moment does not apply.
    earlier = run_impact(engine, request("2025-05-31"))
    assert earlier.consent_excluded == 0
    assert earlier.trained_people == len(trained)
    assert earlier.estimates[0].effect == before.estimates[0].effect


def test_a_later_grant_re_includes_people(
    engine: Engine, make_panel: Callable[..., Panel], store_panel: StorePanel
) -> None:
    simulated = make_panel(32, effect=2.0, people=150)
    store_panel(engine, simulated)
    trained = [f"P{u:04d}" for u, s in enumerate(simulated.first_treated) if s != NEVER_TREATED]
    withdraw(engine, trained[:2], "2025-06-01")
    withdraw(engine, trained[:2], "2025-09-01", status="granted")
    assert run_impact(engine, request("2025-07-01")).trained_people == len(trained) - 2
    regranted = run_impact(engine, request("2025-10-01"))
    assert regranted.consent_excluded == 0
    assert regranted.trained_people == len(trained)
