"""The SQL that matches unlinked identifiers against people by the rules, on both engines.

`decisions_sql` gives one row per unlinked identifier that some rule finds a candidate for:
``(ifi, rule_no, persons, person_id)``, where `rule_no` is the first rule (in the rules' order)
with a candidate, `persons` the number of distinct people that rule finds (1: linkable, more:
ambiguous) and `person_id` the smallest of them. Candidates are the surviving people: a match
on a merged person's record counts as its survivor (``people.merged_into``); pairs in
``identity_blocks`` are never candidates. Everything runs in the database except SHA-1, which
PostgreSQL lacks without an extension: the hashes of the people's e-mail addresses for
``mbox_sha1sum`` rules are computed in Python and bound as an array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from learnledger.identity.rules import IdentityRule, IdentityRules
from learnledger.storage.engine import Engine

#: The identifiers identity resolution considers: every statement actor, with its statement
#: count and latest stored time (anonymous groups are not people and are left out).
OBSERVED_SQL = (
    "SELECT actor_ifi AS ifi, COUNT(*) AS statements, MAX(stored) AS last_stored "
    "FROM xapi_statements WHERE substr(actor_ifi, 1, 6) <> 'group:' GROUP BY actor_ifi"
)
#: Observed identifiers that ``identities`` does not link yet.
UNLINKED_SQL = (
    f"SELECT o.ifi, o.statements, o.last_stored FROM ({OBSERVED_SQL}) AS o "
    "WHERE NOT EXISTS (SELECT 1 FROM identities AS i WHERE i.ifi = o.ifi)"
)
#: The kind of a canonical IFI: the text before the first ':'.
KIND_SQL = "split_part({ifi}, ':', 1)"

_PREFIXES = {
    "mbox": "mbox:mailto:",
    "mbox_sha1sum": "mbox_sha1sum:",
    "openid": "openid:",
    "account": "account:",
}


@dataclass(frozen=True)
class MatchQuery:
    """SQL with its parameters."""

    sql: str
    params: list[Any]


def decisions_query(engine: Engine, rules: IdentityRules) -> MatchQuery:
    """The decision per unlinked identifier with a candidate (see the module docstring)."""
    parts: list[str] = []
    params: list[Any] = []
    for rule_no, rule in enumerate(rules.rules):
        keys_sql, keys_params = _person_keys(engine, rule)
        parts.append(
            f"SELECT u.ifi, {rule_no} AS rule_no, k.person_id FROM unlinked AS u "
            f"JOIN ({keys_sql}) AS k ON k.match_key = {_identifier_key(rule)} "
            f"WHERE {_identifier_filter(rule)}"
        )
        params.extend(keys_params)
    candidates = " UNION ALL ".join(parts)
    sql = (
        f"WITH unlinked AS ({UNLINKED_SQL}), "
        f"candidates AS ({candidates}), "
        "allowed AS (SELECT DISTINCT c.ifi, c.rule_no, c.person_id FROM candidates AS c "
        "WHERE NOT EXISTS (SELECT 1 FROM identity_blocks AS b "
        "WHERE b.ifi = c.ifi AND b.person_id = c.person_id)), "
        "first_rule AS (SELECT ifi, MIN(rule_no) AS rule_no FROM allowed GROUP BY ifi), "
        "decided AS (SELECT a.ifi, a.rule_no, COUNT(*) AS persons, MIN(a.person_id) AS person_id "
        "FROM allowed AS a JOIN first_rule AS f ON f.ifi = a.ifi AND f.rule_no = a.rule_no "
        "GROUP BY a.ifi, a.rule_no) "
    )
    return MatchQuery(sql, params)


def rule_name_sql(rules: IdentityRules, column: str = "d.rule_no") -> str:
    """A CASE expression giving the rule name of a rule number."""
    whens = " ".join(f"WHEN {k} THEN {_quote(rule.name)}" for k, rule in enumerate(rules.rules))
    return f"CASE {column} {whens} END"


def _person_keys(engine: Engine, rule: IdentityRule) -> tuple[str, list[Any]]:
    """SQL of (person_id, match_key) rows for `rule`, with its parameters."""
    field = f'p."{rule.person_field}"'
    survivor = "COALESCE(p.merged_into, p.person_id)"
    if rule.match != "mbox_sha1sum":
        key = rule.normalised_sql(field)
        return (
            f"SELECT {survivor} AS person_id, {key} AS match_key FROM people AS p "
            f"WHERE {field} IS NOT NULL AND {key} <> ''",
            [],
        )
    rows = engine.fetch_all(
        f"SELECT {survivor}, {field} FROM people AS p WHERE {field} IS NOT NULL"
    )
    persons: list[str] = []
    hashes: list[str] = []
    for person_id, email in rows:
        if rule.normalised(str(email)):
            persons.append(str(person_id))
            hashes.append(rule.mailto_sha1(str(email)))
    return (
        "SELECT unnest(CAST(? AS TEXT[])) AS person_id, unnest(CAST(? AS TEXT[])) AS match_key",
        [persons, hashes],
    )


def _identifier_filter(rule: IdentityRule) -> str:
    """The condition an unlinked identifier ``u.ifi`` must meet for `rule` to apply."""
    prefix = _PREFIXES[rule.match]
    condition = f"substr(u.ifi, 1, {len(prefix)}) = {_quote(prefix)}"
    if rule.match == "account":
        home = f"substr(u.ifi, {len(prefix) + 1}, strpos(u.ifi, '|') - {len(prefix) + 1})"
        wanted = _quote((rule.home_page or "").lower().rstrip("/"))
        condition += f" AND strpos(u.ifi, '|') > 0 AND rtrim(lower({home}), '/') = {wanted}"
    return condition


def _identifier_key(rule: IdentityRule) -> str:
    """The identifier's value that `rule` compares, normalised, as SQL over ``u.ifi``."""
    prefix = _PREFIXES[rule.match]
    if rule.match == "mbox_sha1sum":
        return f"lower(substr(u.ifi, {len(prefix) + 1}))"
    if rule.match == "account":
        return rule.normalised_sql("substr(u.ifi, strpos(u.ifi, '|') + 1)")
    return rule.normalised_sql(f"substr(u.ifi, {len(prefix) + 1})")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
