"""`build_demo`: generate the demo company and write it through an `Engine`.

Everything is generated first as NumPy arrays (seconds even for 100,000 people), then written
with bulk inserts; the xAPI statements are rendered in time order, batch by batch, and written
by the LRS's `StatementBulkLoader` (the rows `StatementStore` would write: statements, query
links, Activity definitions and the ``learning_events`` projection, loaded set-based).
"""

from __future__ import annotations

import gc
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from learnledger.core.model.catalog import current_entities
from learnledger.demo import tables as t
from learnledger.demo import tables_learning as tl
from learnledger.demo.assessments import (
    Attempts,
    Ratings,
    latent_proficiency,
    rate_skills,
    take_tests,
)
from learnledger.demo.costs import CostRows, programme_costs
from learnledger.demo.enrolment import LearningPlan, plan_learning
from learnledger.demo.ground_truth import GroundTruth, compute_ground_truth
from learnledger.demo.headcount import headcount_plans
from learnledger.demo.kpis import KpiSeries, build_kpis
from learnledger.demo.offer import Offer, build_offer
from learnledger.demo.organisation import OrgUnits, Roster, build_roster
from learnledger.demo.performance import Panel, simulate_metrics, treatment
from learnledger.demo.rollout import plan_rollout
from learnledger.demo.scenario import DEFAULT_SCENARIO
from learnledger.demo.spec import Scenario
from learnledger.demo.statement_workers import prepared_batches
from learnledger.demo.statements import StatementRenderer
from learnledger.demo.timeline import Timeline, day_to_ms, default_end_month, stream, uuid4_strings
from learnledger.errors import ConflictError, ValidationError
from learnledger.lrs.bulk_load import StatementBulkLoader
from learnledger.storage.engine import Engine

ProgressCallback = Callable[[str, int, int], None]

#: The authority the demo's statements are stored under.
AUTHORITY = {
    "objectType": "Agent",
    "name": "LearnLedger demo loader",
    "account": {"homePage": "https://learnledger.local", "name": "demo-loader"},
}
LMS_HOME = "https://lms.northbridge.example"
#: The tables `_table_writes` fills, in order (the LRS stage adds statements and events).
TABLES_WRITTEN = (
    "data_sources", "org_units", "roles", "skills", "role_skill_requirements", "people",
    "identities", "consent_records", "programmes", "programme_objectives", "cohorts", "courses",
    "course_modules", "enrolments", "assessments", "assessment_items", "assessment_results",
    "item_responses", "proficiency_ratings", "performance_metrics", "performance_observations",
    "business_kpis", "kpi_observations", "programme_costs", "headcount_plans",
)  # fmt: skip
STAGE_GENERATE = "Generating the company"
STAGE_TABLES = "Writing tables"
STAGE_STATEMENTS = "Storing xAPI statements"
STAGE_INDEXES = "Indexing xAPI statements"
#: Statements per bulk-load chunk (two chunks are in memory at a time).
LOAD_CHUNK = 100_000
#: DuckDB's memory cap while the statements are loaded and indexed: over it, DuckDB spills
#: to disk instead of growing with the statements.
LOAD_MEMORY = "2GB"
#: Statements per commit of the load: fewer commits cost less (each writes the log and a
#: checkpoint), but what a transaction writes must fit under the cap when it commits
#: (one transaction of 11 M statements did not fit in 1.5 GB).
LOAD_COMMIT = 1_000_000
_STREAM_RUNS = 10
#: The garbage collector's thresholds while statements are rendered (see `_store_statements`).
_STATEMENT_GC_THRESHOLDS = (200_000, 20, 100)
_ASSESSMENT_TABLES = ("assessment", "item_", "proficiency")
#: Tables the demo writes since after its first release, in the order they were added.
_LATER_TABLES = ("headcount_plans",)


