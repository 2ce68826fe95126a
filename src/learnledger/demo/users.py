"""Sign-in users for the demo company: one per role, with scopes taken from the demo data.

Each `learnledger demo` run gives them a new random password and prints it once, so nothing
secret is kept on disk and a stale password never works.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnledger.errors import NotFoundError
from learnledger.governance.actors import Role
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage.engine import Engine

ACTOR = "system:demo"


@dataclass(frozen=True)
class DemoUser:
    """A demo user's sign-in name, role and what its scope is."""

    username: str
    role: Role
    scope: Scope


def demo_users(engine: Engine) -> list[DemoUser]:
    """One user per role, scoped to a busy org unit, programme and person of the demo."""
    unit = engine.fetch_one(
        "SELECT o.org_unit_id FROM org_units o JOIN people p ON p.org_unit_id = o.org_unit_id "
        "WHERE o.parent_id IS NOT NULL GROUP BY o.org_unit_id "
        "ORDER BY count(*) DESC, o.org_unit_id LIMIT 1"
    )
    programme = engine.fetch_one(
        "SELECT c.programme_id FROM enrolments e JOIN courses c ON c.course_id = e.course_id "
        "WHERE c.programme_id IS NOT NULL GROUP BY c.programme_id "
        "ORDER BY count(*) DESC, c.programme_id LIMIT 1"
    )
    if unit is None or programme is None:
        raise NotFoundError("the demo has no org units with people or no programme enrolments")
    learner = engine.fetch_one(
        "SELECT p.person_id FROM people p JOIN enrolments e ON e.person_id = p.person_id "
        "WHERE p.org_unit_id = ? GROUP BY p.person_id ORDER BY count(*) DESC, p.person_id "
        "LIMIT 1",
        [unit[0]],
    )
    if learner is None:
        raise NotFoundError(f"no enrolled person in org unit {unit[0]}")
    return [
        DemoUser("admin", Role.ADMIN, Scope()),
        DemoUser("analyst", Role.ANALYST, Scope()),
        DemoUser("executive", Role.EXECUTIVE, Scope()),
        DemoUser("owner", Role.PROGRAMME_OWNER, Scope(programme_ids=(str(programme[0]),))),
        DemoUser("manager", Role.MANAGER, Scope(org_unit_id=str(unit[0]))),
        DemoUser("learner", Role.LEARNER, Scope(person_id=str(learner[0]))),
        DemoUser("auditor", Role.AUDITOR, Scope()),
    ]


def ensure_demo_users(directory: UserDirectory, password: str) -> list[DemoUser]:
    """Create the demo users, or reset their role, scope and password; return them."""
    users = demo_users(directory.engine)
    existing = {u.username for u in directory.list()}
    for user in users:
        if user.username in existing:
            directory.set_role(user.username, user.role, user.scope, actor=ACTOR)
            directory.set_password(user.username, password, actor=ACTOR)
            directory.set_disabled(user.username, False, actor=ACTOR)
        else:
            directory.add(user.username, password, user.role, user.scope, actor=ACTOR)
    return users
