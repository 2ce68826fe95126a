"""A small organisation in a DuckDB file, one user per role, and signed-in test clients."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pyarrow as pa
import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import Migrator, open_engine
from learnledger.web.app import create_app

PASSWORD = "a long test password"
SECRET = "web-tests-secret-key-0123456789"

#: org tree ROOT > A > A1, ROOT > B; 12 people in A1, 12 in B, P-A (a person in A).
USERS: dict[str, tuple[Role, Scope]] = {
    "admin": (Role.ADMIN, Scope()),
    "analyst": (Role.ANALYST, Scope()),
    "executive": (Role.EXECUTIVE, Scope()),
    "owner": (Role.PROGRAMME_OWNER, Scope(programme_ids=("PRG-1",))),
    "manager": (Role.MANAGER, Scope(org_unit_id="OU-A", person_id="P-A")),
    "learner": (Role.LEARNER, Scope(person_id="A1-00")),
    "auditor": (Role.AUDITOR, Scope()),
}


def _organisation(database_url: str) -> None:
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        engine.bulk_insert(
            "org_units",
            pa.table(
                {
                    "org_unit_id": ["OU-ROOT", "OU-A", "OU-A1", "OU-B"],
                    "name": ["Company", "Sales", "Sales North", "Service"],
                    "parent_id": [None, "OU-ROOT", "OU-A", "OU-ROOT"],
                }
            ),
        )
        ids = ["P-A"] + [f"A1-{i:02d}" for i in range(12)] + [f"B-{i:02d}" for i in range(12)]
        units = ["OU-A"] + ["OU-A1"] * 12 + ["OU-B"] * 12
        engine.bulk_insert(
            "people",
            pa.table(
                {
                    "person_id": ids,
                    "hr_id": [f"E-{p}" for p in ids],
                    "email": [f"{p.lower()}@example.com" for p in ids],
                    "given_name": [f"Given{p}" for p in ids],
                    "family_name": [f"Family{p}" for p in ids],
                    "org_unit_id": units,
                }
            ),
        )
        engine.bulk_insert(
            "programmes",
            pa.table({"programme_id": ["PRG-1", "PRG-2"], "name": ["Lead", "Sell"]}),
        )
        engine.bulk_insert(
            "courses",
            pa.table(
                {
                    "course_id": ["C-1", "C-2"],
                    "programme_id": ["PRG-1", "PRG-2"],
                    "name": ["Leading", "Selling"],
                    "delivery_channel": ["e_learning", "coaching"],
                }
            ),
        )
        enrolled = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
        rows = [(p, "C-1" if i % 2 else "C-2") for i, p in enumerate(ids)]
        engine.bulk_insert(
            "enrolments",
            pa.table(
                {
                    "enrolment_id": [f"ENR-{i}" for i in range(len(rows))],
                    "person_id": [p for p, _ in rows],
                    "course_id": [c for _, c in rows],
                    "status": ["completed" if i % 3 else "enrolled" for i in range(len(rows))],
                    "enrolled_at": pa.array([enrolled] * len(rows), pa.timestamp("us", tz="UTC")),
                }
            ),
        )


@pytest.fixture(scope="module")
def web_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a DuckDB file holding the organisation and one user per role."""
    folder = tmp_path_factory.mktemp("web")
    settings = Settings(
        database_url=f"duckdb:///{folder / 'web.duckdb'}",
        secret_key=SECRET,
        min_group_size=5,
        login_max_failures=50,
    )
    _organisation(settings.database_url)
    with open_engine(settings.database_url) as engine:
        directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
        for name, (role, scope) in USERS.items():
            directory.add(name, PASSWORD, role, scope, actor="cli:test")
    return settings


@pytest.fixture(scope="module")
def web_app_client(web_settings: Settings) -> Iterator[TestClient]:
    """One running app (anonymous client) for the module."""
    with TestClient(create_app(web_settings), base_url="https://testserver") as client:
        yield client


@pytest.fixture(scope="module")
def sign_in(web_settings: Settings, web_app_client: TestClient) -> Callable[[str], TestClient]:
    """Sign `username` in on a client of its own (sharing the running app); return it."""
    clients: dict[str, TestClient] = {}

    def signed(username: str) -> TestClient:
        if username not in clients:
            client = TestClient(web_app_client.app, base_url="https://testserver")
            assert login_in(client, username, PASSWORD) == 303
            clients[username] = client
        return clients[username]

    return signed


def login_in(client: TestClient, username: str, password: str) -> int:
    """Post the sign-in form the way a browser does; return the response status."""
    page = client.get("/login")
    token = page.cookies.get("ll_login_csrf") or client.cookies.get("ll_login_csrf")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token or ""},
        follow_redirects=False,
    )
    return response.status_code


@pytest.fixture
def login() -> Callable[[TestClient, str, str], int]:
    """The sign-in helper, as a fixture (test modules cannot import each other)."""
    return login_in
