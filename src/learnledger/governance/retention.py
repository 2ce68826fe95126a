"""Retention enforcement: delete or anonymise the rows of each source past its retention period.

A source with ``data_sources.retention_days`` set keeps a row while the row's *age time* (see
`FACT_TABLES` and the LRS and people rules below; docs/governance.md lists them) is on or after
``as_of - retention_days``; older rows are deleted or anonymised by the source's
``retention_action``. Which rows belong to which source:

- tables with a ``source_id`` column: that column (rows without one are never aged out);
- the LRS (statements, their link rows, learning events, documents): the source ``lrs``;
- quarantined rows (``import_rejections``): the source of their import run.

*Anonymise* keeps a row for aggregates but removes who it was about: person ids become a
placeholder ``anon:<hex>`` and actor identifiers ``account:urn:learnledger:anonymised|<hex>``.
A placeholder is a keyed hash of the original under a random nonce that is used for one run
and never stored: rows of one person anonymised in the same run share a placeholder (counts of
distinct people stay right for them), but nobody, key holders included, can link it back to
the person or to another run's placeholder. Placeholders get no ``people`` row (it would count
in headcount and carry attributes). Statement JSON loses its actor, its context instructor and
team, and an Agent or Group object. People rows lose their names, e-mail, HR id and manager;
their identifiers (``identities``) are deleted. Quarantined rows and agent documents are
deleted under both actions: they cannot be anonymised usefully.

Every run is one transaction, writes a ``retention_runs`` row with the report and one audit
entry; a dry run only counts. Rows already deleted or anonymised are not matched again, so a
second run with the same ``as_of`` changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from learnledger.core.xapi import actor_ifi
from learnledger.errors import ValidationError
from learnledger.governance.actors import Actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.storage.engine import Engine

#: The source the LRS's statements, learning events and documents belong to.
LRS_SOURCE_ID = "lrs"
#: Person ids of anonymised rows start with this.
ANON_PERSON_PREFIX = "anon:"
#: homePage of the account that replaces anonymised statement actors.
ANON_HOME_PAGE = "urn:learnledger:anonymised"
ANON_IFI_PREFIX = f"account:{ANON_HOME_PAGE}|"
_PLACEHOLDER_PURPOSE = "retention-placeholder"
#: Distinct values replaced per UPDATE statement when anonymising.
_CHUNK = 500

Action = Literal["delete", "anonymise"]
#: (step, steps done, steps in all)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SourcePolicy:
    """A source's retention period and action, and the cutoff it gives at one moment."""

    source_id: str
    retention_days: int
    action: Action
    cutoff: dt.datetime

    def as_json(self) -> dict[str, Any]:
        """JSON-ready policy."""
        return {
            "source_id": self.source_id,
            "retention_days": self.retention_days,
            "action": self.action,
            "cutoff": self.cutoff.isoformat(),
        }


@dataclass(frozen=True)
class TableOutcome:
    """Rows of one table of one source that were (or, in a dry run, would be) changed."""

    source_id: str
    table: str
    action: Literal["deleted", "anonymised"]
    rows: int


@dataclass
class RetentionReport:
    """What one enforcement run did, by source, table and action."""

    run_id: str
    as_of: dt.datetime
    dry_run: bool
    policies: list[SourcePolicy]
    outcomes: list[TableOutcome] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        """Rows changed (or to be changed) in all."""
        return sum(o.rows for o in self.outcomes)

    def as_json(self) -> dict[str, Any]:
        """JSON-ready report (counts only)."""
        return {
            "run_id": self.run_id,
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "sources": [p.as_json() for p in self.policies],
            "outcomes": [
                {"source_id": o.source_id, "table": o.table, "action": o.action, "rows": o.rows}
                for o in self.outcomes
                if o.rows
            ],
            "total_rows": self.total_rows,
        }


@dataclass(frozen=True)
class AgedTable:
    """A table of facts with a source_id column: how old a row is and whom it is about.

    `age` is an SQL expression over the table's columns (a timestamp, or a date when
    `age_is_date`); `person` is the column anonymise replaces (None: not about people, so
    anonymise leaves the rows as they are); `children` are (table, column, parent column)
    rows deleted with their parent.
    """

    table: str
    age: str
    age_is_date: bool
    person: str | None
    children: tuple[tuple[str, str, str], ...] = ()


