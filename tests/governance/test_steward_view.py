"""The data and governance page's service: each section only for the roles allowed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from learnledger.errors import PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.steward_view import (
    OperationalReaders,
    allowed_sections,
    steward_view,
)
from learnledger.storage import Engine

TODAY = dt.date(2026, 3, 15)
RUNS = [
    {
        "started_at": "2026-03-02T10:00:00+00:00",
        "source_id": "hris",
        "entity": "people",
        "status": "succeeded",
        "rows_read": 10,
        "rows_inserted": 8,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "rows_rejected": 2,
        "rejected_by_reason": {"email: not an e-mail address": 2, "hire_date: not a date": 1},
        "error": None,
    },
    {
        "started_at": "2026-03-01T10:00:00+00:00",
        "source_id": "hris",
        "entity": "people",
        "status": "failed",
        "rows_read": 5,
        "rows_inserted": 0,
        "rows_updated": 0,
        "rows_unchanged": 0,
        "rows_rejected": 1,
        "rejected_by_reason": {"email: not an e-mail address": 1},
        "error": "mapping broken",
    },
]


def _readers(asked: list[str]) -> OperationalReaders:
    def identity(role: str) -> dict[str, Any]:
        asked.append(role)
        return {
            "observed": 3,
            "linked": 2,
            "linked_by_method": {"import": 2},
            "linkable": 0,
            "ambiguous": 1,
            "unresolved": 0,
            "identifiers": [
                {
                    "identifier": "mbox:mailto:someone@example.com",
                    "kind": "mbox",
                    "status": "ambiguous",
                    "statements": 4,
                    "last_stored": None,
                    "candidates": ["P1", "P2"],
                }
            ]
            if role == "admin"
            else None,
        }

    return OperationalReaders(import_runs=lambda: RUNS, identity=identity)


def _sources(store: Engine, audit: AuditLog) -> None:
    store.execute(
        "INSERT INTO data_sources (source_id, name, kind, contains_personal_data, retention_days,"
        " retention_action) VALUES ('hris', 'HR system', 'hris', TRUE, 365, 'delete')"
    )
    store.execute(
        "INSERT INTO retention_runs (run_id, started_at, finished_at, dry_run, actor, report) "
        "VALUES ('RET-1', ?, ?, TRUE, 'cli:test', ?)",
        [
            dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
            dt.datetime(2026, 3, 1, tzinfo=dt.UTC),
            '{"as_of": "2026-03-01T00:00:00+00:00", "total_rows": 7}',
        ],
    )
    for action in ("login", "export", "login"):
        audit.append(actor="user:u1", action=action, target="t", details={"n": 1})


def test_sections_follow_the_access_rules() -> None:
    def sections(role: Role) -> tuple[str, ...]:
        return allowed_sections(Actor("u", role, org_unit_id="OU", person_id="P"))

    assert sections(Role.ADMIN) == SECTIONS_ALL
    assert sections(Role.ANALYST) == ("summary", "imports", "identity", "consent", "retention")
    assert sections(Role.AUDITOR) == ("summary", "audit")
    for role in (Role.EXECUTIVE, Role.PROGRAMME_OWNER, Role.MANAGER, Role.LEARNER):
        assert sections(role) == ()


SECTIONS_ALL = ("summary", "imports", "identity", "consent", "retention", "audit")


def test_an_admin_sees_every_section_with_counts(store: Engine, audit: AuditLog) -> None:
    _sources(store, audit)
    asked: list[str] = []
    view = steward_view(store, audit, Actor("a", Role.ADMIN), _readers(asked), today=TODAY)
    assert view.sections == SECTIONS_ALL
    assert view.tables["sources"][0]["retention"] == "365 days, then delete"
    assert view.tables["rejections"][0] == {
        "source_id": "hris",
        "entity": "people",
        "problem": "email: not an e-mail address",
        "cells": 3,
    }
    assert view.context["imports"]["failed_runs"] == 1
    assert view.identifiers_shown
    assert asked == ["admin"]
    assert view.tables["retention_runs"][0]["total_rows"] == 7
    assert [e["action"] for e in view.tables["audit_log"]] == ["login", "export", "login"]
    assert view.context["audit"]["intact"]
    purposes = {row["purpose"] for row in view.tables["consent"]}
    assert "individual_reporting" in purposes


def test_the_audit_log_filter_keeps_one_action(store: Engine, audit: AuditLog) -> None:
    _sources(store, audit)
    view = steward_view(
        store, audit, Actor("a", Role.ADMIN), _readers([]), section="audit", audit_action="login"
    )
    assert view.sections == ("audit",)
    assert [e["action"] for e in view.tables["audit_log"]] == ["login", "login"]
    assert view.context["audit"]["matching"] == 2
    assert "sources" not in view.tables


def test_an_auditor_gets_no_section_built_from_personal_data(
    store: Engine, audit: AuditLog
) -> None:
    _sources(store, audit)
    asked: list[str] = []
    auditor = Actor("au", Role.AUDITOR)
    view = steward_view(store, audit, auditor, _readers(asked), today=TODAY)
    assert view.sections == ("summary", "audit")
    assert asked == []  # the identity reader is never called
    assert not {"import_runs", "rejections", "consent", "retention_runs", "identity"} & set(
        view.tables
    )
    with pytest.raises(PermissionDeniedError, match="imports"):
        steward_view(store, audit, auditor, _readers(asked), section="imports")
    analyst = steward_view(store, audit, Actor("an", Role.ANALYST), _readers(asked))
    assert "audit_log" not in analyst.tables
    assert not analyst.identifiers_shown
    assert "unlinked_identifiers" not in analyst.tables
    with pytest.raises(PermissionDeniedError):
        steward_view(store, audit, Actor("m", Role.MANAGER, org_unit_id="OU"), _readers(asked))
    with pytest.raises(ValidationError, match="section"):
        steward_view(store, audit, Actor("a", Role.ADMIN), _readers(asked), section="secrets")
