"""`learnledger demo` and `learnledger serve` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.config import Settings
from learnledger.storage import open_engine
from learnledger.web.app import create_app

runner = CliRunner()
SMALL = ["--people", "300", "--months", "12", "--seed", "11", "--no-serve"]


def _url(path: Path) -> str:
    return f"duckdb:///{path}"


def test_demo_builds_writes_ground_truth_and_reuses_the_same_build(tmp_path: Path) -> None:
    database = tmp_path / "demo.duckdb"
    first = runner.invoke(app, ["--database-url", _url(database), "demo", *SMALL])
    assert first.exit_code == 0, first.output
    assert "Built the demo company" in first.output
    truth_file = tmp_path / "demo.ground-truth.json"
    truth = json.loads(truth_file.read_text())
    assert truth["knobs"]["people"] == 300
    assert truth["knobs"]["seed"] == 11
    with open_engine(_url(database)) as engine:
        people = engine.fetch_one("SELECT count(*) FROM people")
        statements = engine.fetch_one("SELECT count(*) FROM xapi_statements")
    assert people is not None
    assert people[0] >= 300
    assert statements is not None
    assert statements[0] > 1000

    again = runner.invoke(app, ["--database-url", _url(database), "demo", *SMALL])
    assert again.exit_code == 0, again.output
    assert "already built" in again.output


def test_demo_prints_users_for_every_role_whose_new_password_signs_in(tmp_path: Path) -> None:
    database = tmp_path / "demo.duckdb"
    outputs = [
        runner.invoke(app, ["--database-url", _url(database), "demo", *SMALL]) for _ in range(2)
    ]
    passwords = []
    for result in outputs:
        assert result.exit_code == 0, result.output
        for role in ("admin", "analyst", "executive", "owner", "manager", "learner", "auditor"):
            assert role in result.output
        match = re.search(r"Password of every demo user \(new on each run\): (\S+)", result.output)
        assert match is not None, result.output
        passwords.append(match.group(1))
    assert passwords[0] != passwords[1]
    settings = Settings(database_url=_url(database), secret_key_file=str(tmp_path / "k"))
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        client.get("/login")
        form = {"username": "manager", "csrf_token": client.cookies.get("ll_login_csrf") or ""}
        stale = client.post("/login", data={**form, "password": passwords[0]})
        assert stale.status_code == 401
        client.get("/login")
        form["csrf_token"] = client.cookies.get("ll_login_csrf") or ""
        assert client.post("/login", data={**form, "password": passwords[1]}).status_code == 200
        team = client.get("/api/people").json()
    assert team["identified"]
    assert 0 < len(team["people"]) < 300


def test_demo_refuses_to_replace_foreign_data_without_force(tmp_path: Path) -> None:
    database = tmp_path / "mine.duckdb"
    assert runner.invoke(app, ["--database-url", _url(database), "db", "init"]).exit_code == 0
    with open_engine(_url(database)) as engine:
        engine.execute(
            "INSERT INTO programmes (programme_id, name, status) VALUES ('X', 'Mine', 'active')"
        )
    refused = runner.invoke(app, ["--database-url", _url(database), "demo", *SMALL])
    assert refused.exit_code == 1
    assert "--force" in refused.output
    with open_engine(_url(database)) as engine:
        assert engine.fetch_one("SELECT name FROM programmes") == ("Mine",)


def _get(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_prints_the_url_and_answers(tmp_path: Path) -> None:
    database = tmp_path / "served.duckdb"
    assert runner.invoke(app, ["--database-url", _url(database), "db", "init"]).exit_code == 0
    port = _free_port()
    env = {**os.environ, "LEARNLEDGER_DATABASE_URL": _url(database), "LEARNLEDGER_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "learnledger", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first_line
        deadline = time.monotonic() + 20
        while True:
            try:
                health = _get(f"http://127.0.0.1:{port}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert json.loads(health)["status"] == "ok"
        assert "Sign in" in _get(f"http://127.0.0.1:{port}/")  # redirected to sign in
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