FACT_TABLES: tuple[AgedTable, ...] = (
    AgedTable(
        "enrolments",
        "COALESCE(completed_at, withdrawn_at, started_at, enrolled_at)",
        False,
        "person_id",
    ),
    AgedTable(
        "assessment_results",
        "taken_at",
        False,
        "person_id",
        children=(("item_responses", "result_id", "result_id"),),
    ),
    AgedTable("proficiency_ratings", "rated_on", True, "person_id"),
    AgedTable("performance_observations", "period_end", True, "person_id"),
    AgedTable("kpi_observations", "period_end", True, None),
    AgedTable("programme_costs", "incurred_on", True, None),
)

_PEOPLE_IDENTIFIERS = ("hr_id", "email", "given_name", "family_name", "manager_id")


def retention_policies(engine: Engine, as_of: dt.datetime) -> list[SourcePolicy]:
    """The sources with a retention period, by id, with their cutoff at `as_of`."""
    rows = engine.fetch_all(
        "SELECT source_id, retention_days, retention_action FROM data_sources "
        "WHERE retention_days IS NOT NULL ORDER BY source_id"
    )
    policies = []
    for source_id, days, action in rows:
        chosen: Action
        if action in (None, "delete"):
            chosen = "delete"
        elif action == "anonymise":
            chosen = "anonymise"
        else:
            raise ValidationError(
                f"data_sources[{source_id}].retention_action",
                f"{action!r} is not delete or anonymise",
            )
        if int(days) <= 0:
            raise ValidationError(
                f"data_sources[{source_id}].retention_days", "must be a positive number of days"
            )
        policies.append(
            SourcePolicy(str(source_id), int(days), chosen, as_of - dt.timedelta(days=int(days)))
        )
    return policies


