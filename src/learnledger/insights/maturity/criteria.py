"""The criteria of each maturity level: a check on the evidence, what it found, what to do next.

Levels (after the usual learning-analytics maturity ladders):

1. **reporting** — sources registered, data flowing in, activity (engagement) recorded;
2. **analysis** — learning measured (assessments or skill ratings), objectives set before
   training, analyses saved and reused (saved views);
3. **integration** — HR roster with roles and requirements, performance data of the people who
   learn, business KPIs, sources reviewed, consent and retention configured, data current;
4. **optimisation** — costs and money values recorded, programme effects isolated (impact
   runs with an isolating method), objectives beyond learning (behaviour, business, ROI);
5. **prediction** — early-warning models active, headcount planned for skill forecasts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from learnledger.insights.maturity.evidence import APPROVED, Evidence

LEVELS = {1: "reporting", 2: "analysis", 3: "integration", 4: "optimisation", 5: "prediction"}
#: Data older than this is not current.
CURRENT_DAYS = 45

Check = Callable[[Evidence], tuple[bool, str]]


@dataclass(frozen=True)
class Criterion:
    """One thing a level needs: its check and the next step when it fails."""

    key: str
    level: int
    title: str
    check: Check
    next_step: str


def _sources(e: Evidence) -> tuple[bool, str]:
    ids = ", ".join(s["source_id"] for s in e.sources)
    return bool(e.sources), f"{len(e.sources)} data sources registered" + (
        f": {ids}" if ids else ""
    )


def _imports(e: Evidence) -> tuple[bool, str]:
    statements = e.rows["xapi_statements"]
    latest = e.last_import.date().isoformat() if e.last_import else "never"
    return (
        e.succeeded_imports > 0 or statements > 0,
        f"{e.succeeded_imports} succeeded import runs (latest {latest}); "
        f"{statements:,} xAPI statements in the LRS",
    )


def _engagement(e: Evidence) -> tuple[bool, str]:
    enrolments, events = e.rows["enrolments"], e.rows["learning_events"]
    return (
        enrolments + events > 0,
        f"{enrolments:,} enrolments, {events:,} learning events",
    )


def _learning(e: Evidence) -> tuple[bool, str]:
    results, ratings = e.rows["assessment_results"], e.rows["proficiency_ratings"]
    return results + ratings > 0, f"{results:,} assessment results, {ratings:,} skill ratings"


def _objectives(e: Evidence) -> tuple[bool, str]:
    total = sum(e.objective_levels.values())
    return total > 0, (
        f"{total} objectives for {e.programmes_with_objectives} of "
        f"{e.rows['programmes']} programmes"
    )


def _views(e: Evidence) -> tuple[bool, str]:
    views = e.rows["saved_views"]
    return views > 0, (
        f"{views} saved views ({e.shared_views} shared), {e.rows['saved_view_pins']} pins"
    )


def _hr(e: Evidence) -> tuple[bool, str]:
    requirements = e.rows["role_skill_requirements"]
    return e.people_with_role_and_unit > 0 and requirements > 0, (
        f"{e.people(e.people_with_role_and_unit)} people with a role and an org unit; "
        f"{requirements} role skill requirements"
    )


def _performance(e: Evidence) -> tuple[bool, str]:
    return e.learners_with_performance > 0, (
        f"{e.rows['performance_observations']:,} performance observations; "
        f"{e.people(e.learners_with_performance)} learners with performance data"
    )


def _business(e: Evidence) -> tuple[bool, str]:
    return e.rows["kpi_observations"] > 0, f"{e.rows['kpi_observations']:,} KPI observations"


def _reviewed(e: Evidence) -> tuple[bool, str]:
    personal = e.personal_sources
    approved = [s for s in personal if s["review_status"] in APPROVED]
    return bool(personal) and len(approved) == len(personal), (
        f"{len(approved)} of {len(personal)} sources with personal data reviewed and approved"
    )


def _privacy(e: Evidence) -> tuple[bool, str]:
    personal = e.personal_sources
    kept = [s for s in personal if s["retention_days"] is not None]
    consent = e.rows["consent_records"]
    return bool(personal) and len(kept) == len(personal) and consent > 0, (
        f"retention set on {len(kept)} of {len(personal)} personal-data sources; "
        f"{consent:,} consent records"
    )


def _current(e: Evidence) -> tuple[bool, str]:
    moments = [m for m in (e.last_import, e.last_statement) if m is not None]
    if not moments:
        return False, "no data received yet"
    latest = max(moments)
    age = (e.as_of - latest).days
    return age <= CURRENT_DAYS, f"latest data received {latest.date().isoformat()} ({age} days ago)"


def _money(e: Evidence) -> tuple[bool, str]:
    costs = e.rows["programme_costs"]
    return costs > 0 and e.monetised_kpis > 0, (
        f"{costs:,} programme cost lines; {e.monetised_kpis} business KPIs with a money value"
    )


def _isolation(e: Evidence) -> tuple[bool, str]:
    methods = ", ".join(e.isolation_methods) or "none"
    return e.isolated_runs > 0, (
        f"{e.impact_runs} impact runs recorded, {e.isolated_runs} isolated the effect "
        f"(methods: {methods})"
    )


def _beyond_learning(e: Evidence) -> tuple[bool, str]:
    later = {k: v for k, v in e.objective_levels.items() if k in ("behaviour", "business", "roi")}
    text = ", ".join(f"{k} {v}" for k, v in sorted(later.items())) or "none"
    return bool(later), f"objectives beyond learning: {text}"


def _early_warning(e: Evidence) -> tuple[bool, str]:
    if e.risk_models is None:
        return False, "this installation has no early-warning models (no risk_models table)"
    return e.active_risk_models > 0, (
        f"{e.active_risk_models} active early-warning models of {e.risk_models}"
    )


def _workforce(e: Evidence) -> tuple[bool, str]:
    rows = e.rows["headcount_plans"]
    return rows > 0, f"{rows:,} headcount plan rows"


CRITERIA: tuple[Criterion, ...] = (
    Criterion("sources_registered", 1, "Data sources registered", _sources,
              "Register each system you take data from: learnledger sources add SOURCE_ID "
              "--name ... --kind lms|hris|lrs|..."),
    Criterion("data_flowing", 1, "Data imported or received", _imports,
              "Import your first export (learnledger import enrolments FILE --mapping M.yml "
              "--source lms) or point your e-learning content at the LRS (/xapi)."),
    Criterion("engagement_measured", 1, "Engagement recorded", _engagement,
              "Import enrolments from the LMS or send xAPI statements, so participation and "
              "completion can be reported."),
    Criterion("learning_measured", 2, "Learning measured", _learning,
              "Import assessment results (pre and post tests) or skill ratings "
              "(learnledger import assessment_results|proficiency_ratings ...)."),
    Criterion("objectives_set", 2, "Objectives set before training", _objectives,
              "Record measurable objectives per programme before it starts "
              "(learnledger import programme_objectives ...)."),
    Criterion("analyses_in_use", 2, "Analyses saved and reused", _views,
              "Save the breakdowns you review regularly in the segment explorer (/explorer) "
              "and pin them to your dashboard."),
    Criterion("hr_connected", 3, "HR roster and role requirements connected", _hr,
              "Import the HR roster with roles and org units (learnledger import people ...) "
              "and the skills each role requires (role_skill_requirements)."),
    Criterion("performance_linked", 3, "Performance data of learners", _performance,
              "Import monthly performance measures of the people who learn "
              "(learnledger import performance_observations ...)."),
    Criterion("business_measured", 3, "Business KPIs measured", _business,
              "Import business KPIs by org unit or programme "
              "(learnledger import business_kpis ... and kpi_observations ...)."),
    Criterion("sources_reviewed", 3, "Sources reviewed", _reviewed,
              "Review every source holding personal data: learnledger sources review SOURCE_ID "
              "--reviewer R --outcome approved --next-due DATE."),
    Criterion("privacy_configured", 3, "Consent and retention configured", _privacy,
              "Set a retention period on every personal-data source and import or record "
              "consent decisions (learnledger consent record ... or import consent_records)."),
    Criterion("data_current", 3, f"Data received in the last {CURRENT_DAYS} days", _current,
              "Schedule the imports (e.g. nightly learnledger import runs) so analyses use "
              "current data."),
    Criterion("money_recorded", 4, "Costs and money values recorded", _money,
              "Import fully loaded programme costs (programme_costs) and a money value per "
              "unit for business KPIs (business_kpis.monetary_value_per_unit)."),
    Criterion("isolation_used", 4, "Programme effects isolated", _isolation,
              "Isolate a programme's effect: learnledger impact run --program P --outcome "
              "METRIC (or learnledger roi ...) with a comparison group."),
    Criterion("objectives_beyond_learning", 4, "Objectives for behaviour, business or ROI",
              _beyond_learning,
              "Set behaviour, business or ROI objectives for your important programmes, so "
              "their results are judged against a plan."),
    Criterion("early_warning_active", 5, "Early-warning models active", _early_warning,
              "Train an early-warning model on past cohorts and activate it, so at-risk "
              "learners are flagged while they can still be helped."),
    Criterion("workforce_planned", 5, "Skill supply forecast against a headcount plan",
              _workforce,
              "Import the headcount plan (learnledger import headcount_plans FILE --mapping "
              "M.yml --source hris) and review learnledger insights workforce forecast."),
)  # fmt: skip


def now_utc() -> dt.datetime:
    """The current moment in UTC (the default assessment time)."""
    return dt.datetime.now(dt.UTC)
