"""The identity report: how many statement actors are linked, how, and which are not.

Counts are for everyone; the identifiers themselves (e-mail addresses, account names) and the
candidate people of ambiguous ones only for the roles the rules allow
(``report.identifier_roles``, by default admin and data_steward).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from learnledger.identity.matching import OBSERVED_SQL, UNLINKED_SQL, decisions_query
from learnledger.identity.rules import IdentityRules
from learnledger.storage.engine import Engine

_LINKED_SQL = (
    f"SELECT COALESCE(i.method, 'import'), CAST(COUNT(*) AS BIGINT) FROM ({OBSERVED_SQL}) AS o "
    "JOIN identities AS i ON i.ifi = o.ifi GROUP BY 1"
)


@dataclass(frozen=True)
class UnlinkedIdentifier:
    """An observed identifier no identity links: `status` is ``ambiguous`` (several candidate
    people; `candidates` lists them), ``linkable`` (a rule finds one person: run resolve) or
    ``unresolved`` (no rule finds anyone)."""

    ifi: str
    kind: str
    status: str
    statements: int
    last_stored: datetime | None
    rule: str | None = None
    candidates: tuple[str, ...] = ()


@dataclass
class IdentityReport:
    """Counts of observed identifiers by outcome; `identifiers` is None for roles that may not
    see them."""

    observed: int = 0
    linked_by_method: dict[str, int] = field(default_factory=dict)
    linkable: int = 0
    ambiguous: int = 0
    unresolved: int = 0
    identifiers: list[UnlinkedIdentifier] | None = None

    @property
    def linked(self) -> int:
        """Observed identifiers that ``identities`` links to a person."""
        return sum(self.linked_by_method.values())

    def as_json(self) -> dict[str, Any]:
        """The report as JSON-ready data."""
        return {
            "observed": self.observed,
            "linked": self.linked,
            "linked_by_method": self.linked_by_method,
            "linkable": self.linkable,
            "ambiguous": self.ambiguous,
            "unresolved": self.unresolved,
            "identifiers": None
            if self.identifiers is None
            else [
                {
                    "identifier": item.ifi,
                    "kind": item.kind,
                    "status": item.status,
                    "statements": item.statements,
                    "last_stored": item.last_stored.isoformat() if item.last_stored else None,
                    "rule": item.rule,
                    "candidates": list(item.candidates),
                }
                for item in self.identifiers
            ],
        }


def identity_report(engine: Engine, rules: IdentityRules, *, role: str) -> IdentityReport:
    """The report for a viewer in `role` (identifiers only if the rules allow the role)."""
    report = IdentityReport()
    row = engine.fetch_one(f"SELECT CAST(COUNT(*) AS BIGINT) FROM ({OBSERVED_SQL}) AS o")
    report.observed = int(row[0]) if row else 0
    report.linked_by_method = {
        str(method): int(count) for method, count in engine.fetch_all(_LINKED_SQL)
    }
    query = decisions_query(engine, rules)
    names = [rule.name for rule in rules.rules]
    candidates: dict[str, list[str]] = {}
    rule_of: dict[str, str] = {}
    first_rule_candidates = (
        "SELECT a.ifi, a.rule_no, a.person_id FROM allowed AS a "
        "JOIN first_rule AS f ON f.ifi = a.ifi AND f.rule_no = a.rule_no"
    )
    for ifi, rule_no, person_id in engine.fetch_all(
        query.sql + first_rule_candidates, query.params
    ):
        candidates.setdefault(str(ifi), []).append(str(person_id))
        rule_of[str(ifi)] = names[int(rule_no)]
    items: list[UnlinkedIdentifier] = []
    for ifi, statements, last_stored in engine.fetch_all(UNLINKED_SQL + " ORDER BY 1"):
        found = sorted(candidates.get(str(ifi), []))
        status = "unresolved" if not found else "linkable" if len(found) == 1 else "ambiguous"
        setattr(report, status, getattr(report, status) + 1)
        items.append(
            UnlinkedIdentifier(
                ifi=str(ifi),
                kind=str(ifi).partition(":")[0],
                status=status,
                statements=int(statements),
                last_stored=last_stored,
                rule=rule_of.get(str(ifi)),
                candidates=tuple(found) if status == "ambiguous" else (),
            )
        )
    if role in rules.identifier_roles:
        order = {"ambiguous": 0, "unresolved": 1, "linkable": 2}
        report.identifiers = sorted(items, key=lambda item: (order[item.status], item.ifi))
    return report
