"""A demo organisation (1,000 people, 18 months, seed 3: one programme pays back, one does
not, five have no money value) with one user per role, for the executive page tests.

The demo is built once per session and copied for each test module, whose `web_settings`
(overriding tests/web/conftest.py's small organisation) point at the copy.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from learnledger.config import Settings
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import open_engine

#: The password tests/web/conftest.py signs users in with.
PASSWORD = "a long test password"
SECRET = "executive-tests-secret-key-0123456789"
OWNED = "PRG-CONSULTATIVE-SELLING"


@pytest.fixture(scope="session")
def executive_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database file, built once."""
    folder = tmp_path_factory.mktemp("executive-demo")
    path = folder / "demo.duckdb"
    rebuild_demo(f"duckdb:///{path}", DemoRequest(people=1000, months=18, seed=3))
    return path


@pytest.fixture(scope="module")
def web_settings(executive_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a copy of the demo with one user per role (owner owns Consultative
    Selling, the manager a demo org unit, the learner a demo person)."""
    folder = tmp_path_factory.mktemp("executive-web")
    copy = folder / "demo.duckdb"
    shutil.copyfile(executive_demo, copy)
    settings = Settings(
        database_url=f"duckdb:///{copy}",
        secret_key=SECRET,
        min_group_size=5,
        login_max_failures=50,
    )
    with open_engine(settings.database_url) as engine:
        unit = engine.fetch_one("SELECT MIN(org_unit_id) FROM people")
        person = engine.fetch_one("SELECT MIN(person_id) FROM people")
        assert unit is not None
        assert person is not None
        scopes = {
            "admin": (Role.ADMIN, Scope()),
            "analyst": (Role.ANALYST, Scope()),
            "executive": (Role.EXECUTIVE, Scope()),
            "owner": (Role.PROGRAMME_OWNER, Scope(programme_ids=(OWNED,))),
            "manager": (Role.MANAGER, Scope(org_unit_id=str(unit[0]))),
            "learner": (Role.LEARNER, Scope(person_id=str(person[0]))),
            "auditor": (Role.AUDITOR, Scope()),
        }
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        for name, (role, scope) in scopes.items():
            directory.add(name, PASSWORD, role, scope, actor="cli:test")
    return settings
