"""What other parts of LearnLedger call after they change people or identifiers."""

from __future__ import annotations

from learnledger.identity.resolver import ResolutionSummary, resolve_identities
from learnledger.identity.rule_store import rules_in_force
from learnledger.storage.engine import Engine


def resolve_after_people_import(engine: Engine) -> ResolutionSummary:
    """Run identity resolution with the rules in force after people were imported or changed,
    so that statements of actors who were unknown until now link to them (retroactively)."""
    return resolve_identities(engine, rules_in_force(engine))
