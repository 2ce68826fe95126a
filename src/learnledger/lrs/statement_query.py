"""Statement queries (GET /xapi/statements without statementId): filters, order and paging.

`parse_query` checks the query parameters (each error names its parameter);
`StatementQueryService.page` runs a query and returns one page and, when more statements
match, the cursor of the next page.

Rules (xAPI Communication 2.1.3 and 2.1.4):
- agent / activity match the actor or object / the object; related_agents /
  related_activities widen them to every place in the statement (see `links`).
- Filters other than since, until and limit also match statements that target a matching
  statement through a StatementRef object, recursively.
- Voided statements never appear; statements that target them (the voiding one too) do.
- Order by stored (then by ``seq``, the commit order), newest first unless ascending.
- Paging is by cursor: the next page starts after the last (stored, seq) returned, and a
  descending query never shows statements committed after its first page (``seq`` bound), so
  new writes do not shift or repeat pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import orjson

from learnledger.core.xapi import actor_ifi, validate_agent
from learnledger.core.xapi.formats import is_iri, is_uuid
from learnledger.core.xapi.timestamps import check_timestamp_v1, parse_timestamp
from learnledger.errors import ValidationError
from learnledger.storage.engine import Engine

JsonObject = dict[str, Any]

#: The parameters of a statement query (besides statementId / voidedStatementId).
QUERY_PARAMS = frozenset(
    {
        "agent",
        "verb",
        "activity",
        "registration",
        "related_activities",
        "related_agents",
        "since",
        "until",
        "limit",
        "format",
        "attachments",
        "ascending",
    }
)
FORMATS = ("exact", "ids", "canonical")


@dataclass(frozen=True)
class StatementQuery:
    """A checked statement query. `agent` is the canonical IFI of the agent parameter."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    format: str = "exact"
    attachments: bool = False
    ascending: bool = False
    params: tuple[tuple[str, str], ...] = ()

    @property
    def has_filters(self) -> bool:
        """Whether a filter other than time (which StatementRefs propagate) is set."""
        return any(v is not None for v in (self.agent, self.verb, self.activity, self.registration))


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after (stored, seq); `max_seq` bounds descending pages."""

    stored: datetime
    seq: int
    max_seq: int


@dataclass(frozen=True)
class StatementPage:
    """One page of results; `cursor` is None on the last page."""

    statements: list[JsonObject]
    cursor: Cursor | None


def parse_boolean(params: Mapping[str, str], name: str) -> bool:
    """A boolean parameter: ``true`` or ``false`` (default false)."""
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise ValidationError(name, "must be true or false")
    return value == "true"


def parse_query(params: Mapping[str, str]) -> StatementQuery:
    """Check statement query parameters; `ValidationError` names the first bad one."""
    for name in params:
        if name not in QUERY_PARAMS:
            raise ValidationError(name, "is not a parameter of the statement resource")
    agent = params.get("agent")
    verb = params.get("verb")
    activity = params.get("activity")
    registration = params.get("registration")
    if verb is not None and not is_iri(verb):
        raise ValidationError("verb", "must be an absolute IRI")
    if activity is not None and not is_iri(activity):
        raise ValidationError("activity", "must be an absolute IRI")
    if registration is not None and not is_uuid(registration):
        raise ValidationError("registration", "must be a UUID")
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise ValidationError("format", f"must be one of {', '.join(FORMATS)}")
    limit_text = params.get("limit", "0")
    if not limit_text.isdigit() or not limit_text.isascii():
        raise ValidationError("limit", "must be a non-negative integer")
    return StatementQuery(
        agent=None if agent is None else parse_agent_param(agent),
        verb=verb,
        activity=activity,
        registration=None if registration is None else registration.lower(),
        related_activities=parse_boolean(params, "related_activities"),
        related_agents=parse_boolean(params, "related_agents"),
        since=_parse_time(params, "since"),
        until=_parse_time(params, "until"),
        limit=int(limit_text),
        format=fmt,
        attachments=parse_boolean(params, "attachments"),
        ascending=parse_boolean(params, "ascending"),
        params=tuple(sorted(params.items())),
    )


def parse_agent_param(text: str, name: str = "agent") -> str:
    """The canonical IFI of an Agent or identified Group given as JSON text."""
    try:
        agent = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ValidationError(name, "must be an Agent or Group as JSON") from None
    validate_agent(agent, name)
    if not any(key in agent for key in ("mbox", "mbox_sha1sum", "openid", "account")):
        raise ValidationError(name, "must be an Agent or an identified Group (with an IFI)")
    return actor_ifi(agent)


def _parse_time(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    try:
        check_timestamp_v1(value)
    except Exception:
        raise ValidationError(name, "must be an ISO 8601 timestamp") from None
    return parse_timestamp(value)


def encode_cursor(query: StatementQuery, cursor: Cursor) -> str:
    """An opaque ``more`` token: the query parameters and the cursor, base64url JSON."""
    data = {
        "p": dict(query.params),
        "s": cursor.stored.isoformat(),
        "q": cursor.seq,
        "m": cursor.max_seq,
    }
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[StatementQuery, Cursor]:
    """The query and cursor of a ``more`` token (`ValidationError` if it is not one)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        cursor = Cursor(datetime.fromisoformat(data["s"]), int(data["q"]), int(data["m"]))
        params = {str(k): str(v) for k, v in data["p"].items()}
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
        raise ValidationError("more", "is not a more token issued by this LRS") from None
    return parse_query(params), cursor


