"""The rules in force: versions recorded in ``identity_rules``, the shipped defaults otherwise."""

from __future__ import annotations

from datetime import UTC, datetime

from learnledger.governance.audit import AuditLog
from learnledger.identity.rules import IdentityRules, load_rules, parse_rules
from learnledger.storage.engine import Engine

_LATEST_SQL = "SELECT version, content, location FROM identity_rules ORDER BY version DESC LIMIT 1"
_INSERT_SQL = (
    "INSERT INTO identity_rules (version, content, checksum, location, actor, recorded_at) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


def rules_in_force(engine: Engine) -> IdentityRules:
    """The latest recorded rules, or the shipped defaults when none were recorded."""
    row = engine.fetch_one(_LATEST_SQL)
    if row is None:
        return load_rules()
    version, content, location = row
    return parse_rules(str(content), path=f"identity_rules v{version} ({location or 'stored'})")


def record_rules(engine: Engine, rules: IdentityRules, *, actor: str, audit: AuditLog) -> int:
    """Make `rules` the rules in force (a new version, unless they equal the latest one);
    return the version in force. A new version is written to the audit log."""
    with audit.transaction():
        row = engine.fetch_one(
            "SELECT version, checksum FROM identity_rules ORDER BY version DESC LIMIT 1"
        )
        if row is not None and row[1] == rules.checksum:
            return int(row[0])
        version = int(row[0]) + 1 if row else 1
        engine.execute(
            _INSERT_SQL,
            [version, rules.content, rules.checksum, rules.location, actor, datetime.now(UTC)],
        )
        audit.append(
            actor=actor,
            action="identity_rules_recorded",
            target="identity_rules",
            details={"version": version, "checksum": rules.checksum, "rules": len(rules.rules)},
        )
    return version
