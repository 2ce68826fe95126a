"""The vocabulary of a demo scenario: frozen dataclasses that describe a company as data.

A `Scenario` names divisions, roles, skills, locations, performance metrics, business KPIs and
learning programmes with their true effects. The generators read only these values, so a
different company is a different `Scenario`, not different code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A work site: cost factor against the company's base wages and UTC offset in hours."""

    name: str
    region: str
    cost_factor: float
    utc_offset: int


@dataclass(frozen=True)
class RoleSpec:
    """A job role with its loaded cost per hour before location and personal adjustments."""

    role_id: str
    name: str
    job_family: str
    level: int
    is_manager: bool
    cost_per_hour: float
    #: Required proficiency (0-5) per skill id.
    requirements: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class DivisionSpec:
    """A division: its share of headcount, its regions, sites and role mix of team members."""

    code: str
    name: str
    job_family: str
    share: float
    #: (region, share of the division) pairs.
    regions: tuple[tuple[str, float], ...]
    #: Sites per region, (location name, weight) pairs.
    sites: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    #: Individual-contributor roles and their shares in a team.
    member_roles: tuple[tuple[str, float], ...]
    team_lead_role: str
    head_role: str
    cost_center_base: int
    team_size: tuple[int, int] = (6, 10)


@dataclass(frozen=True)
class SkillSpec:
    """A skill on a 0-5 scale."""

    skill_id: str
    name: str
    category: str
    description: str


@dataclass(frozen=True)
class MetricSpec:
    """A monthly individual performance measure and how its values are generated.

    Values are ``baseline * role factor * (1 + ability_loading * ability + team effect)
    * season * trend * new-hire ramp + noise``, plus a programme's effect after completion.
    `distribution` is ``normal`` (clipped to `bounds`) or ``poisson`` (counts).
    """

    metric_id: str
    name: str
    unit: str
    direction: str
    kind: str
    job_family: str
    description: str
    source_id: str
    baseline: float
    #: Who is measured: "members" (individual contributors) or "team_leads".
    population: str = "members"
    role_factors: tuple[tuple[str, float], ...] = ()
    ability_loading: float = 0.1
    team_sd: float = 0.04
    person_trend_sd: float = 0.015
    trend_per_year: float = 0.0
    #: Multipliers by calendar month, January first.
    season: tuple[float, ...] = (1.0,) * 12
    noise_sd: float = 0.1
    distribution: str = "normal"
    bounds: tuple[float, float] = (0.0, float("inf"))
    decimals: int = 2
    missing_rate: float = 0.03
    newhire_ramp: float = 0.3


@dataclass(frozen=True)
class KpiSpec:
    """A business KPI observed monthly per org unit, with the money one unit is worth."""

    kpi_id: str
    name: str
    unit: str
    direction: str
    category: str
    monetary_value_per_unit: float
    value_basis: str
    description: str
    job_family: str
    source_id: str


@dataclass(frozen=True)
class ModuleSpec:
    """A module of a course: kind (video, lesson, interactive, simulation, session, task),
    typical minutes, and the per-module drop-out hazard."""

    name: str
    kind: str
    minutes: float
    dropout: float = 0.01


@dataclass(frozen=True)
class CourseSpec:
    """A course of a programme with its delivery channel and modules."""

    code: str
    name: str
    channel: str
    modules: tuple[ModuleSpec, ...]
    #: Development (or acquisition) cost per planned hour of learning.
    development_per_hour: float = 10_000.0

    @property
    def planned_hours(self) -> float:
        """Planned learning time: the modules' minutes in hours."""
        return round(sum(m.minutes for m in self.modules) / 60.0, 2)


@dataclass(frozen=True)
class ObjectiveSpec:
    """An objective agreed before launch."""

    level: str
    metric_id: str
    target_value: float
    unit: str
    within_months: int


@dataclass(frozen=True)
class CostSpec:
    """Cost drivers of a programme besides participant time (which comes from the data)."""

    analysis: float
    analysis_share: float
    evaluation: float
    facilitator_day_rate: float = 1_600.0
    venue_day_rate: float = 650.0
    travel_per_attendee: float = 0.0
    materials_per_participant: float = 35.0
    coach_hour_rate: float = 140.0
    licence_per_participant: float = 0.0
    seats_per_session: int = 14
    platform_per_month: float = 1_200.0
    overhead_share: float = 0.12


@dataclass(frozen=True)
class ProgrammeSpec:
    """A learning programme, who it targets, how it rolls out and what it truly does.

    `effects` are the true changes at full ramp per completer, in metric units (negative for
    reductions). `selection` weights ability, improvement trend and engagement in the
    voluntary enrolment order; a mandatory programme rolls out by site instead.
    """

    programme_id: str
    code: str
    name: str
    description: str
    target_families: tuple[str, ...]
    #: "members", "team_leads" or "everyone".
    audience: str
    launch_fraction: float
    waves: int
    wave_gap_months: int
    uptake: float
    mandatory: bool
    selection: tuple[float, float, float]
    courses: tuple[CourseSpec, ...]
    skills: tuple[str, ...]
    proficiency_gain: float
    effects: tuple[tuple[str, float], ...]
    ramp_months: int
    benefit_kpi: str | None
    costs: CostSpec
    objectives: tuple[ObjectiveSpec, ...]
    assessment_items: int = 10
    xapi_base: str = ""
    flagship: bool = False
    retention: float = 0.8
    effect_cv: float = 0.3
    actor_account_home: str | None = None

    @property
    def slug(self) -> str:
        """The programme id without its prefix, lower case, e.g. ``consultative-selling``."""
        return self.programme_id.removeprefix("PRG-").lower()


@dataclass(frozen=True)
class SourceSpec:
    """A registered data source."""

    source_id: str
    name: str
    kind: str
    owner: str
    description: str
    legal_basis: str
    retention_days: int
    review_status: str
    contains_personal_data: bool = True


@dataclass(frozen=True)
class Scenario:
    """A whole demo company."""

    company: str
    company_code: str
    email_domain: str
    currency: str
    locations: tuple[Location, ...]
    roles: tuple[RoleSpec, ...]
    divisions: tuple[DivisionSpec, ...]
    skills: tuple[SkillSpec, ...]
    metrics: tuple[MetricSpec, ...]
    kpis: tuple[KpiSpec, ...]
    programmes: tuple[ProgrammeSpec, ...]
    sources: tuple[SourceSpec, ...]
    annual_attrition: float = 0.13
    annual_growth: float = 0.04
    #: Standard cost of a handled support minute, the basis of the support cost KPI.
    support_cost_per_minute: float = 0.8
    #: Security incidents per engineer-month per unit of defect rate.
    incidents_per_defect: float = 0.004

    def role(self, role_id: str) -> RoleSpec:
        """The role called `role_id`."""
        for role in self.roles:
            if role.role_id == role_id:
                return role
        raise KeyError(role_id)

    def location(self, name: str) -> Location:
        """The location called `name`."""
        for loc in self.locations:
            if loc.name == name:
                return loc
        raise KeyError(name)

    def metric(self, metric_id: str) -> MetricSpec:
        """The metric called `metric_id`."""
        for metric in self.metrics:
            if metric.metric_id == metric_id:
                return metric
        raise KeyError(metric_id)

    def kpi(self, kpi_id: str) -> KpiSpec:
        """The KPI called `kpi_id`."""
        for kpi in self.kpis:
            if kpi.kpi_id == kpi_id:
                return kpi
        raise KeyError(kpi_id)
