"""The roster: org hierarchy, positions, the people who fill them over time, wages and names.

The organisation is a fixed set of *positions* (CEO, division heads, department heads, team
leads and team members, plus positions opened during the window for growth). Each position is
held by a sequence of people: the first was hired before the window; when someone leaves, a new
hire takes over after a vacancy. Less able people leave more often, so survivors drift upwards
(survivorship is one of the traps for naive analyses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from learnledger.demo.names import FAMILY_NAMES, GIVEN_NAMES
from learnledger.demo.spec import Scenario
from learnledger.demo.timeline import (
    BoolArray,
    DayArray,
    FloatArray,
    IntArray,
    Timeline,
    format_ids,
    id_width,
    stream,
)

STREAM = 1
NO_PARENT = -1


@dataclass
class OrgUnits:
    """Org units as parallel lists; index = position in the lists."""

    ids: list[str]
    names: list[str]
    parent: list[int]
    kind: list[str]
    cost_center: list[str]
    division: list[int]
    region: list[str]


@dataclass
class Roster:
    """Everyone employed at any time in the window (arrays indexed by person)."""

    person_ids: list[str]
    hr_ids: list[str]
    emails: list[str]
    given: list[str]
    family: list[str]
    role: IntArray  # index into scenario.roles
    division: IntArray  # index into scenario.divisions, -1 for the CEO
    department: IntArray  # org unit index of the department (or division/company)
    unit: IntArray  # org unit index the person belongs to (team, department, ...)
    location: IntArray  # index into scenario.locations
    manager: IntArray  # person index of the manager, -1 for none
    hire: DayArray
    leave: DayArray  # may lie after the window: such people are still employed
    ability: FloatArray
    trend: FloatArray
    engagement: FloatArray
    cost_per_hour: FloatArray
    employment_type: list[str]
    is_member: BoolArray  # individual contributor in a team
    is_team_lead: BoolArray

    @property
    def size(self) -> int:
        """Number of people."""
        return len(self.person_ids)

    def employed_on(self, day: np.datetime64) -> BoolArray:
        """Who is employed on `day`."""
        return (self.hire <= day) & (self.leave > day)


@dataclass
class _Positions:
    kind: list[str]  # ceo, vp, director, lead, member
    role: list[int]
    division: list[int]
    department: list[int]
    unit: list[int]
    location: list[int]
    parent: list[int]
    opens: list[int]  # day offset from the window start (<= 0: before the window)


def build_roster(
    scenario: Scenario, timeline: Timeline, people: int, seed: int
) -> tuple[OrgUnits, Roster]:
    """Generate the org units and everyone who works there during the window."""
    rng = stream(seed, STREAM)
    units, positions = _structure(scenario, timeline, people, rng)
    return units, _fill(scenario, timeline, positions, rng)


def _split(total: int, shares: list[float]) -> list[int]:
    weights = np.asarray(shares, dtype=float) / sum(shares)
    counts = np.floor(weights * total).astype(int)
    for i in np.argsort(-(weights * total - counts))[: total - counts.sum()]:
        counts[i] += 1
    return [int(c) for c in counts]


def _structure(
    scenario: Scenario, timeline: Timeline, people: int, rng: np.random.Generator
) -> tuple[OrgUnits, _Positions]:
    units = OrgUnits([], [], [], [], [], [], [])
    pos = _Positions([], [], [], [], [], [], [], [])
    role_index = {r.role_id: i for i, r in enumerate(scenario.roles)}
    loc_index = {loc.name: i for i, loc in enumerate(scenario.locations)}

    def unit(uid: str, name: str, parent: int, kind: str, cc: str, div: int, region: str) -> int:
        units.ids.append(uid)
        units.names.append(name)
        units.parent.append(parent)
        units.kind.append(kind)
        units.cost_center.append(cc)
        units.division.append(div)
        units.region.append(region)
        return len(units.ids) - 1

    def position(kind: str, role: str, div: int, dept: int, u: int, loc: int, parent: int) -> int:
        pos.kind.append(kind)
        pos.role.append(role_index[role])
        pos.division.append(div)
        pos.department.append(dept)
        pos.unit.append(u)
        pos.location.append(loc)
        pos.parent.append(parent)
        pos.opens.append(-1)
        return len(pos.kind) - 1

    code = scenario.company_code
    company = unit(f"OU-{code}", scenario.company, NO_PARENT, "company", "CC-1000", -1, "")
    head_site = loc_index[scenario.divisions[0].sites[0][1][0][0]]
    ceo = position("ceo", "ROLE-CEO", -1, company, company, head_site, NO_PARENT)
    sizes = _split(
        max(people - 1, len(scenario.divisions) * 3), [d.share for d in scenario.divisions]
    )
    for d, (div, headcount) in enumerate(zip(scenario.divisions, sizes, strict=True)):
        sites = dict(div.sites)
        div_unit = unit(
            f"OU-{div.code}", div.name, company, "division", f"CC-{div.cost_center_base}", d, ""
        )
        vp_site = loc_index[div.sites[0][1][0][0]]
        vp = position("vp", "ROLE-VP", d, div_unit, div_unit, vp_site, ceo)
        regions = [(r, s) for r, s in div.regions if s * headcount >= 8] or [div.regions[0]]
        region_sizes = _split(headcount - 1, [s for _, s in regions])
        for k, ((region, _), size) in enumerate(zip(regions, region_sizes, strict=True)):
            site_names = [name for name, _ in sites[region]]
            site_weights = np.array([w for _, w in sites[region]], dtype=float)
            dept = unit(
                f"OU-{div.code}-{region.upper()}",
                f"{div.name} {region}",
                div_unit,
                "department",
                f"CC-{div.cost_center_base + 10 * (k + 1)}",
                d,
                region,
            )
            director = position(
                "director", div.head_role, d, dept, dept, loc_index[site_names[0]], vp
            )
            remaining = size - 1
            lo, hi = div.team_size
            team_sizes: list[int] = []
            while remaining > 0:
                members = int(rng.integers(lo, hi + 1))
                if remaining - (members + 1) < lo + 1:
                    members = max(1, remaining - 1)
                team_sizes.append(members)
                remaining -= members + 1
            width = max(2, len(str(len(team_sizes))))
            site_of_team = rng.choice(
                len(site_names), size=len(team_sizes), p=site_weights / site_weights.sum()
            )
            per_site: dict[int, int] = {}
            for t, members in enumerate(team_sizes):
                site = int(site_of_team[t])
                per_site[site] = per_site.get(site, 0) + 1
                team = unit(
                    f"{units.ids[dept]}-T{t + 1:0{width}d}",
                    f"{div.name} {site_names[site]} {per_site[site]}",
                    dept,
                    "team",
                    units.cost_center[dept],
                    d,
                    region,
                )
                loc = loc_index[site_names[site]]
                lead = position("lead", div.team_lead_role, d, dept, team, loc, director)
                shares = np.array([s for _, s in div.member_roles], dtype=float)
                picks = rng.choice(len(shares), size=members, p=shares / shares.sum())
                for r in picks.tolist():
                    position("member", div.member_roles[r][0], d, dept, team, loc, lead)
    _add_growth(scenario, timeline, pos, rng)
    return units, pos


def _add_growth(
    scenario: Scenario, timeline: Timeline, pos: _Positions, rng: np.random.Generator
) -> None:
    """Open extra member positions during the window (the company grows)."""
    members = [i for i, k in enumerate(pos.kind) if k == "member"]
    extra = round(len(members) * scenario.annual_growth * timeline.months / 12)
    if not members or extra <= 0:
        return
    days = int((timeline.end_day - timeline.start_day).astype(int))
    for template, opens in zip(
        rng.choice(members, size=extra).tolist(),
        rng.integers(0, days, size=extra).tolist(),
        strict=True,
    ):
        for lst in (
            pos.kind,
            pos.role,
            pos.division,
            pos.department,
            pos.unit,
            pos.location,
            pos.parent,
        ):
            lst.append(lst[template])
        pos.opens.append(int(opens))


_TENURE_YEARS = {"ceo": 7.0, "vp": 6.0, "director": 6.0, "lead": 5.0, "member": 3.5}
_ATTRITION_FACTOR = {"ceo": 0.3, "vp": 0.5, "director": 0.6, "lead": 0.8, "member": 1.0}


def _fill(
    scenario: Scenario, timeline: Timeline, pos: _Positions, rng: np.random.Generator
) -> Roster:
    n_pos = len(pos.kind)
    kind = np.array(pos.kind)
    start = timeline.start_day
    end = timeline.end_day
    opens = np.array(pos.opens, dtype=np.int64)
    tenure = np.array([_TENURE_YEARS[k] for k in pos.kind])
    hazard_factor = np.array([_ATTRITION_FACTOR[k] for k in pos.kind])
    monthly = -math.log(1.0 - scenario.annual_attrition) / 12.0

    occ_pos: list[IntArray] = []
    occ_hire: list[DayArray] = []
    occ_leave: list[DayArray] = []
    occ_ability: list[FloatArray] = []
    current = np.arange(n_pos)
    before = opens < 0
    years = np.minimum(rng.exponential(tenure), 30.0)
    hire = np.where(
        before,
        start - (years * 365.25).astype(np.int64).astype("timedelta64[D]") - 1,
        start + opens.astype("timedelta64[D]"),
    ).astype("datetime64[D]")
    while len(current):
        ability = rng.standard_normal(len(current))
        rate = monthly * hazard_factor[current] * np.exp(-0.35 * ability)
        from_day = np.maximum(hire, start)
        months_to_leave = rng.exponential(1.0 / rate)
        leave = from_day + (months_to_leave * 30.44).astype(np.int64).astype("timedelta64[D]") + 1
        occ_pos.append(current)
        occ_hire.append(hire)
        occ_leave.append(leave)
        occ_ability.append(ability)
        vacancy = rng.integers(20, 90, size=len(current)).astype("timedelta64[D]")
        refill = leave + vacancy
        again = refill <= end
        current, hire = current[again], refill[again]

    position = np.concatenate(occ_pos)
    hires = np.concatenate(occ_hire)
    leaves = np.concatenate(occ_leave)
    abilities = np.concatenate(occ_ability)
    order = np.lexsort((position, hires))
    position, hires, leaves, abilities = (
        position[order],
        hires[order],
        leaves[order],
        abilities[order],
    )
    n = len(position)
    manager = _managers(np.array(pos.parent), position, hires, np.minimum(leaves, end))
    role = np.array(pos.role)[position]
    location = np.array(pos.location)[position]
    tenure_years = np.clip((start - hires).astype(np.int64) / 365.25, 0.0, 10.0)
    role_cost = np.array([r.cost_per_hour for r in scenario.roles])[role]
    loc_factor = np.array([loc.cost_factor for loc in scenario.locations])[location]
    cost = np.round(
        role_cost * loc_factor * np.exp(rng.normal(0.0, 0.07, n)) * (1 + 0.015 * tenure_years), 2
    )
    given, family, emails = _names(scenario, rng, n)
    width = id_width(n)
    employment = rng.choice(
        ["full_time", "part_time", "contractor"], size=n, p=[0.92, 0.06, 0.02]
    ).tolist()
    kinds = kind[position]
    return Roster(
        person_ids=format_ids("P", np.arange(1, n + 1), width),
        hr_ids=format_ids("E-", np.arange(100_001, 100_001 + n), 6),
        emails=emails,
        given=given,
        family=family,
        role=role.astype(np.int64),
        division=np.array(pos.division)[position].astype(np.int64),
        department=np.array(pos.department)[position].astype(np.int64),
        unit=np.array(pos.unit)[position].astype(np.int64),
        location=location.astype(np.int64),
        manager=manager,
        hire=hires,
        leave=leaves,
        ability=abilities,
        trend=rng.standard_normal(n),
        engagement=0.5 * abilities + math.sqrt(0.75) * rng.standard_normal(n),
        cost_per_hour=cost,
        employment_type=employment,
        is_member=kinds == "member",
        is_team_lead=kinds == "lead",
    )


def _managers(parent: IntArray, position: IntArray, hires: DayArray, when: DayArray) -> IntArray:
    """The person holding each person's parent position on the person's last day (or the
    window's end); the latest earlier holder when the position is vacant then."""
    n = len(position)
    by_position = np.lexsort((hires, position))
    pos_sorted = position[by_position]
    hire_days = hires[by_position].astype(np.int64)
    span = int(hire_days.max() - hire_days.min()) + 2 if n else 1
    keys = pos_sorted * span + (hire_days - (hire_days.min() if n else 0))
    manager = np.full(n, NO_PARENT, dtype=np.int64)
    has_parent = parent[position] != NO_PARENT
    target = parent[position][has_parent]
    query_days = when[has_parent].astype(np.int64) - (hire_days.min() if n else 0)
    idx = np.searchsorted(keys, target * span + query_days, side="right") - 1
    idx = np.clip(idx, 0, n - 1)
    wrong = pos_sorted[idx] != target
    first = np.searchsorted(pos_sorted, target, side="left")
    idx = np.where(wrong, first, idx)
    manager[has_parent] = by_position[idx]
    return manager


def _names(
    scenario: Scenario, rng: np.random.Generator, n: int
) -> tuple[list[str], list[str], list[str]]:
    given = np.array(GIVEN_NAMES)[rng.integers(0, len(GIVEN_NAMES), n)].tolist()
    family = np.array(FAMILY_NAMES)[rng.integers(0, len(FAMILY_NAMES), n)].tolist()
    seen: dict[str, int] = {}
    emails = []
    for g, f in zip(given, family, strict=True):
        local = f"{g}.{f}".lower().replace(" ", "")
        count = seen.get(local, 0) + 1
        seen[local] = count
        emails.append(f"{local}{count if count > 1 else ''}@{scenario.email_domain}")
    return given, family, emails
