"""The skill supply forecast against the hand-worked case of conftest.py, on both engines."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from statistics import NormalDist

import pyarrow as pa
import pytest

from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.insights.workforce import ForecastRequest, forecast_for, forecast_supply
from learnledger.storage import Engine

AS_OF = dt.date(2025, 6, 15)


def _cells(engine: Engine, **options: object) -> dict[str, dict[str, object]]:
    options.setdefault("quarters", 3)
    result = forecast_supply(engine, ForecastRequest(as_of=AS_OF, **options))  # type: ignore[arg-type]
    return {row.quarter: vars(row) for row in result.rows}


def test_forecast_matches_the_hand_computed_case(
    engine: Engine, workforce_case: Callable[..., None]
) -> None:
    workforce_case(engine)
    result = forecast_supply(engine, ForecastRequest(as_of=AS_OF, quarters=3))
    assert result.quarters == ["2025-Q2", "2025-Q3", "2025-Q4"]
    assert result.plan_name == "FY25"  # updated last
    cells = {row.quarter: row for row in result.rows}
    q2, q3, q4 = cells["2025-Q2"], cells["2025-Q3"], cells["2025-Q4"]
    # Q2: the training has not ended; P1 and P6 meet the level; no plan row.
    assert (q2.headcount, q2.meeting_now, q2.in_training, q2.unrated) == (6, 2, 0, 2)
    assert (q2.expected_supply, q2.planned_headcount, q2.required, q2.gap) == (2.0, None, 6, 4.0)
    # Q3: P6 has left; P2 and P3 finish PRG-X: 0.8 each (gain 1.5 lifts 2 to 3.5 >= 3).
    assert (q3.headcount, q3.meeting_now, q3.in_training) == (5, 1, 2)
    assert q3.expected_supply == pytest.approx(2.6)
    assert (q3.planned_headcount, q3.required) == (6, 6)
    assert q3.gap == pytest.approx(3.4)
    spread = NormalDist().inv_cdf(0.95) * math.sqrt(2 * 0.8 * 0.2)
    assert q3.supply_low == pytest.approx(round(2.6 - spread, 2))
    assert q3.supply_high == pytest.approx(round(2.6 + spread, 2))
    assert q3.coverage == pytest.approx(round(2.6 / 6, 3))
    # Q4: P7 is hired (unrated); the plan's OU-A1 row is a detail of OU-A: 4 + 3.
    assert (q4.headcount, q4.unrated, q4.planned_headcount) == (6, 3, 7)
    assert q4.expected_supply == pytest.approx(2.6)
    assert q4.gap == pytest.approx(4.4)
    (offer,) = result.offers
    assert offer["completion_rate"] == 0.8
    assert offer["skills"][0]["gain"] == 1.5
    assert offer["skills"][0]["people"] == 8


def test_gain_uncertainty_enters_through_the_normal_model(
    engine: Engine, workforce_case: Callable[..., None]
) -> None:
    workforce_case(engine, gain_spread=0.8)
    q3 = _cells(engine)["2025-Q3"]
    gains = [0.7, 2.3] * 4
    sd = math.sqrt(sum((g - 1.5) ** 2 for g in gains) / 7)
    spread = math.hypot(sd, sd / math.sqrt(8))
    p = 0.8 * NormalDist().cdf((2.0 + 1.5 - 3.0) / spread)
    assert q3["expected_supply"] == pytest.approx(round(1 + 2 * p, 2))


def test_plan_version_role_and_unit_can_be_chosen(
    engine: Engine, workforce_case: Callable[..., None]
) -> None:
    workforce_case(engine)
    assert _cells(engine, plan_name="draft")["2025-Q3"]["planned_headcount"] == 9
    team = _cells(engine, org_unit_id="OU-A")
    # OU-A and below: P1, P2 (OU-A1), P3 and P7 (OU-A); the plan row of OU-A only.
    assert team["2025-Q3"]["headcount"] is None  # 3 people: suppressed
    assert team["2025-Q4"]["planned_headcount"] == 4
    with pytest.raises(NotFoundError, match="plan"):
        _cells(engine, plan_name="nope")
    with pytest.raises(NotFoundError, match="role"):
        _cells(engine, role_id="ROLE-NOPE")
    with pytest.raises(NotFoundError, match="org unit"):
        _cells(engine, org_unit_id="OU-NOPE")
    with pytest.raises(ValidationError, match="quarters"):
        _cells(engine, quarters=0)


def test_small_cells_are_suppressed_and_consent_withdrawals_left_out(
    engine: Engine, workforce_case: Callable[..., None]
) -> None:
    workforce_case(engine)
    small = _cells(engine, min_group_size=6)
    assert small["2025-Q3"]["suppressed"] is True
    assert small["2025-Q3"]["expected_supply"] is None
    assert small["2025-Q3"]["planned_headcount"] == 6  # the plan is not about people
    assert small["2025-Q2"]["suppressed"] is False
    engine.bulk_insert(
        "consent_records",
        pa.table(
            {
                "consent_id": ["C1"],
                "person_id": ["P1"],
                "purpose": ["analytics"],
                "status": ["withdrawn"],
                "recorded_at": pa.array(
                    [dt.datetime(2025, 5, 1, tzinfo=dt.UTC)], pa.timestamp("us", tz="UTC")
                ),
            }
        ),
    )
    result = forecast_supply(engine, ForecastRequest(as_of=AS_OF, quarters=3, min_group_size=2))
    q2 = next(r for r in result.rows if r.quarter == "2025-Q2")
    assert (q2.headcount, q2.meeting_now) == (5, 1)
    assert result.consent_excluded == 1


def test_access_narrows_managers_and_programme_owners_and_refuses_learners(
    engine: Engine, workforce_case: Callable[..., None]
) -> None:
    workforce_case(engine)
    request = ForecastRequest(as_of=AS_OF, quarters=1, min_group_size=1)
    manager = Actor("u1", Role.MANAGER, org_unit_id="OU-A")
    narrowed = forecast_for(engine, manager, request)
    assert narrowed.scope == "org unit OU-A and below"
    assert narrowed.rows[0].headcount == 3
    with pytest.raises(PermissionDeniedError, match="outside"):
        forecast_for(engine, manager, ForecastRequest(as_of=AS_OF, quarters=1, org_unit_id="OU-B"))
    owner = Actor("u2", Role.PROGRAMME_OWNER, programme_ids=frozenset({"PRG-X"}))
    owned = forecast_for(engine, owner, request)
    assert [r.skill_id for r in owned.rows] == ["SK-X"]
    assert [o["offer_id"] for o in owned.offers] == ["PRG-X"]
    other = Actor("u3", Role.PROGRAMME_OWNER, programme_ids=frozenset({"PRG-OTHER"}))
    assert forecast_for(engine, other, request).rows == []
    assert forecast_for(engine, other, request).offers == []
    assert forecast_for(engine, Actor("u4", Role.EXECUTIVE), request).rows[0].headcount == 6
    for role in (Role.LEARNER, Role.AUDITOR):
        with pytest.raises(PermissionDeniedError):
            forecast_for(engine, Actor("u5", role, person_id="P1"), request)
