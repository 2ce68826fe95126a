"""Identity resolution on both engines: each rule kind, ambiguity, blocks, dry run, retroactive
linking after an HR import."""

from __future__ import annotations

from pathlib import Path

from learnledger.governance.audit import AuditLog
from learnledger.identity import (
    IdentityRules,
    merge_persons,
    resolve_after_people_import,
    resolve_identities,
)
from learnledger.ingest import HRIS_ROSTER_MAPPING, DataSource, Importer, SourceRegistry
from learnledger.storage import Engine

from .conftest import LMS, add_people, event_people, links, sha1_mbox, store_statements

ANN = {"mbox": "mailto:Ann.Lee@Example.COM"}


def test_mbox_matches_the_email_case_insensitively(store: Engine, rules: IdentityRules) -> None:
    add_people(store, [("P1", "E-1", " ann.lee@example.com "), ("P2", "E-2", "bob@example.com")])
    store_statements(store, [ANN])
    summary = resolve_identities(store, rules)
    assert summary.linked_by_rule == {"email": 1}
    assert links(store) == {"mbox:mailto:Ann.Lee@example.com": ("P1", "rule", "email")}
    assert event_people(store) == {"mbox:mailto:Ann.Lee@example.com": "P1"}
    assert summary.events_linked == 1


def test_mbox_sha1sum_matches_the_hash_of_the_mailto_email(
    store: Engine, rules: IdentityRules
) -> None:
    add_people(store, [("P1", "E-1", "Ann.Lee@example.com"), ("P2", "E-2", "bob@example.com")])
    digest = sha1_mbox("ann.lee@example.com")
    store_statements(store, [{"mbox_sha1sum": digest.upper()}])
    summary = resolve_identities(store, rules)
    assert summary.linked_by_rule == {"email_sha1": 1}
    assert links(store) == {f"mbox_sha1sum:{digest}": ("P1", "rule", "email_sha1")}


def test_account_of_the_lms_matches_the_hr_id_after_normalisation(
    store: Engine, rules: IdentityRules
) -> None:
    add_people(store, [("P1", "E-10442", None), ("P2", "E-2", None)])
    lms_user = {"account": {"homePage": LMS + "/", "name": " e10442"}}
    other_system = {"account": {"homePage": "https://vendor.example.com", "name": "E-10442"}}
    store_statements(store, [lms_user, other_system])
    summary = resolve_identities(store, rules)
    assert summary.linked_by_rule == {"lms_account": 1}
    assert links(store) == {f"account:{LMS}/| e10442": ("P1", "rule", "lms_account")}
    assert summary.unresolved == 1  # the vendor account: no rule for its home page


def test_openid_matches_the_configured_field(store: Engine, rules: IdentityRules) -> None:
    add_people(store, [("P1", "E-1", None)])
    store.execute(
        "UPDATE people SET location = ? WHERE person_id = 'P1'", ["https://id.example/ann"]
    )
    store_statements(store, [{"openid": "https://id.example/ann"}])
    assert resolve_identities(store, rules).linked_by_rule == {"openid": 1}
    assert links(store)["openid:https://id.example/ann"][0] == "P1"


def test_two_people_sharing_an_email_make_the_actor_ambiguous_not_linked(
    store: Engine, rules: IdentityRules
) -> None:
    add_people(store, [("P1", "E-1", "team@example.com"), ("P2", "E-2", "TEAM@example.com")])
    store_statements(store, [{"mbox": "mailto:team@example.com"}])
    summary = resolve_identities(store, rules)
    assert summary.linked == 0
    assert summary.ambiguous_by_rule == {"email": 1}
    assert links(store) == {}
    assert event_people(store) == {"mbox:mailto:team@example.com": None}


def test_a_merged_record_counts_as_its_survivor(
    store: Engine, rules: IdentityRules, audit: AuditLog
) -> None:
    add_people(store, [("P1", "E-1", "ann@example.com"), ("P2", "E-2", "ann@example.com")])
    merge_persons(store, "P1", "P2", reason="duplicate HR record", actor="test", audit=audit)
    store_statements(store, [{"mbox": "mailto:ann@example.com"}])
    assert resolve_identities(store, rules).linked_by_rule == {"email": 1}
    assert links(store)["mbox:mailto:ann@example.com"][0] == "P1"


def test_existing_links_are_kept_and_anonymous_groups_ignored(
    store: Engine, rules: IdentityRules
) -> None:
    add_people(store, [("P1", "E-1", "ann@example.com"), ("P9", "E-9", None)])
    store.execute(
        "INSERT INTO identities (ifi, person_id, kind) VALUES ('mbox:mailto:ann@example.com', "
        "'P9', 'mbox')"
    )
    group = {"objectType": "Group", "member": [{"mbox": "mailto:x@example.com"}]}
    store_statements(store, [{"mbox": "mailto:ann@example.com"}, group])
    summary = resolve_identities(store, rules)
    assert summary.identifiers_unlinked_before == 0
    assert links(store)["mbox:mailto:ann@example.com"] == ("P9", None, None)


def test_dry_run_changes_nothing_and_reports_the_same(store: Engine, rules: IdentityRules) -> None:
    add_people(store, [("P1", "E-1", "ann.lee@example.com")])
    store_statements(store, [ANN, {"mbox": "mailto:nobody@example.com"}])
    before = store.fetch_all("SELECT * FROM learning_events ORDER BY event_id")
    dry = resolve_identities(store, rules, dry_run=True)
    assert links(store) == {}
    assert store.fetch_all("SELECT * FROM learning_events ORDER BY event_id") == before
    real = resolve_identities(store, rules)
    assert dry.as_json() | {"dry_run": False} == real.as_json()
    assert (real.linked, real.unresolved, real.events_linked) == (1, 1, 1)


def test_statements_of_unknown_actors_link_retroactively_after_an_hr_import(
    store: Engine, tmp_path: Path
) -> None:
    store_statements(store, [ANN, ANN, {"mbox": "mailto:stranger@example.com"}])
    assert set(event_people(store).values()) == {None}
    assert resolve_after_people_import(store).linked == 0  # nobody to link to yet
    SourceRegistry(store).add(
        DataSource(
            source_id="hris",
            name="HR roster",
            kind="hris",
            owner="People Operations",
            purpose="Link training to performance",
            legal_basis="legitimate_interest",
        )
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
        "hire_date,termination_date,employment_type\n"
        "E-1,Ann,Lee,ANN.LEE@example.com,,Sales,Rep,Dublin,2021-03-01,,FT\n",
        encoding="utf-8",
    )
    assert Importer(store).run(roster, HRIS_ROSTER_MAPPING, source_id="hris").status == "succeeded"
    summary = resolve_after_people_import(store)
    assert (summary.linked, summary.events_linked, summary.unresolved) == (1, 2, 1)
    linked = store.fetch_all("SELECT COUNT(*) FROM learning_events WHERE person_id = 'E-1'")
    assert linked == [(2,)]
    # Statements stored after the link are linked on arrival by the LRS.
    store_statements(store, [ANN])
    assert store.fetch_all("SELECT COUNT(*) FROM learning_events WHERE person_id = 'E-1'") == [(3,)]
