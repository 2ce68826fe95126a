"""Every page's "how is this calculated": the lineage entries of its tables, charts and cards
(`learnledger.metrics.lineage.Lineage`), kept in this one registry, and how a page gets them,
stamped with the request's filters and the data's freshness.

The page kit renders an entry under the table or chart of the same name (an expandable
"How is this calculated?") and puts all of a page's entries in its `.json` under ``lineage``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from starlette.datastructures import State

from learnledger.metrics.data_version import data_version
from learnledger.metrics.definition import MetricDefinition
from learnledger.metrics.lineage import Freshness, Lineage, data_as_of, metric_lineage, utc_minute
from learnledger.web.page_kit import Page

_SUPPRESSED = "counts under the minimum group size are withheld (–)"
_CONSENT = "people who withdrew consent to analytics are left out"
_INDIVIDUAL = "people who withdrew consent to individual reporting are not listed"

#: page -> entry name (a table, chart or card of the page) -> lineage.
REGISTRY: dict[str, dict[str, Lineage]] = {
    "programme": {
        "funnel": Lineage(
            "People enrolled (cancellations excluded), who started, completed a course and "
            "completed every course of the programme.",
            f"distinct people per stage; share of enrolled = stage / enrolled; {_SUPPRESSED}; "
            f"{_CONSENT}",
            ("enrolments", "courses"),
        ),
        "courses": Lineage(
            "Per course: people enrolled, completed, and the completion rate.",
            f"completion rate = completed / enrolled × 100; {_SUPPRESSED}",
            ("enrolments", "courses"),
        ),
        "dropoff": Lineage(
            "People reaching each module of each course in order, among those enrolled in the "
            "course; dropped = reached the previous module but not this one.",
            f"any xAPI event on the module's activity counts as reaching it; {_SUPPRESSED}",
            ("course_modules", "learning_events (xAPI)", "enrolments"),
        ),
        "proficiency": Lineage(
            "Mean pre-, post- and delayed-test scores (% of the maximum) and the paired gain "
            "(post − pre) and retention (delayed − post).",
            "paired means with a normal 95 % interval, as the proficiency_gain metric; "
            + _SUPPRESSED,
            ("assessment_results", "assessments"),
        ),
        "estimates": Lineage(
            "The programme's effect on each outcome per person and month, with 95 % intervals.",
            "isolated by difference-in-differences, propensity weighting, matching or regression "
            "(the most credible passing method is chosen, conservatively); naive before/after "
            "comparisons are shown beside them, labelled; estimates on fewer trained people than "
            "the minimum group size are withheld",
            ("performance_observations", "enrolments", "programme_objectives"),
        ),
        "costs": Lineage(
            "First-year fully loaded cost of the programme by Phillips cost category.",
            "sum of the cost ledger per category, prorated to the first year",
            ("programme_costs",),
        ),
        "roi": Lineage(
            "ROI % = (benefits − costs) / costs × 100 over the first year; BCR, payback, "
            "break-even effect.",
            "benefit = trained people × isolated effect (from the chosen month after training) × "
            "money value per unit; 95 % interval by Monte Carlo over the effect, the unit value "
            "and ±5 % costs; sensitivity moves one input at a time",
            ("performance_observations", "business_kpis", "programme_costs", "enrolments"),
        ),
        "checklist": Lineage(
            "Each Phillips ROI step, its status and the evidence found.",
            "checked against the stored objectives, data, estimates and costs",
            ("programme_objectives", "enrolments", "assessment_results", "programme_costs"),
        ),
    },
    "executive": {
        "cards": Lineage(
            "Headline figures for the period against the previous one: completion → "
            "proficiency (points), behaviour change (%), business impact (currency), payback "
            "(months).",
            "proficiency gain = mean post − pre score of the people assessed in the period; "
            "behaviour change = people-weighted mean change in % of baseline, naive (not "
            "isolated); business impact = trained people at full effect × isolated effect × "
            "money value per unit, for programmes with an ROI, with a 95 % interval; payback = "
            "first-year costs / the period's benefit per month",
            (
                "assessment_results",
                "enrolments",
                "performance_observations",
                "business_kpis",
                "programme_costs",
            ),
        ),
        "roi": Lineage(
            "ROI % per programme over the first year (all data to date, not only the period), "
            "its 95 % interval, the hurdle, payback, benefits, costs and the portfolio decision.",
            "conservative: from the lowest credible isolated effect, from month 3 after training, "
            "first 6 months of tenure left out; interval by Monte Carlo over the effect, the unit "
            "value and ±5 % costs; decision from the interval, the hurdle and the evidence",
            ("performance_observations", "business_kpis", "programme_costs", "enrolments"),
        ),
        "leading": Lineage(
            "Organisation-wide leading indicators for the period and the one before it.",
            "the metric catalogue's definitions; split metrics as the people-weighted mean of "
            f"their measures; {_SUPPRESSED}; {_CONSENT}",
            ("enrolments", "assessment_results", "learning_events (xAPI)"),
        ),
        "lagging": Lineage(
            "Organisation-wide lagging indicators (performance change, cost) for the period and "
            "the one before it.",
            "the metric catalogue's definitions; performance change is naive (not isolated); "
            + _SUPPRESSED,
            ("performance_observations", "programme_costs"),
        ),
    },
    "overview": {
        "headline": Lineage(
            "Headcount (people), org units, xAPI statements stored and the latest statement.",
            "row counts",
            ("people", "org_units", "xapi_statements"),
        ),
        "programmes": Lineage(
            "Per programme: people enrolled, people who completed, and the completion rate.",
            f"completion rate = completed / enrolled; {_SUPPRESSED}",
            ("programmes", "courses", "enrolments"),
        ),
        "data_held": Lineage(
            "Rows held per table of the data model.", "row counts", ("every table",)
        ),
    },
    "programmes": {
        "programmes": Lineage(
            "The programmes you may see, with people enrolled and people completing a course.",
            f"distinct people; {_SUPPRESSED}; {_CONSENT}",
            ("programmes", "courses", "enrolments"),
        ),
    },
    "team": {
        "headline": Lineage(
            "People in the unit and every unit below it; at risk, overdue, open enrolments and "
            "skill gaps among them.",
            "at risk = overdue, or an open enrolment and no learning event for 30 days, or a "
            f"failed latest attempt; {_INDIVIDUAL}",
            ("people", "org_units", "enrolments", "learning_events (xAPI)", "assessment_results"),
        ),
        "sub_units": Lineage(
            "Per unit below the chosen one (with its own units below): people, overdue and at "
            "risk.",
            f"the same rules as the headline counts; {_INDIVIDUAL}",
            ("people", "org_units", "enrolments", "learning_events (xAPI)"),
        ),
        "people": Lineage(
            "Each person's enrolments, completions, completion rate, open and overdue "
            "enrolments, last learning activity, latest score and skill gaps.",
            f"overdue = an open enrolment past its due date; {_INDIVIDUAL}",
            ("people", "enrolments", "learning_events (xAPI)", "assessment_results"),
        ),
        "skills": Lineage(
            "Per required skill: people short of the role's level or not rated, mean gap.",
            "current level = mean of a person's ratings on their latest rating day; gap = "
            "required level − current level",
            ("role_skill_requirements", "proficiency_ratings"),
        ),
        "skill_gaps": Lineage(
            "Per person and skill: required level, current level and gap.",
            "current level = mean of the latest rating day's ratings; gap = required − current",
            ("role_skill_requirements", "proficiency_ratings"),
        ),
    },
    "me": {
        "headline": Lineage(
            "Your enrolments, completed courses, completion rate, open and overdue courses and "
            "last learning activity.",
            "completion rate = completed / enrolments × 100; overdue = open past its due date; "
            "last activity = your newest xAPI learning event",
            ("enrolments", "learning_events (xAPI)"),
        ),
        "enrolments": Lineage(
            "Your enrolments with their status, due date and completion.",
            "overdue = open past its due date; completion rate = completed / enrolments",
            ("enrolments", "courses"),
        ),
        "scores": Lineage(
            "Every assessment attempt: score in % of the maximum, passed or not.",
            "scaled score × 100; passed as recorded, else a score of at least 60 %",
            ("assessment_results", "assessments"),
        ),
        "skills": Lineage(
            "Per skill your role requires: the required level, your current level and the gap.",
            "current level = mean of your ratings on the latest rating day; gap = required − "
            "current",
            ("role_skill_requirements", "proficiency_ratings"),
        ),
    },
    "governance": {
        "sources": Lineage(
            "Data sources with owner, legal basis, personal data, retention and review status.",
            "as registered and reviewed (`learnledger sources review`)",
            ("data_sources", "source_reviews"),
        ),
        "import_runs": Lineage(
            "The latest import runs: rows read, inserted, updated, unchanged and rejected.",
            "as each import recorded them",
            ("import_runs",),
        ),
        "rejections": Lineage(
            "Cells rejected by imports, by entity, column and reason, over all runs.",
            "counts only; the rejected values stay in quarantine",
            ("import_rejections",),
        ),
        "review_warnings": Lineage(
            "Sources whose review is overdue, never done or rejected.",
            "each source's next review date against today",
            ("data_sources", "source_reviews"),
        ),
        "identity": Lineage(
            "Statement actors linked to people (by method), linkable, ambiguous and unresolved.",
            "the identity rules in force, applied to the LRS actors",
            ("identities", "xapi_statements", "people"),
        ),
        "unlinked_identifiers": Lineage(
            "Statement actors not linked to a person, with their identifiers (for the roles "
            "the identity rules name).",
            "the identity rules in force; showing identifiers is written to the audit log",
            ("identities", "xapi_statements"),
        ),
        "consent": Lineage(
            "People per purpose: granted, withdrawn, no record and excluded from analytics.",
            "the decision in force now per person and purpose",
            ("consent_records", "people"),
        ),
        "retention_runs": Lineage(
            "Retention enforcement runs (dry runs and enforced) and the rows they affected.",
            "as each run recorded it",
            ("retention_runs",),
        ),
        "audit_log": Lineage(
            "The latest audit entries and whether the hash chain is intact.",
            "each entry's hash covers the previous one; the chain head is sealed with a key",
            ("audit_events", "audit_chain_head"),
        ),
    },
    "workforce": {
        "forecast": Lineage(
            "Per role, required skill and quarter: headcount at the quarter's end, people "
            "meeting the required level now, people in training, expected supply with its "
            "interval, the requirement (planned headcount, else the headcount), gap and "
            "coverage.",
            "current level = mean of the latest rating day's ratings; expected supply = sum "
            "over the people in the role of 1 (meets the level) or P(complete) × P(level + "
            "measured gain ≥ required) for training ending by the quarter's end; interval by "
            "the normal approximation over independent people; gap = required − expected "
            f"supply; {_SUPPRESSED}; {_CONSENT}",
            (
                "people",
                "role_skill_requirements",
                "proficiency_ratings",
                "enrolments",
                "assessment_items",
                "headcount_plans",
            ),
        ),
        "supply": Lineage(
            "Expected supply per role and skill by quarter, with its interval, against the "
            "planned headcount (or the headcount where the plan has no row).",
            "as the forecast table; suppressed cells are not drawn; at most 12 role-skill "
            "pairs, those with the largest gap in the last quarter shown",
            ("people", "role_skill_requirements", "proficiency_ratings", "headcount_plans"),
        ),
        "offers": Lineage(
            "The training the forecast counts, per skill it teaches: completion rate, median "
            "duration and the measured gain in the skill.",
            "completion rate = completed / (completed + failed + withdrawn); gain = first "
            "rating after completion − last rating before enrolment; rates and gains measured "
            "on fewer people than the minimum group size are not used",
            ("enrolments", "assessment_items", "proficiency_ratings"),
        ),
    },
    "metrics": {
        "metrics": Lineage(
            "Every metric of the catalogue with its level, unit, direction, formula and segments.",
            "the shipped YAML definitions plus your own (`metrics_dir`)",
            ("metric catalogue",),
        ),
    },
}


def freshness(state: State, computed_at: dt.datetime | str | None = None) -> Freshness:
    """The data's freshness (cached on the app per data version) and when the page's numbers
    were computed (`computed_at`, default now)."""
    version = data_version(state.engine)
    cached = getattr(state, "lineage_as_of", None)
    if cached is None or cached[0] != version:
        cached = (version, data_as_of(state.engine))
        state.lineage_as_of = cached
    if computed_at is None:
        computed_at = dt.datetime.now(dt.UTC)
    when = computed_at if isinstance(computed_at, str) else utc_minute(computed_at)
    return Freshness(data_as_of=str(cached[1]), computed_at=when)


def with_lineage(
    page: Page,
    key: str,
    filters: Mapping[str, str],
    fresh: Freshness,
    extra: Mapping[str, Lineage] | None = None,
) -> Page:
    """`page` with the registry's entries for `key` (and `extra` ones) stamped with
    `filters` and `fresh`."""
    entries = {**REGISTRY.get(key, {}), **(extra or {})}
    page.lineage = {name: e.stamped(filters, fresh).as_json() for name, e in entries.items()}
    return page


def metric_entries(names: list[str], definition: MetricDefinition) -> dict[str, Lineage]:
    """The same catalogue-metric lineage under each of `names` (a table and its chart)."""
    entry = metric_lineage(definition)
    return dict.fromkeys(names, entry)


def lineage_of(key: str, filters: Mapping[str, str], fresh: Freshness) -> dict[str, Any]:
    """The registry's entries for `key` stamped with `filters` and `fresh`, JSON-ready (for
    pages rendered without the page kit)."""
    return {name: e.stamped(filters, fresh).as_json() for name, e in REGISTRY[key].items()}


def query_filters(query: Mapping[str, Any]) -> dict[str, str]:
    """The request's filters (its query string without the format parameters)."""
    return {k: str(v) for k, v in query.items() if k not in ("table", "chart") and v}
