"""Identity resolution: link the statement actors that ``identities`` does not know yet to
people by the rules, then link their learning events; set-based SQL on both engines.

Links already in ``identities`` (from imports, manual links, earlier runs) are never changed
by a run; an identifier is linked when the first rule with a candidate finds exactly one
person. Running it again changes nothing (idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from learnledger.identity.matching import KIND_SQL, UNLINKED_SQL, decisions_query, rule_name_sql
from learnledger.identity.rules import IdentityRules
from learnledger.storage.engine import Engine

_OUTCOMES_SQL = (
    "SELECT d.rule_no, CASE WHEN d.persons = 1 THEN 'linked' ELSE 'ambiguous' END, "
    "CAST(COUNT(*) AS BIGINT) FROM decided AS d GROUP BY 1, 2"
)
_UNLINKED_COUNT_SQL = f"SELECT CAST(COUNT(*) AS BIGINT) FROM ({UNLINKED_SQL}) AS u"
_LINKABLE_EVENTS_SQL = (
    "SELECT CAST(COUNT(*) AS BIGINT) FROM learning_events AS e JOIN identities AS i "
    "ON i.ifi = e.actor_ifi WHERE e.person_id IS NULL"
)
_RELINK_EVENTS_SQL = (
    "UPDATE learning_events SET person_id = identities.person_id FROM identities "
    "WHERE identities.ifi = learning_events.actor_ifi AND learning_events.person_id IS NULL"
)


@dataclass
class ResolutionSummary:
    """What a resolution run did (or, in a dry run, would do): counts only, no identifiers."""

    identifiers_unlinked_before: int = 0
    linked_by_rule: dict[str, int] = field(default_factory=dict)
    ambiguous_by_rule: dict[str, int] = field(default_factory=dict)
    events_linked: int = 0
    dry_run: bool = False
    rules_checksum: str = ""

    @property
    def linked(self) -> int:
        """Identifiers linked by this run."""
        return sum(self.linked_by_rule.values())

    @property
    def ambiguous(self) -> int:
        """Identifiers more than one person matches (left unlinked)."""
        return sum(self.ambiguous_by_rule.values())

    @property
    def unresolved(self) -> int:
        """Identifiers still unlinked after the run, ambiguous ones included."""
        return self.identifiers_unlinked_before - self.linked

    def as_json(self) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        return {
            "dry_run": self.dry_run,
            "identifiers_unlinked_before": self.identifiers_unlinked_before,
            "linked": self.linked,
            "linked_by_rule": self.linked_by_rule,
            "ambiguous": self.ambiguous,
            "ambiguous_by_rule": self.ambiguous_by_rule,
            "unresolved": self.unresolved,
            "events_linked": self.events_linked,
            "rules_checksum": self.rules_checksum,
        }


class _DryRunRollbackError(Exception):
    """Raised inside the transaction of a dry run so that it rolls back."""


def resolve_identities(
    engine: Engine, rules: IdentityRules, *, dry_run: bool = False
) -> ResolutionSummary:
    """Link unlinked statement actors to people by `rules` and link their learning events,
    in one transaction; with `dry_run`, compute the same summary and roll everything back."""
    summary = ResolutionSummary(dry_run=dry_run, rules_checksum=rules.checksum)
    try:
        with engine.transaction():
            _resolve(engine, rules, summary)
            if dry_run:
                raise _DryRunRollbackError
    except _DryRunRollbackError:
        pass
    return summary


def link_events(engine: Engine) -> int:
    """Fill ``learning_events.person_id`` where it is empty and the actor's identifier is
    linked now; return the number of events linked."""
    with engine.transaction():
        row = engine.fetch_one(_LINKABLE_EVENTS_SQL)
        engine.execute(_RELINK_EVENTS_SQL)
    return int(row[0]) if row else 0


def _resolve(engine: Engine, rules: IdentityRules, summary: ResolutionSummary) -> None:
    row = engine.fetch_one(_UNLINKED_COUNT_SQL)
    summary.identifiers_unlinked_before = int(row[0]) if row else 0
    if summary.identifiers_unlinked_before:
        query = decisions_query(engine, rules)
        names = [rule.name for rule in rules.rules]
        for rule_no, outcome, count in engine.fetch_all(query.sql + _OUTCOMES_SQL, query.params):
            target = summary.linked_by_rule if outcome == "linked" else summary.ambiguous_by_rule
            target[names[int(rule_no)]] = int(count)
        if summary.linked_by_rule:
            insert = (
                "INSERT INTO identities (ifi, person_id, kind, linked_at, method, rule) "
                f"{query.sql}SELECT d.ifi, d.person_id, {KIND_SQL.format(ifi='d.ifi')}, "
                f"CAST(? AS TIMESTAMPTZ), 'rule', {rule_name_sql(rules)} "
                "FROM decided AS d WHERE d.persons = 1"
            )
            engine.execute(insert, [*query.params, datetime.now(UTC)])
    summary.events_linked = link_events(engine)
