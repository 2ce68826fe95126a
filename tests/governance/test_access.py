"""The access service on both engines: capabilities per role, row scopes, identity columns."""

from __future__ import annotations

import pytest

from learnledger.errors import PermissionDeniedError
from learnledger.governance.access import (
    AccessService,
    Capability,
    Detail,
    decide,
    shows_identities,
)
from learnledger.governance.actors import Actor, Role
from learnledger.governance.keys import KeyRing
from learnledger.governance.pseudonyms import Pseudonymiser
from learnledger.storage import Engine, Migrator

ADMIN = Actor("U1", Role.ADMIN)
ANALYST = Actor("U2", Role.ANALYST)
EXECUTIVE = Actor("U3", Role.EXECUTIVE)
OWNER = Actor("U4", Role.PROGRAMME_OWNER, programme_ids=frozenset({"PRG-1", "PRG-2"}))
MANAGER = Actor("U5", Role.MANAGER, org_unit_id="OU-A")
LEARNER = Actor("U6", Role.LEARNER, person_id="P-A1")
AUDITOR = Actor("U7", Role.AUDITOR)


@pytest.fixture
def org(engine: Engine) -> Engine:
    """ROOT > A > A1 > A1x, ROOT > B; one person in each unit."""
    Migrator(engine).migrate()
    units = [("OU-ROOT", None), ("OU-A", "OU-ROOT"), ("OU-A1", "OU-A"), ("OU-A1X", "OU-A1")]
    units.append(("OU-B", "OU-ROOT"))
    for unit, parent in units:
        engine.execute(
            "INSERT INTO org_units (org_unit_id, name, parent_id) VALUES (?, ?, ?)",
            [unit, unit, parent],
        )
        person = "P-" + unit.removeprefix("OU-")
        engine.execute("INSERT INTO people (person_id, org_unit_id) VALUES (?, ?)", [person, unit])
    return engine


EXPECTED = {
    Role.ADMIN: set(Capability),
    Role.ANALYST: {
        Capability.VIEW_AGGREGATES,
        Capability.VIEW_INDIVIDUALS,
        Capability.VIEW_GOVERNANCE,
    },
    Role.EXECUTIVE: {Capability.VIEW_AGGREGATES},
    Role.PROGRAMME_OWNER: {Capability.VIEW_AGGREGATES},
    Role.MANAGER: {Capability.VIEW_AGGREGATES, Capability.VIEW_INDIVIDUALS},
    Role.LEARNER: {Capability.VIEW_INDIVIDUALS},
    Role.AUDITOR: {Capability.VIEW_GOVERNANCE, Capability.VIEW_AUDIT},
}


@pytest.mark.parametrize("actor", [ADMIN, ANALYST, EXECUTIVE, OWNER, MANAGER, LEARNER, AUDITOR])
def test_each_role_has_exactly_its_capabilities(actor: Actor) -> None:
    allowed = {c for c in Capability if decide(actor, c).allowed}
    assert allowed == EXPECTED[actor.role]
    for capability in set(Capability) - allowed:
        refused = decide(actor, capability)
        assert refused.detail is Detail.NONE
        assert actor.role.value in refused.reason


def test_identities_only_for_roles_that_need_them() -> None:
    assert [a.role for a in (ADMIN, MANAGER, LEARNER) if shows_identities(a)] == [
        Role.ADMIN,
        Role.MANAGER,
        Role.LEARNER,
    ]
    assert not any(shows_identities(a) for a in (ANALYST, EXECUTIVE, OWNER, AUDITOR))
    assert decide(ANALYST, Capability.VIEW_INDIVIDUALS).detail is Detail.PSEUDONYMOUS


def _visible(org: Engine, actor: Actor) -> set[str]:
    condition, params = AccessService(org).visible_people_sql(actor)
    return {r[0] for r in org.fetch_all(f"SELECT person_id FROM people WHERE {condition}", params)}


def test_individual_rows_follow_the_scope(org: Engine) -> None:
    everyone = {"P-ROOT", "P-A", "P-A1", "P-A1X", "P-B"}
    assert _visible(org, ADMIN) == everyone == _visible(org, ANALYST)
    assert _visible(org, MANAGER) == {"P-A", "P-A1", "P-A1X"}
    assert _visible(org, LEARNER) == {"P-A1"}
    assert _visible(org, Actor("U8", Role.LEARNER)) == set()
    for actor in (EXECUTIVE, OWNER, AUDITOR):
        with pytest.raises(PermissionDeniedError):
            AccessService(org).visible_people_sql(actor)
    access = AccessService(org)
    assert access.may_see_person(MANAGER, "P-A1X")
    assert not access.may_see_person(MANAGER, "P-B")
    assert not access.may_see_person(EXECUTIVE, "P-A")


def test_aggregate_filters_are_narrowed_to_the_scope(org: Engine) -> None:
    access = AccessService(org)
    segments = ("org_unit", "programme", "role")
    assert access.metric_filters(EXECUTIVE, {"role": "R1"}, segments) == {"role": "R1"}
    assert access.metric_filters(MANAGER, {}, segments) == {"org_unit": "OU-A"}
    assert access.metric_filters(MANAGER, {"org_unit": "OU-A1X"}, segments)["org_unit"] == "OU-A1X"
    with pytest.raises(PermissionDeniedError, match="OU-B"):
        access.metric_filters(MANAGER, {"org_unit": "OU-B"}, segments)
    with pytest.raises(PermissionDeniedError, match="OU-ROOT"):
        access.metric_filters(MANAGER, {"org_unit": "OU-ROOT"}, segments)
    with pytest.raises(PermissionDeniedError, match="choose one of your programmes"):
        access.metric_filters(OWNER, {}, segments)
    assert access.metric_filters(OWNER, {"programme": "PRG-2"}, segments)["programme"] == "PRG-2"
    with pytest.raises(PermissionDeniedError, match="PRG-3"):
        access.metric_filters(OWNER, {"programme": "PRG-3"}, segments)
    with pytest.raises(PermissionDeniedError, match="cannot be limited"):
        access.metric_filters(MANAGER, {}, ("programme",))
    with pytest.raises(PermissionDeniedError):
        access.metric_filters(LEARNER, {}, segments)
    assert access.may_see_programme(OWNER, "PRG-1")
    assert not access.may_see_programme(OWNER, "X")
    assert access.may_see_programme(EXECUTIVE, "X")
    assert not access.may_see_programme(MANAGER, "X")


def test_pseudonyms_are_stable_keyed_and_rotate_with_the_version() -> None:
    keys = KeyRing(b"pseudonym-test-key-0001")
    first = Pseudonymiser(keys, 1)
    assert first.pseudonym("P1") == Pseudonymiser(keys, 1).pseudonym("P1")
    assert first.pseudonym("P1") != first.pseudonym("P2")
    assert first.pseudonym("P1").startswith("p1-")
    assert "P1" not in first.pseudonym("P1")[3:]
    rotated = Pseudonymiser(keys, 2).pseudonym("P1")
    assert rotated.startswith("p2-")
    assert rotated[3:] != first.pseudonym("P1")[3:]
    other_key = Pseudonymiser(KeyRing(b"another-secret-key-0002"), 1).pseudonym("P1")
    assert other_key != first.pseudonym("P1")
