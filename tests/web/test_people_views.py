"""The manager view (/team), the learner view (/me) and the data and governance page
(/governance) over HTTP: scopes, names, consent, filters in the URL, twins and auditing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import pytest
from starlette.testclient import TestClient

from learnledger.config import Settings
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.consent import record_consent
from learnledger.governance.keys import load_key_ring
from learnledger.storage import open_engine

HTML = {"accept": "text/html"}


@pytest.fixture(scope="module", autouse=True)
def team_data(web_settings: Settings) -> None:
    """A1-00..A1-03 hold a role with one required skill; A1-01 is overdue, A1-02 failed a
    post-test; A1-05 withdrew consent to individual-level reporting."""
    with open_engine(web_settings.database_url) as engine:
        engine.execute("INSERT INTO roles (role_id, name) VALUES ('R', 'Seller')")
        engine.execute("INSERT INTO skills (skill_id, name) VALUES ('S1', 'Negotiation')")
        engine.execute(
            "INSERT INTO role_skill_requirements (role_id, skill_id, required_level) "
            "VALUES ('R', 'S1', 3)"
        )
        engine.execute(
            "UPDATE people SET role_id = 'R' WHERE person_id IN ('A1-00','A1-01','A1-02','A1-03')"
        )
        engine.execute(
            "INSERT INTO proficiency_ratings (rating_id, person_id, skill_id, level, rated_on) "
            "VALUES ('RT1', 'A1-00', 'S1', 1, ?), ('RT2', 'A1-01', 'S1', 4, ?)",
            [dt.date(2026, 2, 1), dt.date(2026, 2, 1)],
        )
        engine.execute(
            "UPDATE enrolments SET due_date = ?, status = 'in_progress' WHERE person_id = 'A1-01'",
            [dt.date(2026, 2, 1)],
        )
        engine.execute(
            "INSERT INTO assessments (assessment_id, name, kind) VALUES ('AS', 'Post', 'post')"
        )
        engine.execute(
            "INSERT INTO assessment_results (result_id, assessment_id, person_id, taken_at, "
            "score_scaled, passed) VALUES ('RES1', 'AS', 'A1-02', ?, 0.3, FALSE), "
            "('RES2', 'AS', 'A1-00', ?, 0.9, TRUE)",
            [dt.datetime(2026, 2, 1, tzinfo=dt.UTC)] * 2,
        )
        record_consent(
            engine,
            AuditLog(engine, load_key_ring(web_settings)),
            cli_actor("test"),
            person_id="A1-05",
            purpose="individual_reporting",
            status="withdrawn",
            recorded_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        )


def _audit_entries(settings: Settings, action: str, target: str) -> list[dict[str, object]]:
    with open_engine(settings.database_url) as engine:
        entries = AuditLog(engine, load_key_ring(settings)).entries(action=action, target=target)
    return [e.details or {} for e in entries]


def test_a_manager_sees_their_subtree_by_name_without_withdrawn_people(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    before = len(_audit_entries(web_settings, "view_individual", "team"))
    data = sign_in("manager").get("/team.json").json()
    people = {p["person_id"]: p for p in data["tables"]["people"]}
    assert data["org_unit_id"] == "OU-A"
    assert set(people) == {"P-A"} | {f"A1-{i:02d}" for i in range(12)} - {"A1-05"}
    assert data["excluded_for_consent"] == 1
    assert people["A1-01"]["name"] == "GivenA1-01 FamilyA1-01"
    assert "overdue" in people["A1-01"]["reasons"]
    assert people["A1-02"]["reasons"].endswith("failing score")
    assert not any(p.startswith("B-") for p in people)
    assert "B-0" not in str(data)
    gaps = {(g["person_id"], g["skill"]): g for g in data["tables"]["skill_gaps"]}
    assert gaps[("A1-00", "Negotiation")]["gap"] == 2.0
    assert gaps[("A1-02", "Negotiation")]["current"] is None
    assert ("A1-01", "Negotiation") not in gaps
    assert [u["org_unit_id"] for u in data["tables"]["sub_units"]] == ["OU-A1"]
    logged = _audit_entries(web_settings, "view_individual", "team")
    assert len(logged) == before + 1
    assert logged[-1]["org_unit_id"] == "OU-A"
    assert "Given" not in str(logged[-1])


def test_the_unit_and_the_at_risk_filter_live_in_the_url(
    sign_in: Callable[[str], TestClient],
) -> None:
    manager = sign_in("manager")
    narrowed = manager.get("/team.json?org_unit=OU-A1").json()
    assert "P-A" not in {p["person_id"] for p in narrowed["tables"]["people"]}
    at_risk = manager.get("/team.json?at_risk=yes").json()
    assert at_risk["tables"]["people"]
    assert all(p["at_risk"] for p in at_risk["tables"]["people"])
    assert len(at_risk["tables"]["people"]) < len(
        manager.get("/team.json").json()["tables"]["people"]
    )
    refused = manager.get("/team.json?org_unit=OU-B")
    assert refused.status_code == 403
    assert "OU-B" in refused.json()["error"]
    assert manager.get("/team.json?org_unit=NOPE").status_code == 404
    admin = sign_in("admin").get("/team.json?org_unit=OU-B").json()
    assert {p["person_id"] for p in admin["tables"]["people"]} == {f"B-{i:02d}" for i in range(12)}


def test_roles_that_may_not_see_named_teams_are_refused_with_a_reason(
    sign_in: Callable[[str], TestClient],
) -> None:
    for role in ("analyst", "learner"):
        page = sign_in(role).get("/team", headers=HTML)
        assert page.status_code == 403
        assert "managers and admins" in page.text
        assert "Given" not in page.text


def test_the_team_csv_is_an_audited_export(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    before = len(_audit_entries(web_settings, "export", "team"))
    response = sign_in("manager").get("/team.csv?table=at_risk")
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0].startswith("person_id,name,")
    assert any("A1-01" in line for line in lines[1:])
    assert len(_audit_entries(web_settings, "export", "team")) == before + 1


def test_the_team_page_renders_names_rules_and_skills(sign_in: Callable[[str], TestClient]) -> None:
    page = sign_in("manager").get("/team", headers=HTML)
    assert page.status_code == 200
    assert "Team: Sales" in page.text
    assert "GivenA1-01 FamilyA1-01" in page.text
    assert "Who counts as at risk" in page.text
    assert "<svg" in page.text  # the skill gap chart
    assert "1 person is not listed" in page.text
    assert "GivenA1-05" not in page.text
    assert "GivenB-00" not in page.text


def test_a_learner_sees_only_their_own_data_and_filters_by_status(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    learner = sign_in("learner")
    data = learner.get("/me.json").json()
    assert data["person_id"] == "A1-00"
    assert data["counts"]["enrolments"] == 1
    assert data["tables"]["scores"][0]["score_pct"] == 90.0
    assert data["tables"]["skills"][0] == {
        "skill": "Negotiation",
        "required": 3.0,
        "current": 1.0,
        "scale_max": 5,
        "rated_on": "2026-02-01",
        "gap": 2.0,
    }
    assert "A1-01" not in str(data)
    assert "A1-02" not in str(data)
    status = data["tables"]["enrolments"][0]["status"]
    other = "completed" if status != "completed" else "open"
    assert learner.get(f"/me.json?status={other}").json()["tables"]["enrolments"] == []
    assert learner.get("/me.json?status=bogus").status_code == 400
    page = learner.get("/me", headers=HTML)
    assert page.status_code == 200
    assert "My learning" in page.text
    assert "No assessment results yet" not in page.text
    logged = _audit_entries(web_settings, "view_individual", "me")
    assert logged
    assert logged[-1]["person_id"] == "A1-00"


def test_an_account_without_a_person_is_told_why_it_has_no_own_page(
    sign_in: Callable[[str], TestClient],
) -> None:
    page = sign_in("admin").get("/me", headers=HTML)
    assert page.status_code == 403
    assert "not linked to a person" in page.text
    own = sign_in("manager").get("/me.json").json()  # a manager is a person too
    assert own["person_id"] == "P-A"


def test_governance_sections_per_role(sign_in: Callable[[str], TestClient]) -> None:
    admin = sign_in("admin").get("/governance.json").json()
    assert admin["sections"] == ["summary", "imports", "identity", "consent", "retention", "audit"]
    assert {"sources", "import_runs", "consent", "retention_runs", "audit_log"} <= set(
        admin["tables"]
    )
    analyst = sign_in("analyst").get("/governance.json").json()
    assert "audit" not in analyst["sections"]
    assert "audit_log" not in analyst["tables"]
    auditor = sign_in("auditor").get("/governance.json").json()
    assert auditor["sections"] == ["summary", "audit"]
    assert not {"import_runs", "consent", "identity"} & set(auditor["tables"])
    assert sign_in("auditor").get("/governance.json?section=consent").status_code == 403
    only = sign_in("admin").get("/governance.json?section=audit&audit_action=consent_recorded")
    entries = only.json()["tables"]["audit_log"]
    assert entries
    assert {e["action"] for e in entries} == {"consent_recorded"}
    assert sign_in("admin").get("/governance.json?section=nope").status_code == 400
    for role in ("executive", "owner", "manager", "learner"):
        assert sign_in(role).get("/governance").status_code == 403


def test_the_governance_page_says_what_to_import_next(sign_in: Callable[[str], TestClient]) -> None:
    page = sign_in("admin").get("/governance", headers=HTML)
    assert page.status_code == 200
    assert "No imports yet" in page.text
    assert "learnledger import people" in page.text
    assert "No retention runs yet" in page.text
    assert "The chain is intact" in page.text
    auditor = sign_in("auditor").get("/governance", headers=HTML)
    assert "Imports and data quality" not in auditor.text
    assert "Audit log" in auditor.text
    csv = sign_in("admin").get("/governance.csv?table=consent")
    assert csv.status_code == 200
    assert csv.text.startswith("purpose,")


def test_an_admin_first_chooses_a_unit_and_nobody_is_listed_before(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    before = len(_audit_entries(web_settings, "view_individual", "team"))
    page = sign_in("admin").get("/team", headers=HTML)
    assert page.status_code == 200
    assert "Choose a unit" in page.text
    assert "Given" not in page.text
    assert 'href="/team?org_unit=OU-A"' in page.text
    assert len(_audit_entries(web_settings, "view_individual", "team")) == before


def test_the_cached_identity_report_follows_new_statements_and_links(
    sign_in: Callable[[str], TestClient], web_settings: Settings
) -> None:
    admin = sign_in("admin")

    def identity() -> dict[str, int]:
        data = admin.get("/governance.json?section=identity").json()
        return {k: data["identity"][k] for k in ("observed", "linked", "unlinked")}

    before = identity()
    ifi = "mbox:mailto:newcomer@example.com"
    moment = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with open_engine(web_settings.database_url) as engine:
        seq_row = engine.fetch_one("SELECT value FROM lrs_counters WHERE name = 'statement_seq'")
        seq = int(seq_row[0]) + 1 if seq_row else 1
        if seq_row:
            engine.execute("UPDATE lrs_counters SET value = ? WHERE name = 'statement_seq'", [seq])
        else:
            engine.execute(
                "INSERT INTO lrs_counters (name, value) VALUES ('statement_seq', ?)", [seq]
            )
        engine.execute(
            "INSERT INTO xapi_statements (statement_id, seq, stored, timestamp, version, "
            "actor_ifi, verb_id, object_type, voided, statement) "
            "VALUES (?, ?, ?, ?, '1.0.3', ?, 'http://adlnet.gov/expapi/verbs/experienced', "
            "'Activity', FALSE, '{}')",
            [uuid.uuid4(), seq, moment, moment, ifi],
        )
    added = identity()
    assert added["observed"] == before["observed"] + 1
    assert added["unlinked"] == before["unlinked"] + 1
    with open_engine(web_settings.database_url) as engine:
        engine.execute(
            "INSERT INTO identities (ifi, person_id, kind, linked_at, method) "
            "VALUES (?, 'A1-03', 'mbox', ?, 'manual')",
            [ifi, moment],
        )
    linked = identity()
    assert linked["linked"] == before["linked"] + 1
    assert linked["unlinked"] == before["unlinked"]
