"""Arrow tables of the canonical model, typed from the model's own column definitions.

`to_table` checks every column name against the catalogue and converts values to the Arrow
type of the column's logical type, so a typo or a wrong type fails here, not in the engine.
This module writes the organisation and governance tables; `tables_learning` the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.spec import ColumnType, Entity
from learnledger.demo.enrolment import NOT_SET
from learnledger.demo.organisation import OrgUnits, Roster
from learnledger.demo.spec import Scenario
from learnledger.demo.timeline import MS_PER_DAY, Timeline, day_to_ms, format_ids, stream
from learnledger.demo.xapi_vocab import vendor_account

STREAM = 9
HOUR = 3_600_000
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_ARROW: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.DOUBLE: pa.float64(),
    ColumnType.DECIMAL: pa.float64(),  # the engines cast to DECIMAL(18, 4) on insert
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: _TIMESTAMP,
    ColumnType.JSON: pa.string(),
    ColumnType.UUID: pa.string(),
}
_ENTITIES: dict[str, Entity] = {}


def _entity(name: str) -> Entity:
    if not _ENTITIES:
        _ENTITIES.update(current_entities())
    return _ENTITIES[name]


def _array(values: Any, ctype: ColumnType) -> pa.Array:
    arrow_type = _ARROW[ctype]
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values
    if isinstance(values, np.ndarray):
        if ctype is ColumnType.TIMESTAMP:
            ms = values.astype(np.int64)
            return pa.array(ms * 1000, type=_TIMESTAMP, mask=ms == NOT_SET)
        if ctype is ColumnType.DATE:
            return pa.array(values.astype("datetime64[D]"), type=pa.date32())
        if values.dtype == object:
            return pa.array(values.tolist(), type=arrow_type)
        return pa.array(values, type=arrow_type)
    return pa.array(values, type=arrow_type)


def to_table(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """An Arrow table for canonical table `name` (KeyError names an unknown column)."""
    entity = _entity(name)
    arrays = [_array(values, entity.column(col).type) for col, values in columns.items()]
    return pa.Table.from_arrays(arrays, names=list(columns))


def data_sources(scenario: Scenario, timeline: Timeline) -> pa.Table:
    """The registered data sources."""
    registered = day_to_ms(np.array([timeline.start_day - np.timedelta64(60, "D")])) + 8 * HOUR
    n = len(scenario.sources)
    reviewed = [
        (timeline.start_day - np.timedelta64(30, "D")).item()
        if s.review_status != "not_reviewed"
        else None
        for s in scenario.sources
    ]
    return to_table(
        "data_sources",
        {
            "source_id": [s.source_id for s in scenario.sources],
            "name": [s.name for s in scenario.sources],
            "kind": [s.kind for s in scenario.sources],
            "owner": [s.owner for s in scenario.sources],
            "description": [s.description for s in scenario.sources],
            "contains_personal_data": [s.contains_personal_data for s in scenario.sources],
            "legal_basis": [s.legal_basis for s in scenario.sources],
            "retention_days": [s.retention_days for s in scenario.sources],
            "review_status": [s.review_status for s in scenario.sources],
            "last_reviewed_on": reviewed,
            "registered_at": np.repeat(registered, n),
        },
    )


def org_units(units: OrgUnits) -> pa.Table:
    """The org hierarchy."""
    return to_table(
        "org_units",
        {
            "org_unit_id": units.ids,
            "name": units.names,
            "parent_id": [units.ids[p] if p >= 0 else None for p in units.parent],
            "kind": units.kind,
            "cost_center": units.cost_center,
            "source_id": ["hris"] * len(units.ids),
        },
    )


def roles_and_skills(scenario: Scenario) -> dict[str, pa.Table]:
    """roles, skills and role_skill_requirements."""
    reqs = [(r.role_id, s, level) for r in scenario.roles for s, level in r.requirements]
    return {
        "roles": to_table(
            "roles",
            {
                "role_id": [r.role_id for r in scenario.roles],
                "name": [r.name for r in scenario.roles],
                "job_family": [r.job_family for r in scenario.roles],
                "level": [r.level for r in scenario.roles],
                "is_manager": [r.is_manager for r in scenario.roles],
            },
        ),
        "skills": to_table(
            "skills",
            {
                "skill_id": [s.skill_id for s in scenario.skills],
                "name": [s.name for s in scenario.skills],
                "category": [s.category for s in scenario.skills],
                "description": [s.description for s in scenario.skills],
                "scale_max": [5] * len(scenario.skills),
            },
        ),
        "role_skill_requirements": to_table(
            "role_skill_requirements",
            {
                "role_id": [r for r, _, _ in reqs],
                "skill_id": [s for _, s, _ in reqs],
                "required_level": [level for _, _, level in reqs],
            },
        ),
    }


def people(scenario: Scenario, timeline: Timeline, units: OrgUnits, roster: Roster) -> pa.Table:
    """The HR roster: everyone employed at any time in the window."""
    ids = pa.array(roster.person_ids)
    manager = pa.array(np.where(roster.manager >= 0, roster.manager, 0)).cast(pa.int64())
    manager_ids = ids.take(manager).to_numpy(zero_copy_only=False).astype(object)
    manager_ids[roster.manager < 0] = None
    leave = roster.leave.copy()
    leave[leave > timeline.end_day] = np.datetime64("NaT")
    return to_table(
        "people",
        {
            "person_id": ids,
            "hr_id": roster.hr_ids,
            "email": roster.emails,
            "given_name": roster.given,
            "family_name": roster.family,
            "hire_date": roster.hire,
            "leave_date": leave,
            "manager_id": manager_ids,
            "org_unit_id": pa.array(units.ids).take(pa.array(roster.unit)),
            "role_id": pa.array([r.role_id for r in scenario.roles]).take(pa.array(roster.role)),
            "location": pa.array([loc.name for loc in scenario.locations]).take(
                pa.array(roster.location)
            ),
            "loaded_cost_per_hour": roster.cost_per_hour,
            "currency": pa.array([scenario.currency] * roster.size),
            "employment_type": roster.employment_type,
            "source_id": pa.array(["hris"] * roster.size),
        },
    )


def identities(
    roster: Roster, vendor_accounts: Mapping[str, np.ndarray], lms_home: str, timeline: Timeline
) -> pa.Table:
    """IFIs by which sources know each person: e-mail (LRS), LMS user id, vendor accounts."""
    linked = np.maximum(day_to_ms(roster.hire), day_to_ms(np.array([timeline.start_day]))[0])
    n = roster.size
    ifi = ["mbox:mailto:" + e for e in roster.emails]
    ifi += [f"account:{lms_home}|{h.lower().replace('-', '')}" for h in roster.hr_ids]
    person = list(roster.person_ids) * 2
    kind = ["mbox"] * n + ["account"] * n
    source = ["lrs"] * n + ["lms"] * n
    when = [linked, linked]
    for home, members in vendor_accounts.items():
        ifi += [f"account:{home}|{vendor_account(roster.hr_ids[i])}" for i in members.tolist()]
        person += [roster.person_ids[i] for i in members.tolist()]
        kind += ["account"] * len(members)
        source += ["lrs"] * len(members)
        when.append(linked[members])
    return to_table(
        "identities",
        {
            "ifi": ifi,
            "person_id": person,
            "kind": kind,
            "source_id": source,
            "linked_at": np.concatenate(when),
        },
    )


def consent_records(roster: Roster, timeline: Timeline, seed: int) -> pa.Table:
    """Consent grants at hire (or policy launch) and a few later withdrawals."""
    rng = stream(seed, STREAM, 1)
    policy = day_to_ms(np.array([timeline.start_day - np.timedelta64(45, "D")]))[0]
    granted = np.maximum(day_to_ms(roster.hire), policy) + 10 * HOUR
    people_idx: list[np.ndarray] = []
    purposes: list[str] = []
    statuses: list[str] = []
    when: list[np.ndarray] = []
    everyone = np.arange(roster.size)
    for purpose in ("predictive_modelling", "individual_reporting"):
        people_idx.append(everyone)
        purposes += [purpose] * roster.size
        statuses += ["granted"] * roster.size
        when.append(granted)
    last = np.minimum(day_to_ms(roster.leave), timeline.end_ms) - MS_PER_DAY
    for purpose, rate in (
        ("predictive_modelling", 0.04),
        ("individual_reporting", 0.02),
        ("analytics", 0.005),
    ):
        who = np.flatnonzero((rng.random(roster.size) < rate) & (last > granted + MS_PER_DAY))
        at = granted[who] + (rng.random(len(who)) * (last[who] - granted[who])).astype(np.int64)
        people_idx.append(who)
        purposes += [purpose] * len(who)
        statuses += ["withdrawn"] * len(who)
        when.append(at)
    idx = np.concatenate(people_idx)
    ids = pa.array(roster.person_ids).take(pa.array(idx))
    n = len(idx)
    return to_table(
        "consent_records",
        {
            "consent_id": format_ids("CON-", np.arange(1, n + 1), 8),
            "person_id": ids,
            "purpose": purposes,
            "status": statuses,
            "recorded_at": np.concatenate(when),
            "source_id": ["hris"] * n,
        },
    )
