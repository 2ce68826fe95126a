"""`learnledger credentials add | list | revoke` on a DuckDB file."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.lrs.credentials import CredentialStore
from learnledger.storage import Migrator, open_engine

runner = CliRunner()


def test_add_list_and_revoke(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(url) as engine:
        Migrator(engine).migrate()
    base = ["--database-url", url, "credentials"]
    added = runner.invoke(app, [*base, "add", "Moodle", "--scopes", "all"])
    assert added.exit_code == 0, added.output
    lines = dict(line.split(":", 1) for line in added.output.splitlines() if ":" in line)
    key, secret = lines["key"].strip(), lines["secret"].strip()
    with open_engine(url) as engine:
        credential = CredentialStore(engine).authenticate(key, secret)
    assert credential.scopes == {"all"}
    listed = runner.invoke(app, [*base, "list"])
    assert key in listed.output
    assert secret not in listed.output
    assert runner.invoke(app, [*base, "revoke", key]).exit_code == 0
    again = runner.invoke(app, [*base, "revoke", key])
    assert again.exit_code == 1
    bad = runner.invoke(app, [*base, "add", "X", "--scopes", "everything"])
    assert bad.exit_code == 1
    assert "unknown scope" in bad.output
    with open_engine(url) as engine:
        audited = engine.fetch_all("SELECT action, details FROM audit_events ORDER BY seq")
    assert [a for a, _ in audited] == ["lrs_credential_added", "lrs_credential_revoked"]
    assert key in audited[0][1]
    assert secret not in str(audited)