def enforce(
    engine: Engine,
    keys: KeyRing,
    actor: Actor,
    now: dt.datetime | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> RetentionReport:
    """Delete or anonymise every source's rows past its period as of `now` (default: now), in
    one transaction, recording a ``retention_runs`` row and a ``retention_enforced`` (or
    ``retention_dry_run``) audit entry. A dry run changes nothing but those two records."""
    as_of = _utc(now) if now is not None else dt.datetime.now(dt.UTC)
    started = dt.datetime.now(dt.UTC)
    run_id = f"RET-{as_of:%Y%m%d}-{uuid.uuid4().hex[:12]}"
    with AuditLog(engine, keys).transaction():
        policies = retention_policies(engine, as_of)
        report = RetentionReport(run_id, as_of, dry_run, policies)
        placeholders = _Placeholders(keys)
        steps = [(policy, step) for policy in policies for step in _steps(policy)]
        for done, (policy, step) in enumerate(steps):
            if progress is not None:
                progress(f"{policy.source_id}: {step.__name__.strip('_')}", done, len(steps))
            report.outcomes.extend(step(engine, policy, placeholders, dry_run))
        if progress is not None:
            progress("recording the run", len(steps), len(steps))
        _record(engine, keys, actor, report, started)
    return report


# -- steps -----------------------------------------------------------------------------------

_Step = Callable[[Engine, SourcePolicy, "_Placeholders", bool], list[TableOutcome]]


def _steps(policy: SourcePolicy) -> list[_Step]:
    steps: list[_Step] = [_facts, _people, _quarantine]
    if policy.source_id == LRS_SOURCE_ID:
        steps += [_statements, _learning_events, _documents]
    return steps


def _facts(
    engine: Engine, policy: SourcePolicy, placeholders: _Placeholders, dry_run: bool
) -> list[TableOutcome]:
    """Tables with a source_id column, by their age expression."""
    outcomes: list[TableOutcome] = []
    for aged in FACT_TABLES:
        cutoff: dt.date | dt.datetime = policy.cutoff.date() if aged.age_is_date else policy.cutoff
        where = f"source_id = ? AND {aged.age} < ?"
        params: list[Any] = [policy.source_id, cutoff]
        if policy.action == "delete":
            for child, column, parent in aged.children:
                sub = f"SELECT {parent} FROM {aged.table} WHERE {where}"
                rows = _count(engine, child, f"{column} IN ({sub})", params)
                if rows and not dry_run:
                    engine.execute(f"DELETE FROM {child} WHERE {column} IN ({sub})", params)
                outcomes.append(TableOutcome(policy.source_id, child, "deleted", rows))
            rows = _count(engine, aged.table, where, params)
            if rows and not dry_run:
                engine.execute(f"DELETE FROM {aged.table} WHERE {where}", params)
            outcomes.append(TableOutcome(policy.source_id, aged.table, "deleted", rows))
            continue
        if aged.person is None:
            continue
        where += f" AND {aged.person} NOT LIKE '{ANON_PERSON_PREFIX}%'"
        rows = _count(engine, aged.table, where, params)
        if rows and not dry_run:
            _replace(engine, aged.table, aged.person, where, params, placeholders.person)
        outcomes.append(TableOutcome(policy.source_id, aged.table, "anonymised", rows))
    return outcomes


def _people(
    engine: Engine, policy: SourcePolicy, placeholders: _Placeholders, dry_run: bool
) -> list[TableOutcome]:
    """People of the source who left before the cutoff (``leave_date``), and their identifiers."""
    leavers = "SELECT person_id FROM people WHERE source_id = ? AND leave_date < ?"
    params: list[Any] = [policy.source_id, policy.cutoff.date()]
    identities = _count(engine, "identities", f"person_id IN ({leavers})", params)
    if identities and not dry_run:
        engine.execute(f"DELETE FROM identities WHERE person_id IN ({leavers})", params)
    outcomes = [TableOutcome(policy.source_id, "identities", "deleted", identities)]
    where = "source_id = ? AND leave_date < ?"
    if policy.action == "delete":
        rows = _count(engine, "people", where, params)
        if rows and not dry_run:
            engine.execute(f"DELETE FROM people WHERE {where}", params)
        outcomes.append(TableOutcome(policy.source_id, "people", "deleted", rows))
        return outcomes
    identified = " OR ".join(f"{c} IS NOT NULL" for c in _PEOPLE_IDENTIFIERS)
    where += f" AND ({identified})"
    rows = _count(engine, "people", where, params)
    if rows and not dry_run:
        blanks = ", ".join(f"{c} = NULL" for c in _PEOPLE_IDENTIFIERS)
        engine.execute(f"UPDATE people SET {blanks} WHERE {where}", params)
    outcomes.append(TableOutcome(policy.source_id, "people", "anonymised", rows))
    return outcomes


def _quarantine(
    engine: Engine, policy: SourcePolicy, placeholders: _Placeholders, dry_run: bool
) -> list[TableOutcome]:
    """Rejected rows of the source's import runs started before the cutoff (raw values)."""
    where = "run_id IN (SELECT run_id FROM import_runs WHERE source_id = ? AND started_at < ?)"
    params: list[Any] = [policy.source_id, policy.cutoff]
    rows = _count(engine, "import_rejections", where, params)
    if rows and not dry_run:
        engine.execute(f"DELETE FROM import_rejections WHERE {where}", params)
    return [TableOutcome(policy.source_id, "import_rejections", "deleted", rows)]


def _statements(
    engine: Engine, policy: SourcePolicy, placeholders: _Placeholders, dry_run: bool
) -> list[TableOutcome]:
    """xAPI statements by their ``timestamp``, with their query link rows."""
    where = '"timestamp" < ?'
    params: list[Any] = [policy.cutoff]
    source = policy.source_id
    if policy.action == "delete":
        outcomes = []
        sub = f"SELECT statement_id FROM xapi_statements WHERE {where}"
        for child in ("xapi_statement_agents", "xapi_statement_activities"):
            rows = _count(engine, child, f"statement_id IN ({sub})", params)
            if rows and not dry_run:
                engine.execute(f"DELETE FROM {child} WHERE statement_id IN ({sub})", params)
            outcomes.append(TableOutcome(source, child, "deleted", rows))
        rows = _count(engine, "xapi_statements", where, params)
        if rows and not dry_run:
            engine.execute(f"DELETE FROM xapi_statements WHERE {where}", params)
        outcomes.append(TableOutcome(source, "xapi_statements", "deleted", rows))
        return outcomes
    where += f" AND actor_ifi NOT LIKE '{ANON_IFI_PREFIX}%'"
    rows = _count(engine, "xapi_statements", where, params)
    sub = f"SELECT statement_id FROM xapi_statements WHERE {where}"
    links = _count(engine, "xapi_statement_agents", f"statement_id IN ({sub})", params)
    if rows and not dry_run:
        found = engine.fetch_all(
            "SELECT statement_id, actor_ifi, object_type, object_id, statement "
            f"FROM xapi_statements WHERE {where}",
            params,
        )
        # The link rows name instructors, team and group members: they go; the actor and an
        # Agent object are columns, replaced below.
        engine.execute(f"DELETE FROM xapi_statement_agents WHERE statement_id IN ({sub})", params)
        updates = []
        for statement_id, actor, object_type, object_id, text in found:
            if object_type in ("Agent", "Group") and object_id is not None:
                object_id = placeholders.ifi(str(object_id))
            updates.append(
                (
                    placeholders.ifi(str(actor)),
                    object_id,
                    anonymised_statement(text, placeholders),
                    statement_id,
                )
            )
        engine.execute_many(
            "UPDATE xapi_statements SET actor_ifi = ?, object_id = ?, statement = ? "
            "WHERE statement_id = ?",
            updates,
        )
    return [
        TableOutcome(source, "xapi_statement_agents", "deleted", links),
        TableOutcome(source, "xapi_statements", "anonymised", rows),
    ]


def _learning_events(
    engine: Engine, policy: SourcePolicy, placeholders: _Placeholders, dry_run: bool
) -> list[TableOutcome]:
    """The learning events projected from statements, by their ``timestamp``."""
    where = '"timestamp" < ?'
    params: list[Any] = [policy.cutoff]
    source = policy.source_id
    if policy.action == "delete":
        rows = _count(engine, "learning_events", where, params)
        if rows and not dry_run:
            engine.execute(f"DELETE FROM learning_events WHERE {where}", params)
        return [TableOutcome(source, "learning_events", "deleted", rows)]
    where += f" AND actor_ifi NOT LIKE '{ANON_IFI_PREFIX}%'"
    rows = _count(engine, "learning_events", where, params)
    if rows and not dry_run:
        # person_id first: the actor_ifi condition of `where` still holds for these rows
        _replace(engine, "learning_events", "person_id", where, params, placeholders.person)
        _replace(engine, "learning_events", "actor_ifi", where, params, placeholders.ifi)
    return [TableOutcome(source, "learning_events", "anonymised", rows)]


def _documents(
    engine: Engine, policy: SourcePolicy, placeholders: _Placeholders, dry_run: bool
) -> list[TableOutcome]:
    """LRS documents by ``updated``: all of them under delete, the agent-bound ones (state and
    agent profiles) under anonymise."""
    where = "updated < ?"
    if policy.action == "anonymise":
        where += " AND agent_ifi <> ''"
    params: list[Any] = [policy.cutoff]
    rows = _count(engine, "lrs_documents", where, params)
    if rows and not dry_run:
        engine.execute(f"DELETE FROM lrs_documents WHERE {where}", params)
    return [TableOutcome(policy.source_id, "lrs_documents", "deleted", rows)]


# -- statement JSON --------------------------------------------------------------------------


def anonymised_statement(statement: str | bytes, placeholders: _Placeholders) -> str:
    """The statement JSON with its actor and an Agent or Group object replaced by anonymous
    accounts (the placeholders of their identifiers, as in the ``actor_ifi`` and ``object_id``
    columns), and the context's instructor and team removed; in a SubStatement too."""
    data = orjson.loads(statement)
    _strip_agents(data, placeholders)
    return orjson.dumps(data).decode()


def _strip_agents(data: dict[str, Any], placeholders: _Placeholders) -> None:
    actor = data.get("actor")
    if isinstance(actor, dict):
        data["actor"] = placeholders.agent(actor)
    context = data.get("context")
    if isinstance(context, dict):
        context.pop("instructor", None)
        context.pop("team", None)
        context.pop("contextAgents", None)
        context.pop("contextGroups", None)
    target = data.get("object")
    if isinstance(target, dict):
        kind = target.get("objectType")
        if kind in ("Agent", "Group"):
            data["object"] = placeholders.agent(target)
        elif kind == "SubStatement":
            _strip_agents(target, placeholders)


class _Placeholders:
    """Placeholders for one run: HMAC under the placeholder key of a random, unstored nonce
    and the original value."""

    def __init__(self, keys: KeyRing) -> None:
        self._key = keys.key(_PLACEHOLDER_PURPOSE)
        self._nonce = secrets.token_bytes(16)

    def _digest(self, kind: str, value: str) -> str:
        message = self._nonce + f"{kind}|{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def person(self, person_id: str) -> str:
        """The placeholder person id for `person_id`."""
        return ANON_PERSON_PREFIX + self._digest("person", person_id)

    def ifi(self, ifi: str) -> str:
        """The placeholder canonical identifier for the actor identifier `ifi`."""
        return ANON_IFI_PREFIX + self._digest("ifi", ifi)

    def agent(self, original: dict[str, Any]) -> dict[str, Any]:
        """The anonymous Agent standing for the Agent or Group `original`: its canonical
        identifier is ``ifi(actor_ifi(original))``."""
        try:
            ifi = actor_ifi(original)
        except (KeyError, TypeError, ValueError):  # malformed: still replaced
            ifi = orjson.dumps(original, option=orjson.OPT_SORT_KEYS).decode()
        name = self._digest("ifi", ifi)
        return {"objectType": "Agent", "account": {"homePage": ANON_HOME_PAGE, "name": name}}


# -- helpers ---------------------------------------------------------------------------------


def _replace(
    engine: Engine,
    table: str,
    column: str,
    where: str,
    params: Sequence[Any],
    placeholder: Callable[[str], str],
) -> None:
    """Set `column` of the rows matching `where` to the placeholder of its value: one
    ``UPDATE ... FROM (VALUES ...)`` per chunk of distinct values, not one per row."""
    values = [
        str(v)
        for (v,) in engine.fetch_all(
            f"SELECT DISTINCT {column} FROM {table} WHERE {where} AND {column} IS NOT NULL",
            list(params),
        )
    ]
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        pairs = ", ".join("(CAST(? AS TEXT), CAST(? AS TEXT))" for _ in chunk)
        mapping = [item for value in chunk for item in (value, placeholder(value))]
        engine.execute(
            f"UPDATE {table} SET {column} = m.new_value "
            f"FROM (VALUES {pairs}) AS m(old_value, new_value) "
            f"WHERE {table}.{column} = m.old_value AND {where}",
            [*mapping, *params],
        )


def _count(engine: Engine, table: str, where: str, params: Sequence[Any]) -> int:
    row = engine.fetch_one(f"SELECT COUNT(*) FROM {table} WHERE {where}", list(params))
    return int(row[0]) if row else 0


def _record(
    engine: Engine, keys: KeyRing, actor: Actor, report: RetentionReport, started: dt.datetime
) -> None:
    finished = dt.datetime.now(dt.UTC)
    payload = report.as_json()
    engine.execute(
        "INSERT INTO retention_runs (run_id, started_at, finished_at, dry_run, actor, report) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            report.run_id,
            started,
            finished,
            report.dry_run,
            actor.audit_name,
            orjson.dumps(payload).decode(),
        ],
    )
    AuditLog(engine, keys).append(
        actor=actor.audit_name,
        action="retention_dry_run" if report.dry_run else "retention_enforced",
        target="retention_runs",
        details={
            "run_id": report.run_id,
            "as_of": report.as_of.isoformat(),
            "total_rows": report.total_rows,
            "rows": {f"{o.source_id}/{o.table}/{o.action}": o.rows for o in _nonzero(report)},
        },
    )


def _nonzero(report: RetentionReport) -> Iterator[TableOutcome]:
    return (o for o in report.outcomes if o.rows)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)