class StatementQueryService:
    """Runs statement queries on an `Engine`.

    A query is a union of *branches*, each a plain conjunction on ``xapi_statements`` (the
    actor column, an Agent object, a link table, ...; see `_branches`), so that every branch
    is an ordered, limited scan an engine answers from an index (PostgreSQL: the composite
    ``(column, stored, seq)`` indexes) or from zone maps with a top-N (DuckDB) without
    visiting the other matches; only the top page of each branch is merged. StatementRef
    propagation adds one branch: the ids of the StatementRef statements that (recursively)
    target a matching statement, found first (`_matching_refs`; StatementRefs are rare).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def page(
        self,
        query: StatementQuery,
        *,
        page_size: int,
        cursor: Cursor | None = None,
        authority_ifi: str | None = None,
    ) -> StatementPage:
        """One page of the statements matching `query` (at most `page_size`, or `limit` if
        smaller); `authority_ifi` limits it to statements of that authority."""
        size = min(query.limit or page_size, page_size)
        if cursor is None and not query.ascending:
            cursor_bound = self._max_seq()
            query_cursor: Cursor | None = None
        else:
            cursor_bound = cursor.max_seq if cursor is not None else 0
            query_cursor = cursor
        branches = _branches(query)
        if query.has_filters:
            refs = self._matching_refs(branches)
            if refs:
                branches.append(_Branch([f"statement_id IN {_IDS}"], [",".join(refs)]))
        common = _Branch(*_common_filters(query, query_cursor, cursor_bound, authority_ifi))
        sql, params = _page_sql(branches, common, ascending=query.ascending, fetch=size + 1)
        rows = self.engine.fetch_all(sql, params)
        statements = [orjson.loads(text) for text, _ in rows[:size]]
        if len(rows) <= size:
            return StatementPage(statements, None)
        last = statements[-1]
        stored = parse_timestamp(last["stored"])
        return StatementPage(statements, Cursor(stored, int(rows[size - 1][1]), cursor_bound))

    def _max_seq(self) -> int:
        row = self.engine.fetch_one("SELECT COALESCE(MAX(seq), 0) FROM xapi_statements")
        return int(row[0]) if row else 0

    def _matching_refs(self, branches: list[_Branch]) -> list[str]:
        """Ids of the StatementRef statements that target a statement matching `branches`
        (ignoring time, voiding and paging), directly or through other StatementRefs.

        The StatementRef statements are read first (few, and found from zone maps or an
        index); their targets are checked against the filter only when there are any.
        """
        rows = self.engine.fetch_all(
            "SELECT CAST(statement_id AS TEXT), object_id FROM xapi_statements "
            "WHERE object_type = 'StatementRef'"
        )
        if not rows:
            return []
        targets = {str(ref): str(target) for ref, target in rows}
        base = " OR ".join(f"({branch.where})" for branch in branches)
        params = [p for branch in branches for p in branch.params]
        found = self.engine.fetch_all(
            f"SELECT CAST(statement_id AS TEXT) FROM xapi_statements WHERE statement_id IN {_IDS} "
            f"AND ({base})",
            [",".join(sorted(set(targets.values()))), *params],
        )
        matched = {str(row[0]) for row in found}
        if not matched:
            return []
        pending = dict(targets)
        while True:
            newly = [ref for ref, target in pending.items() if target in matched]
            if not newly:
                break
            for ref in newly:
                matched.add(ref)
                del pending[ref]
        return sorted(ref for ref in targets if ref in matched)


# A list of statement ids as one comma-separated text parameter (see the statement store).
_IDS = "(SELECT CAST(id AS UUID) FROM (SELECT unnest(string_to_array(?, ','))) AS ids(id))"


@dataclass(frozen=True)
class _Branch:
    """A conjunction of conditions on ``xapi_statements`` and its parameters."""

    conditions: list[str]
    params: list[Any]

    @property
    def where(self) -> str:
        return " AND ".join(self.conditions) or "TRUE"

    def __add__(self, other: _Branch) -> _Branch:
        return _Branch(self.conditions + other.conditions, self.params + other.params)


def _branches(query: StatementQuery) -> list[_Branch]:
    """The non-time filters of `query` as a union of conjunctions (before StatementRef
    propagation); one empty branch when there are none.

    The actor, an Agent or Group object, the object Activity and the authority are columns of
    ``xapi_statements``; the link tables hold the rest (see `learnledger.lrs.links`).
    """
    agent: list[_Branch] = [_Branch([], [])]
    if query.agent is not None:
        ifi = query.agent
        agent = [
            _Branch(["actor_ifi = ?"], [ifi]),
            _Branch(["object_type IN ('Agent', 'Group')", "object_id = ?"], [ifi]),
        ]
        if query.related_agents:
            agent.append(_Branch(["authority_ifi = ?"], [ifi]))
            link = "SELECT statement_id FROM xapi_statement_agents WHERE ifi = ?"
        else:
            link = "SELECT statement_id FROM xapi_statement_agents WHERE ifi = ? AND direct"
        agent.append(_Branch([f"statement_id IN ({link})"], [ifi]))
    activity: list[_Branch] = [_Branch([], [])]
    if query.activity is not None:
        activity = [_Branch(["object_type = 'Activity'", "object_id = ?"], [query.activity])]
        if query.related_activities:
            link = "SELECT statement_id FROM xapi_statement_activities WHERE activity_id = ?"
            activity.append(_Branch([f"statement_id IN ({link})"], [query.activity]))
    rest = _Branch([], [])
    if query.verb is not None:
        rest += _Branch(["verb_id = ?"], [query.verb])
    if query.registration is not None:
        rest += _Branch(["registration = CAST(? AS UUID)"], [query.registration])
    return [a + b + rest for a in agent for b in activity]


def _common_filters(
    query: StatementQuery, cursor: Cursor | None, max_seq: int, authority_ifi: str | None
) -> tuple[list[str], list[Any]]:
    """The conditions every branch shares: not voided, time, authority, the page cursor."""
    where = ["NOT voided"]
    params: list[Any] = []
    if query.since is not None:
        where.append("stored > CAST(? AS TIMESTAMPTZ)")
        params.append(_sql_time(query.since))
    if query.until is not None:
        where.append("stored <= CAST(? AS TIMESTAMPTZ)")
        params.append(_sql_time(query.until))
    if authority_ifi is not None:
        where.append("authority_ifi = ?")
        params.append(authority_ifi)
    if not query.ascending and max_seq:
        where.append("seq <= ?")
        params.append(max_seq)
    if cursor is not None:
        # The plain bound lets zone maps and indexes skip to the cursor; the row comparison
        # is the exact keyset condition.
        op = ">" if query.ascending else "<"
        moment = _sql_time(cursor.stored)
        where.append(f"stored {op}= CAST(? AS TIMESTAMPTZ)")
        where.append(f"(stored, seq) {op} (CAST(? AS TIMESTAMPTZ), ?)")
        params.extend([moment, moment, cursor.seq])
    return where, params


def _page_sql(
    branches: list[_Branch], common: _Branch, *, ascending: bool, fetch: int
) -> tuple[str, list[Any]]:
    """The page query: (statement, seq) of the first `fetch` statements of the union of
    `branches`, each restricted by `common`, in page order.

    The page's (seq, stored) are found first and joined back for the (large) statement JSON:
    a top-N that carried the JSON along would read it for every candidate row, and a join
    from the page's few rows lets PostgreSQL look each up by ``seq``.

    Several branches are merged without a DISTINCT: a statement appears at most once per
    branch, so the first ``fetch * len(branches)`` rows of their union hold every copy of
    the first `fetch` statements, and ``seq IN (...)`` keeps one of each. (DuckDB's hash
    aggregate for a DISTINCT cost about 1 ms of CPU however few the rows: a fifth of an
    agent query on 10 million statements.)
    """
    direction = "ASC" if ascending else "DESC"
    order = f"ORDER BY stored {direction}, seq {direction} LIMIT ?"
    if len(branches) == 1:
        branch = branches[0] + common
        page = f"SELECT seq, stored FROM xapi_statements WHERE {branch.where} {order}"
        sql = (
            f"SELECT s.statement, s.seq FROM ({page}) AS p "
            "JOIN xapi_statements s ON s.seq = p.seq "
            f"ORDER BY p.stored {direction}, p.seq {direction}"
        )
        return sql, [*branch.params, fetch]
    parts: list[str] = []
    params: list[Any] = []
    for branch in branches:
        restricted = branch + common
        parts.append(f"(SELECT seq, stored FROM xapi_statements WHERE {restricted.where} {order})")
        params.extend([*restricted.params, fetch])
    union = " UNION ALL ".join(parts)
    sql = (
        "SELECT statement, seq FROM xapi_statements WHERE seq IN "
        f"(SELECT seq FROM ({union}) AS branches {order}) {order}"
    )
    params.extend([fetch * len(branches), fetch])
    return sql, params


def _sql_time(moment: datetime) -> str:
    return moment.isoformat(sep=" ")


def without_limit(query: StatementQuery) -> StatementQuery:
    """`query` with limit 0 (the server's page size)."""
    return replace(query, limit=0)