@dataclass
class DemoSummary:
    """What `build_demo` wrote: row counts per table, the statement count and the truth."""

    counts: dict[str, int]
    statements: int
    ground_truth: GroundTruth
    seconds: float
    knobs: dict[str, Any] = field(default_factory=dict)


def build_demo(
    engine: Engine,
    *,
    people: int = 5000,
    months: int = 24,
    seed: int = 7,
    end_month: date | None = None,
    progress: ProgressCallback | None = None,
    scenario: Scenario = DEFAULT_SCENARIO,
    workers: int | None = None,
) -> DemoSummary:
    """Generate the demo company into `engine` (migrated, empty) and return its summary.

    `people` is the headcount at the start of the window (hires and leavers come on top),
    `months` the length of the window, which ends with `end_month` (default: the last complete
    month). With `workers` above 1 the statements are rendered in that many worker processes
    (default: in this process). The same arguments always produce the same rows, whatever
    `workers`. Raises `ValidationError` for
    knobs out of range and `ConflictError` when the database already holds people or
    statements.
    """
    started = time.perf_counter()
    if people < 20:
        raise ValidationError("people", "must be at least 20")
    if not 6 <= months <= 120:
        raise ValidationError("months", "must be between 6 and 120")
    for table in ("people", "xapi_statements"):
        if engine.fetch_one(f'SELECT 1 FROM "{table}" LIMIT 1'):
            raise ConflictError(
                f"the database already holds {table}; build the demo into an empty database"
            )
    report = progress or (lambda stage, done, total: None)
    end = end_month or default_end_month()
    timeline = Timeline(date(end.year, end.month, 1), months)
    knobs = {
        "people": people,
        "months": months,
        "seed": seed,
        "end_month": timeline.end_month.isoformat(),
    }

    company = _generate(scenario, timeline, people, seed, knobs, report)
    loaded = _write_tables(engine, _table_writes(company), report)
    renderer = StatementRenderer(
        scenario, company.offer, company.roster, company.plan, company.attempts, seed
    )
    truth = company.truth
    del company  # the performance panels and ratings are written; free them for the LRS stage
    with engine.memory_budget(LOAD_MEMORY):
        statements = _store_statements(engine, renderer, report, workers or 1)
    loaded["xapi_statements"] = statements
    _record_import_runs(engine, scenario, timeline, loaded, knobs)
    counts = table_counts(engine)
    return DemoSummary(
        counts=counts,
        statements=counts.get("xapi_statements", statements),
        ground_truth=truth,
        seconds=time.perf_counter() - started,
        knobs=knobs,
    )


@dataclass
class Company:
    """Everything generated for one build, before it is written."""

    scenario: Scenario
    timeline: Timeline
    seed: int
    units: OrgUnits
    roster: Roster
    offer: Offer
    plan: LearningPlan
    attempts: Attempts
    ratings: Ratings
    panels: dict[str, Panel]
    kpis: list[KpiSeries]
    costs: CostRows
    truth: GroundTruth


def _generate(
    scenario: Scenario,
    timeline: Timeline,
    people: int,
    seed: int,
    knobs: dict[str, Any],
    report: ProgressCallback,
) -> Company:
    """Run every generator (NumPy only, nothing written yet)."""
    steps = 6
    report(STAGE_GENERATE, 0, steps)
    units, roster = build_roster(scenario, timeline, people, seed)
    offer = build_offer(scenario, seed)
    cohorts, parts = plan_rollout(scenario, timeline, roster, seed)
    report(STAGE_GENERATE, 1, steps)
    plan = plan_learning(scenario, offer, timeline, roster, cohorts, parts, seed)
    report(STAGE_GENERATE, 2, steps)
    prof = latent_proficiency(scenario, roster, plan, seed)
    attempts = take_tests(offer, plan, prof, seed)
    ratings = rate_skills(scenario, timeline, roster, plan, prof, seed)
    report(STAGE_GENERATE, 3, steps)
    treat = treatment(scenario, timeline, plan, seed)
    metrics = simulate_metrics(scenario, timeline, roster, plan, treat, len(units.ids), seed)
    panels = {p.metric.metric_id: p for p in metrics}
    report(STAGE_GENERATE, 4, steps)
    kpis = build_kpis(scenario, timeline, units, roster, panels, seed)
    costs = programme_costs(scenario, offer, timeline, roster, plan)
    report(STAGE_GENERATE, 5, steps)
    active = roster.leave > timeline.end_day
    truth = compute_ground_truth(
        scenario, timeline, plan, prof.gain, treat, panels, kpis, costs, knobs, active
    )
    report(STAGE_GENERATE, steps, steps)
    return Company(scenario, timeline, seed, units, roster, offer, plan, attempts, ratings,
                   panels, kpis, costs, truth)  # fmt: skip


