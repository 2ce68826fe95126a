"""Who is acting: a signed-in user with a role and a scope, or an operator at the command line."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """Roles of web/API users; `learnledger.governance.access` says what each may do."""

    ADMIN = "admin"
    ANALYST = "analyst"
    EXECUTIVE = "executive"
    PROGRAMME_OWNER = "programme_owner"
    MANAGER = "manager"
    LEARNER = "learner"
    AUDITOR = "auditor"


@dataclass(frozen=True)
class Actor:
    """An actor: the user id, role and the scope the role applies to.

    `org_unit_id` is a manager's subtree, `programme_ids` a programme owner's programmes and
    `person_id` the person the user is (a learner's own data). Operators at the command line
    act as admins under ``cli:<os user>``.
    """

    user_id: str
    role: Role
    org_unit_id: str | None = None
    person_id: str | None = None
    programme_ids: frozenset[str] = field(default_factory=frozenset)

    @property
    def audit_name(self) -> str:
        """How the audit log names this actor (never a person's name or e-mail)."""
        return self.user_id if ":" in self.user_id else f"user:{self.user_id}"


def cli_actor(name: str | None = None) -> Actor:
    """The operator running a CLI command, as an admin named ``cli:<name>``."""
    return Actor(user_id=f"cli:{name or _os_user()}", role=Role.ADMIN)


SCHEDULER = Actor(user_id="system:scheduler", role=Role.ADMIN)
"""The server's own scheduled jobs (retention enforcement)."""


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "unknown"
