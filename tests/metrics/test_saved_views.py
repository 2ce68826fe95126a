"""Saved views: validation, visibility, pins, sharing, deletion and the audit trail, on both
engines."""

from __future__ import annotations

import datetime as dt

import pytest

from learnledger.config import Settings
from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.explorer import ExplorerQuery
from learnledger.metrics.saved_views import MAX_NAME, SavedViewService
from learnledger.storage import Engine, Migrator

ANALYST = Actor("U-ANALYST", Role.ANALYST)
EXECUTIVE = Actor("U-EXEC", Role.EXECUTIVE)
MANAGER_A = Actor("U-MGR-A", Role.MANAGER, org_unit_id="OU-A")
MANAGER_B = Actor("U-MGR-B", Role.MANAGER, org_unit_id="OU-B")
OWNER = Actor("U-OWNER", Role.PROGRAMME_OWNER, programme_ids=frozenset({"PRG-1"}))
LEARNER = Actor("U-LEARNER", Role.LEARNER, person_id="P-1")
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def views(engine: Engine) -> SavedViewService:
    """The service on a migrated database with org units ROOT > A, ROOT > B."""
    Migrator(engine).migrate()
    engine.execute_many(
        "INSERT INTO org_units (org_unit_id, name, parent_id) VALUES (?, ?, ?)",
        [
            ("OU-ROOT", "Company", None),
            ("OU-A", "Sales", "OU-ROOT"),
            ("OU-B", "Service", "OU-ROOT"),
        ],
    )
    keys = load_key_ring(Settings(secret_key="saved-views-test-secret-0123456789"))
    return SavedViewService(engine, AuditLog(engine, keys), load_catalogue())


def test_save_keeps_the_query_as_asked_and_lists_it_for_its_owner(
    views: SavedViewService,
) -> None:
    query = ExplorerQuery(
        "completion_rate",
        by="org_unit",
        period="month",
        compare="previous",
        filters={"programme": "PRG-1"},
        display="small_multiples",
    )
    saved = views.save(ANALYST, "  Completion   by unit ", query, pin=True, now=NOW)
    assert saved.name == "Completion by unit"
    assert saved.query == query
    assert saved.mine
    assert saved.pinned
    assert not saved.shared
    assert [v.view_id for v in views.visible(ANALYST)] == [saved.view_id]
    assert [v.view_id for v in views.pinned(ANALYST)] == [saved.view_id]
    assert views.visible(EXECUTIVE) == []
    with pytest.raises(NotFoundError, match="no saved view"):
        views.get(EXECUTIVE, saved.view_id)


@pytest.mark.parametrize(
    ("actor", "name", "query", "error", "message"),
    [
        (ANALYST, " ", ExplorerQuery("enrolments"), ValidationError, "name: give the view a name"),
        (
            ANALYST,
            "x" * (MAX_NAME + 1),
            ExplorerQuery("enrolments"),
            ValidationError,
            f"name: at most {MAX_NAME} characters",
        ),
        (ANALYST, "v", ExplorerQuery("nope"), NotFoundError, "no metric 'nope'"),
        (ANALYST, "v", ExplorerQuery("enrolments", by="kpi"), ValidationError, "by: enrolments"),
        (
            ANALYST,
            "v",
            ExplorerQuery("enrolments", filters={"kpi": "K"}),
            ValidationError,
            "filter.kpi: ",
        ),
        (ANALYST, "v", ExplorerQuery("roi"), ValidationError, "computed by the impact engine"),
        (
            MANAGER_A,
            "v",
            ExplorerQuery("enrolments", filters={"org_unit": "OU-B"}),
            PermissionDeniedError,
            "outside your organisation",
        ),
        (OWNER, "v", ExplorerQuery("reach"), PermissionDeniedError, "may not see reach"),
        (LEARNER, "v", ExplorerQuery("enrolments"), PermissionDeniedError, "view aggregates"),
    ],
)
def test_save_refuses_what_breaks_a_rule_and_says_which_field(
    views: SavedViewService,
    actor: Actor,
    name: str,
    query: ExplorerQuery,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message.replace("(", r"\(")):
        views.save(actor, name, query)
    assert views.engine.fetch_one("SELECT COUNT(*) FROM saved_views") == (0,)


def test_shared_views_reach_roles_that_may_see_the_metric_and_others_may_pin_them(
    views: SavedViewService,
) -> None:
    by_unit = views.save(
        MANAGER_A, "Team enrolments", ExplorerQuery("enrolments", by="org_unit"), now=NOW
    )
    reach = views.save(ANALYST, "Reach", ExplorerQuery("reach"), now=NOW)
    views.set_shared(MANAGER_A, by_unit.view_id, True)
    views.set_shared(ANALYST, reach.view_id, True)
    assert {v.view_id for v in views.visible(EXECUTIVE)} == {by_unit.view_id, reach.view_id}
    # A programme owner cannot see reach (it has no programme segment).
    assert [v.view_id for v in views.visible(OWNER)] == [by_unit.view_id]
    pinned = views.pin(MANAGER_B, by_unit.view_id, now=NOW)
    assert pinned.pinned
    assert not pinned.mine
    assert [v.view_id for v in views.pinned(MANAGER_B)] == [by_unit.view_id]
    assert not views.get(MANAGER_A, by_unit.view_id).pinned  # pins are per user
    views.unpin(MANAGER_B, by_unit.view_id)
    assert views.pinned(MANAGER_B) == []


def test_only_the_owner_shares_or_deletes_and_unsharing_removes_others_pins(
    views: SavedViewService,
) -> None:
    view = views.save(ANALYST, "Enrolments", ExplorerQuery("enrolments"), shared=True, now=NOW)
    views.pin(EXECUTIVE, view.view_id, now=NOW)
    with pytest.raises(PermissionDeniedError, match="only the user who saved"):
        views.set_shared(EXECUTIVE, view.view_id, False)
    with pytest.raises(PermissionDeniedError, match="only the user who saved"):
        views.delete(EXECUTIVE, view.view_id)
    views.set_shared(ANALYST, view.view_id, False)
    assert views.pinned(EXECUTIVE) == []
    with pytest.raises(NotFoundError):
        views.pin(EXECUTIVE, view.view_id)
    views.set_shared(ANALYST, view.view_id, True)
    views.pin(EXECUTIVE, view.view_id, now=NOW)
    views.delete(ANALYST, view.view_id)
    assert views.visible(ANALYST) == []
    assert views.engine.fetch_one("SELECT COUNT(*) FROM saved_view_pins") == (0,)


def test_saves_sharing_and_deletes_are_audited_without_the_name(
    views: SavedViewService,
) -> None:
    view = views.save(ANALYST, "Secret project name", ExplorerQuery("enrolments"), now=NOW)
    views.set_shared(ANALYST, view.view_id, True, now=NOW)
    views.pin(ANALYST, view.view_id, now=NOW)
    views.delete(ANALYST, view.view_id, now=NOW)
    entries = views.audit.entries()
    actions = [(e.action, e.target, e.actor) for e in entries]
    assert actions == [
        ("saved_view_save", view.view_id, "user:U-ANALYST"),
        ("saved_view_share", view.view_id, "user:U-ANALYST"),
        ("saved_view_delete", view.view_id, "user:U-ANALYST"),
    ]
    assert "Secret" not in str([e.as_json() for e in entries])
    assert views.audit.verify().intact
