"""A small organisation in a DuckDB file, one user per role, signed-in test clients, and the
app served to headless Chromium (Playwright) for browser tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.demo.ground_truth import ground_truth_path_for
from learnledger.demo.lifecycle import DemoRequest, rebuild_demo
from learnledger.demo.users import demo_users
from learnledger.governance.actors import Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, UserDirectory
from learnledger.storage import Migrator, open_engine
from learnledger.web.app import create_app

PASSWORD = "a long test password"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
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
        engine.bulk_insert(
            "assessments",
            pa.table(
                {
                    "assessment_id": ["ASM-1", "ASM-2"],
                    "course_id": ["C-1", "C-2"],
                    "programme_id": ["PRG-1", "PRG-2"],
                    "name": ["Leading check", "Selling check"],
                    "kind": ["post", "post"],
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


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], None]:
    """Writes a copy of a 300-person, 12-month demo company (seed 11) to a path, with its
    ground truth beside it; the demo is built once per test session."""
    built = tmp_path_factory.mktemp("small-demo") / "demo.duckdb"
    rebuild_demo(f"duckdb:///{built}", DemoRequest(people=300, months=12, seed=11))

    def copy_to(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, path)
        shutil.copyfile(ground_truth_path_for(built), ground_truth_path_for(path))

    return copy_to


@pytest.fixture(scope="session")
def small_demo_with_users(
    tmp_path_factory: pytest.TempPathFactory, small_demo: Callable[[Path], None]
) -> Callable[[], Settings]:
    """Makes a fresh copy of the small demo with the demo's users (one per role, signing in
    with the test password) and returns its settings."""

    def copy() -> Settings:
        folder = tmp_path_factory.mktemp("small-demo-users")
        settings = Settings(
            database_url=f"duckdb:///{folder / 'demo.duckdb'}",
            secret_key=SECRET,
            min_group_size=5,
            login_max_failures=50,
        )
        small_demo(folder / "demo.duckdb")
        with open_engine(settings.database_url) as engine:
            directory = UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))
            for user in demo_users(engine):
                directory.add(user.username, PASSWORD, user.role, user.scope, actor="cli:test")
        return settings

    return copy


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
def as_of(web_settings: Settings) -> str:
    """The last rating day in the module's database (on the small demo, the last day of its
    window; the demo's headcount plan starts the quarter after): a fixed forecast date."""
    with open_engine(web_settings.database_url) as engine:
        row = engine.fetch_one("SELECT max(rated_on) FROM proficiency_ratings")
    assert row is not None
    assert row[0] is not None, "no proficiency ratings in the database"
    return str(row[0])


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


def sign_in_browser(page: Page, base_url: str, username: str, path: str = "/") -> None:
    """Open `path` signed out, sign in as `username` on the page it leads to, and wait until
    the browser is back on `path`."""
    page.goto(f"{base_url}{path}")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}{path}")


@pytest.fixture
def browser_sign_in() -> Callable[[Page, str, str, str], None]:
    """`sign_in_browser`, as a fixture: (page, base_url, username, path="/")."""
    return sign_in_browser  # type: ignore[return-value]


def _chromium() -> str:
    path = os.environ.get("LEARNLEDGER_CHROMIUM") or shutil.which("chromium")
    if path is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("Chromium is missing: scripts/ensure-chromium.sh installs it")
        pytest.skip("Chromium is not installed (Debian package chromium)")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def base_url(web_settings: Settings) -> Iterator[str]:
    """The app served by uvicorn on a free local port, as the demo serves it (plain HTTP)."""
    port = _free_port()
    settings = web_settings.model_copy(update={"cookie_secure": False})
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped while starting"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium."""
    executable = _chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page; fails the test on any console error or failed
    sub-resource (the page's own status, e.g. 403, is for the test to check)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer: Response) -> None:
        if answer.status >= 400 and answer.request.resource_type != "document":
            errors.append(f"{answer.status} for {answer.url}")

    opened.on("console", console)
    opened.on("response", response)
    opened.on("pageerror", lambda e: errors.append(str(e)))
    yield opened
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    opened.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], errors


@pytest.fixture
def login() -> Callable[[TestClient, str, str], int]:
    """The sign-in helper, as a fixture (test modules cannot import each other)."""
    return login_in