def _vendor_accounts(c: Company) -> dict[str, np.ndarray]:
    """People who learn with each content vendor that knows them by an account."""
    vendors: dict[str, np.ndarray] = {}
    for p, prog in enumerate(c.scenario.programmes):
        if prog.actor_account_home:
            members = np.unique(c.plan.parts.person[c.plan.parts.programme == p])
            known = vendors.get(prog.actor_account_home, np.zeros(0, np.int64))
            vendors[prog.actor_account_home] = np.union1d(known, members).astype(np.int64)
    return vendors


def _table_writes(c: Company) -> Iterator[tuple[str, pa.Table]]:
    """Every canonical table but the LRS's, in an order that satisfies the references."""
    scenario, timeline, roster, offer, plan = c.scenario, c.timeline, c.roster, c.offer, c.plan
    enrolment_ids = tl.enrolment_ids(plan)
    result_ids = tl.result_ids(c.attempts)
    yield "data_sources", t.data_sources(scenario, timeline)
    yield "org_units", t.org_units(c.units)
    yield from t.roles_and_skills(scenario).items()
    yield "people", t.people(scenario, timeline, c.units, roster)
    yield "identities", t.identities(roster, _vendor_accounts(c), LMS_HOME, timeline)
    yield "consent_records", t.consent_records(roster, timeline, c.seed)
    yield from tl.programme_tables(scenario, offer, plan, roster, timeline).items()
    yield "enrolments", tl.enrolments(offer, plan, roster, enrolment_ids)
    yield from tl.assessment_tables(scenario, offer).items()
    results = tl.assessment_results(offer, c.attempts, roster, enrolment_ids, result_ids)
    yield "assessment_results", results
    yield from (("item_responses", x) for x in tl.item_responses(offer, c.attempts, result_ids))
    yield from (("proficiency_ratings", x) for x in tl.proficiency_ratings(c.ratings, roster))
    yield "performance_metrics", tl.performance_metrics(scenario)
    for panel in c.panels.values():
        for chunk in tl.performance_observations(panel, roster, timeline):
            yield "performance_observations", chunk
    yield "business_kpis", tl.business_kpis(scenario)
    yield "kpi_observations", tl.kpi_observations(scenario, c.kpis, c.units, timeline)
    yield "programme_costs", tl.programme_costs(scenario, c.costs)
    yield "headcount_plans", headcount_plans(scenario, timeline, c.units, roster, c.seed)


def _write_tables(
    engine: Engine, writes: Iterable[tuple[str, pa.Table]], report: ProgressCallback
) -> dict[str, int]:
    loaded: dict[str, int] = {}
    total = len(TABLES_WRITTEN)
    report(STAGE_TABLES, 0, total)
    for name, table in writes:
        engine.bulk_insert(name, table)
        loaded[name] = loaded.get(name, 0) + table.num_rows
        report(STAGE_TABLES, len(loaded), total)
    return loaded


