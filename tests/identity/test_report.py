"""The identity report: counts for everyone, identifiers only for the roles the rules allow."""

from __future__ import annotations

from learnledger.identity import IdentityRules, identity_report, resolve_identities
from learnledger.storage import Engine

from .conftest import add_people, store_statements


def _seed(engine: Engine, rules: IdentityRules) -> None:
    add_people(
        engine,
        [
            ("P1", "E-1", "ann@example.com"),
            ("P2", "E-2", "team@example.com"),
            ("P3", "E-3", "team@example.com"),
        ],
    )
    store_statements(
        engine,
        [
            {"mbox": "mailto:ann@example.com"},
            {"mbox": "mailto:team@example.com"},
            {"mbox": "mailto:team@example.com"},
            {"mbox": "mailto:ghost@example.com"},
            {"objectType": "Group", "member": [{"mbox": "mailto:ann@example.com"}]},
        ],
    )


def test_report_lists_ambiguous_and_unresolved_identifiers_for_allowed_roles(
    store: Engine, rules: IdentityRules
) -> None:
    _seed(store, rules)
    before = identity_report(store, rules, role="data_steward")
    assert (before.observed, before.linked, before.linkable) == (3, 0, 1)
    resolve_identities(store, rules)
    report = identity_report(store, rules, role="data_steward")
    assert (report.observed, report.linked_by_method) == (3, {"rule": 1})
    assert (report.linkable, report.ambiguous, report.unresolved) == (0, 1, 1)
    assert report.identifiers is not None
    listed = [(i.status, i.ifi, i.statements, i.candidates) for i in report.identifiers]
    assert listed == [
        ("ambiguous", "mbox:mailto:team@example.com", 2, ("P2", "P3")),
        ("unresolved", "mbox:mailto:ghost@example.com", 1, ()),
    ]
    assert report.identifiers[0].rule == "email"


def test_report_shows_only_counts_to_other_roles(store: Engine, rules: IdentityRules) -> None:
    _seed(store, rules)
    report = identity_report(store, rules, role="analyst")
    assert report.identifiers is None
    data = report.as_json()
    assert data["identifiers"] is None
    assert (data["ambiguous"], data["unresolved"], data["linkable"]) == (1, 1, 1)
    assert "example.com" not in str(data)
