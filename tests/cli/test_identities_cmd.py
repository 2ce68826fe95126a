"""`learnledger identities ...` as a user runs it, on a DuckDB file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from learnledger.cli.app import app
from learnledger.ingest import DataSource, SourceRegistry
from learnledger.lrs import StatementStore
from learnledger.storage import Migrator
from learnledger.storage.factory import open_engine

runner = CliRunner()
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example.com", "name": "k"}}
ROSTER = (
    "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
    "hire_date,termination_date,employment_type\n"
    "E-1,Ann,Lee,ann@example.com,,Sales,Rep,Dublin,2021-03-01,,FT\n"
    "E-2,Bo,Ng,team@example.com,,Sales,Rep,Dublin,2021-03-01,,FT\n"
    "E-3,Cy,Ng,TEAM@example.com,,Sales,Rep,Dublin,2021-03-01,,FT\n"
)


def _statement(actor: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"id": "https://learn.example.com/courses/cs-101"},
    }


@pytest.fixture
def url(tmp_path: Path) -> str:
    """A DuckDB file with statements of four actors (nobody imported yet) and a source."""
    database_url = f"duckdb:///{tmp_path / 'll.duckdb'}"
    with open_engine(database_url) as engine:
        Migrator(engine).migrate()
        SourceRegistry(engine).add(
            DataSource(
                source_id="hris",
                name="HR roster",
                kind="hris",
                owner="People Operations",
                purpose="Link training to performance",
                legal_basis="legitimate_interest",
            )
        )
        sha1 = hashlib.sha1(b"mailto:ann@example.com").hexdigest()
        actors = [
            {"mbox": "mailto:Ann@Example.com"},
            {"mbox_sha1sum": sha1},
            {"mbox": "mailto:team@example.com"},
            {"account": {"homePage": "https://lms.example.com", "name": "e3"}},
        ]
        StatementStore(engine).store([_statement(a) for a in actors], authority=AUTHORITY)
    return database_url


def invoke(url: str, *args: str) -> Any:
    return runner.invoke(app, ["--database-url", url, *args], terminal_width=200)


def _report(url: str, *args: str) -> dict[str, Any]:
    result = invoke(url, "identities", "report", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def _import_roster(url: str, tmp_path: Path) -> Any:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    return invoke(
        url, "import", "people", str(roster), "--mapping", "hris_roster", "--source", "hris"
    )


def test_people_import_links_earlier_statements_and_report_shows_the_rest(
    url: str, tmp_path: Path
) -> None:
    assert _report(url)["unresolved"] == 4
    result = _import_roster(url, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Identity resolution: 2 identifiers linked" in result.output
    report = _report(url)
    assert report["linked_by_method"] == {"rule": 2}
    assert (report["ambiguous"], report["unresolved"]) == (1, 1)
    statuses = {item["identifier"]: item["status"] for item in report["identifiers"]}
    assert statuses == {
        "mbox:mailto:team@example.com": "ambiguous",
        "account:https://lms.example.com|e3": "unresolved",
    }
    restricted = _report(url, "--role", "analyst")
    assert restricted["identifiers"] is None
    csv_out = invoke(url, "identities", "report", "--format", "csv", "--role", "analyst")
    rows = list(csv.reader(io.StringIO(csv_out.output)))
    assert rows[0] == ["status", "identifiers"]
    assert ["ambiguous", "1"] in rows
    assert "example.com" not in csv_out.output
    table = invoke(url, "identities", "report")
    assert "Unlinked identifiers" in table.output
    assert "E-2, E-3" in table.output


def test_resolve_with_a_rules_file_dry_run_then_for_real(url: str, tmp_path: Path) -> None:
    _import_roster(url, tmp_path)
    rules = tmp_path / "rules.yml"
    rules.write_text(
        "rules:\n"
        "  - {name: email, match: mbox, person_field: email, normalise: [trim, lower]}\n"
        "  - name: lms\n"
        "    match: account\n"
        "    home_page: https://lms.example.com\n"
        "    person_field: hr_id\n"
        "    normalise: [lower, {remove: '-'}]\n",
        encoding="utf-8",
    )
    dry = invoke(url, "identities", "resolve", "--rules", str(rules), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "Dry run: nothing was written." in dry.output
    assert "linked by rule lms" in dry.output
    assert _report(url)["unresolved"] == 1
    real = invoke(url, "identities", "resolve", "--rules", str(rules), "--actor", "user:7")
    assert real.exit_code == 0, real.output
    assert "Rules in force: version 1" in real.output
    assert _report(url)["unresolved"] == 0
    with open_engine(url) as engine:
        assert engine.fetch_all("SELECT version, actor FROM identity_rules") == [(1, "user:7")]
        actions = engine.fetch_all("SELECT action FROM audit_events ORDER BY seq")
    assert actions == [("import",), ("identity_rules_recorded",)]  # the roster import first


def test_merge_split_and_link_from_the_command_line(url: str, tmp_path: Path) -> None:
    _import_roster(url, tmp_path)
    merged = invoke(url, "identities", "merge", "E-2", "E-3", "--reason", "duplicate record")
    assert merged.exit_code == 0, merged.output
    assert "Merged E-3 into E-2" in merged.output
    # E-3 now counts as E-2, so the shared address is no longer ambiguous.
    resolved = invoke(url, "identities", "resolve")
    assert "linked by rule email" in resolved.output
    team = "mbox:mailto:team@example.com"
    split = invoke(url, "identities", "split", "E-2", team, "--reason", "shared mailbox")
    assert split.exit_code == 0, split.output
    assert "will not be linked to E-2 again" in split.output
    linked = invoke(url, "identities", "link", team, "E-1", "--reason", "HR confirmed")
    assert linked.exit_code == 0, linked.output
    assert "1 learning events linked" in linked.output
    with open_engine(url) as engine:
        actions = [r[0] for r in engine.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
    assert actions == ["import", "person_merge", "identity_split", "identity_link"]


def test_bad_input_exits_1_with_a_clear_error(url: str, tmp_path: Path) -> None:
    unknown = invoke(url, "identities", "merge", "P1", "P2", "--reason", "x")
    assert unknown.exit_code == 1
    assert "error:" in unknown.output
    assert "person P1 does not exist" in unknown.output
    bad_format = invoke(url, "identities", "report", "--format", "xml")
    assert bad_format.exit_code == 1
    assert "--format must be one of table, json, csv" in bad_format.output
    rules = tmp_path / "bad.yml"
    rules.write_text("rules:\n  - {name: a, match: mbox, person_field: mail}\n", encoding="utf-8")
    bad_rules = invoke(url, "identities", "resolve", "--rules", str(rules))
    assert bad_rules.exit_code == 1
    assert "bad.yml:2" in bad_rules.output
    assert "'mail' is not a text column of people" in bad_rules.output