def _store_statements(
    engine: Engine, renderer: StatementRenderer, report: ProgressCallback, workers: int
) -> int:
    """Render the statements batch by batch (in `workers` processes) and bulk load them (see
    `StatementBulkLoader`: the same rows as `StatementStore.store`, written set-based)."""
    total = renderer.total
    done = 0
    report(STAGE_STATEMENTS, 0, total)
    loader = StatementBulkLoader(
        engine, authority=AUTHORITY, chunk_statements=LOAD_CHUNK, commit_statements=LOAD_COMMIT
    )
    # Millions of short-lived statement dicts trigger many collections; keep the collector
    # from re-scanning the (large, long-lived) generated data each time (and, in forked
    # workers, from touching its pages), and let it run far less often: the statements
    # hold no reference cycles, and the default thresholds (a young collection every 700
    # allocations) cost a quarter of the rendering and preparing time.
    thresholds = gc.get_threshold()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*_STATEMENT_GC_THRESHOLDS)
    loader.begin()
    try:
        for batch in prepared_batches(renderer, AUTHORITY, workers=workers):
            loader.add_prepared(batch)
            done += batch.statements.num_rows
            report(STAGE_STATEMENTS, done, total)
        report(STAGE_INDEXES, 0, 1)
        loader.finish()
        report(STAGE_INDEXES, 1, 1)
    except BaseException:
        loader.abort()
        raise
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    return done


def _record_import_runs(
    engine: Engine,
    scenario: Scenario,
    timeline: Timeline,
    loaded: dict[str, int],
    knobs: dict[str, Any],
) -> None:
    """One succeeded import run per table loaded, as if each source had been imported."""
    sources = {
        "people": "hris",
        "org_units": "hris",
        "roles": "hris",
        "skills": "hris",
        "role_skill_requirements": "hris",
        "identities": "hris",
        "consent_records": "hris",
        "programmes": "lms",
        "programme_objectives": "lms",
        "cohorts": "lms",
        "courses": "lms",
        "course_modules": "lms",
        "enrolments": "lms",
        "xapi_statements": "lrs",
        "programme_costs": "finance",
        "business_kpis": "bi",
        "kpi_observations": "bi",
        "data_sources": "demo",
        "headcount_plans": "hris",
    }
    # Tables added to the demo later come last, so the earlier tables' runs keep their ids.
    names = sorted(set(loaded) - set(_LATER_TABLES)) + [x for x in _LATER_TABLES if x in loaded]
    n = len(names)
    start = int(day_to_ms(np.array([timeline.end_day]))[0]) + 86_400_000 + 2 * 3_600_000
    begin = np.array([start + i * 60_000 for i in range(n)], dtype=np.int64)
    finish = begin + np.array([1_000 + loaded[x] // 50 for x in names], dtype=np.int64)
    report = [
        orjson.dumps({"generator": "learnledger.demo", "knobs": knobs, "rejected": {}}).decode()
    ] * n
    engine.bulk_insert(
        "import_runs",
        t.to_table(
            "import_runs",
            {
                "run_id": uuid4_strings(stream(int(knobs["seed"]), _STREAM_RUNS), n),
                "source_id": [
                    sources.get(x, "assessments" if x.startswith(_ASSESSMENT_TABLES) else "demo")
                    for x in names
                ],
                "entity": names,
                "location": [f"demo://{scenario.company_code.lower()}/{x}" for x in names],
                "checksum": [
                    hashlib.sha256(f"{x}|{loaded[x]}|{sorted(knobs.items())}".encode()).hexdigest()
                    for x in names
                ],
                "status": ["succeeded"] * n,
                "started_at": begin,
                "finished_at": finish,
                "rows_read": [loaded[x] for x in names],
                "rows_inserted": [loaded[x] for x in names],
                "rows_updated": [0] * n,
                "rows_rejected": [0] * n,
                "report": report,
            },
        ),
    )


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows in each canonical table."""
    present = engine.table_names()
    counts = {}
    for name in sorted(current_entities()):
        if name in present:
            row = engine.fetch_one(f'SELECT COUNT(*) FROM "{name}"')
            counts[name] = int(row[0]) if row else 0
    return counts
