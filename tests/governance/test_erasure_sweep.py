"""The erasure sweep: after erasing a person, no table, column or stored payload names them.

A small demo organisation plus, through the real services, everything that can hold a person:
statements they made (with an attachment), statements of others where they are instructor,
team member or group member, a statement about them, an agent profile and activity state,
a quarantined roster row with their e-mail, a web user, a blocked identifier. One person is
erased; then every column of every table in the information schema is read as text (document
and attachment payloads decoded too) and searched for each of their identifiers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest

from learnledger.demo import build_demo
from learnledger.demo.export import export_demo
from learnledger.errors import NotFoundError
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.erasure import erase_person, is_erased
from learnledger.governance.keys import KeyRing
from learnledger.governance.person_data import files_mentioning, find_subject, search_needles
from learnledger.governance.subject_access import export_person
from learnledger.ingest import MAPPINGS_DIR
from learnledger.ingest.importer import Importer
from learnledger.lrs import StatementStore
from learnledger.lrs.attachments import Attachment, sha2_of
from learnledger.lrs.document_params import DocumentKind, DocumentScope
from learnledger.lrs.document_rules import Preconditions
from learnledger.lrs.documents import DocumentStore
from learnledger.storage import Engine, Migrator

KEYS = KeyRing(b"sweep-test-secret-0123456789")
AUTHORITY = {"objectType": "Agent", "account": {"homePage": "https://lrs.example", "name": "k"}}
COURSE = "https://learn.example/courses/sweep-101"
ROSTER_HEADER = (
    "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
    "hire_date,termination_date,employment_type\n"
)


@dataclass(frozen=True)
class Person:
    """A demo person and their identifiers."""

    person_id: str
    hr_id: str
    email: str
    name: str
    account: str

    @property
    def agent(self) -> dict[str, Any]:
        return {"objectType": "Agent", "name": self.name, "mbox": f"mailto:{self.email}"}

    @property
    def account_agent(self) -> dict[str, Any]:
        home, _, name = self.account.removeprefix("account:").rpartition("|")
        return {
            "objectType": "Agent",
            "name": self.name,
            "account": {"homePage": home, "name": name},
        }

    def needles(self) -> list[str]:
        sha1 = hashlib.sha1(f"mailto:{self.email}".encode()).hexdigest()
        account_name = self.account.rpartition("|")[2]
        return [self.person_id, self.hr_id, self.email, self.name, sha1, account_name]


def _people(engine: Engine) -> list[Person]:
    """Demo learners with events, unique names and e-mails, busiest first."""
    rows = engine.fetch_all(
        "SELECT p.person_id, p.hr_id, p.email, p.given_name || ' ' || p.family_name, "
        "(SELECT MIN(i.ifi) FROM identities AS i WHERE i.person_id = p.person_id "
        " AND i.kind = 'account'), "
        "(SELECT COUNT(*) FROM learning_events AS e WHERE e.person_id = p.person_id) AS n "
        "FROM people AS p ORDER BY n DESC, p.person_id"
    )
    names = [r[3] for r in rows]
    return [
        Person(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]))
        for r in rows
        if names.count(r[3]) == 1 and r[4] is not None and r[5] > 0
    ]


def _statement(actor: dict[str, Any], **parts: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": COURSE},
        "timestamp": "2025-05-02T10:00:00Z",
        **parts,
    }


def _populate(engine: Engine, tmp_path: Path) -> tuple[Person, Person, Person, list[str]]:
    """The demo plus every kind of record that can name the target; returns the target, a
    colleague, a third person and the ids of the statements of others that mention the target."""
    Migrator(engine).migrate()
    build_demo(engine, people=30, months=6, seed=3, end_month=date(2025, 6, 1))
    target, colleague, third = _people(engine)[:3]
    store = StatementStore(engine)
    certificate = f"Certificate of completion for {target.name}".encode()
    sha = sha2_of(certificate)
    store.store(
        [
            _statement(
                target.agent,
                result={"response": "my own notes", "completion": True},
                attachments=[
                    {
                        "usageType": "https://learn.example/certificate",
                        "display": {"en-US": "certificate"},
                        "contentType": "text/plain",
                        "length": len(certificate),
                        "sha2": sha,
                    }
                ],
            )
        ],
        authority=AUTHORITY,
        attachments={sha: Attachment(sha, "text/plain", certificate)},
    )
    mentioning = store.store(
        [
            _statement(
                colleague.agent,
                context={
                    "instructor": target.account_agent,
                    "team": {
                        "objectType": "Group",
                        "name": "Study group",
                        "member": [target.agent, third.agent],
                    },
                },
            ),
            _statement({"objectType": "Group", "member": [target.agent, colleague.agent]}),
            _statement(
                colleague.agent,
                verb={"id": "http://id.tincanapi.com/verb/mentored"},
                object=target.agent,
            ),
            _statement(
                third.agent, context={"team": {"objectType": "Group", "member": [target.agent]}}
            ),
            _statement(
                third.agent,
                result={"response": f"Paired with {target.email.upper()} today"},
                context={"extensions": {"https://learn.example/x/buddy": target.email}},
            ),
        ],
        authority=AUTHORITY,
    )
    documents = DocumentStore(engine)
    documents.put(
        DocumentScope(DocumentKind.AGENT_PROFILE, agent_ifi=f"mbox:mailto:{target.email}"),
        "profile",
        orjson.dumps({"nickname": target.name, "email": target.email}),
        "application/json",
        Preconditions(if_none_match=frozenset({"*"})),
    )
    documents.put(
        DocumentScope(DocumentKind.STATE, activity_id=COURSE, agent_ifi=target.account),
        "bookmark",
        b"page-7",
        "text/plain",
        Preconditions(),
    )
    roster = tmp_path / "roster.csv"
    given, family = target.name.split(" ", 1)
    roster.write_text(
        ROSTER_HEADER
        + f"{target.hr_id},{given},{family},{target.email},,Sales,Rep,Dublin,31/02/2020,,FT\n"
        + f"{third.hr_id},X,Y,{third.email},,Sales,Rep,Dublin,31/02/2020,,FT\n",
        encoding="utf-8",
    )
    Importer(engine).run(
        roster, MAPPINGS_DIR / "hris_roster.yml", source_id="hris", actor="cli:test"
    )
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    engine.execute(
        "INSERT INTO app_users (user_id, username, password_hash, role, person_id, created_at) "
        "VALUES ('U-77', ?, 'x', 'learner', ?, ?)",
        [target.email, target.person_id, moment],
    )
    engine.execute(
        "INSERT INTO app_sessions (token_hash, user_id, created_at, expires_at, last_seen_at) "
        "VALUES ('t1', 'U-77', ?, ?, ?)",
        [moment, moment, moment],
    )
    engine.execute(
        "INSERT INTO identity_blocks (ifi, person_id, reason, actor, blocked_at) "
        "VALUES (?, ?, 'wrong link', 'cli:test', ?)",
        [target.account, third.person_id, moment],
    )
    return target, colleague, third, mentioning


def _occurrences(engine: Engine, needles: list[str]) -> list[str]:
    """``table.column: needle`` for every cell (as text; base64 payloads decoded) holding one
    of `needles` as a whole token, ignoring case."""
    patterns = {
        n: re.compile(r"(?<![0-9a-z])" + re.escape(n.lower()) + r"(?![0-9a-z])") for n in needles
    }
    columns: dict[str, list[str]] = {}
    for table, column in engine.fetch_all(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position"
    ):
        columns.setdefault(str(table), []).append(str(column))
    assert {"people", "xapi_statements", "import_rejections", "audit_events"} <= set(columns)
    found: list[str] = []
    for table, names in columns.items():
        select = ", ".join(f'CAST("{c}" AS TEXT)' for c in names)
        rows = engine.fetch_all(f'SELECT {select} FROM "{table}"')
        for i, column in enumerate(names):
            values = [str(row[i]) for row in rows if row[i] is not None]
            if column == "content":
                values += [_decoded(v) for v in values]
            text = "\n".join(values).lower()
            found += [f"{table}.{column}: {n}" for n, p in patterns.items() if p.search(text)]
    return found


def _decoded(value: str) -> str:
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", "replace").lower()
    except (binascii.Error, ValueError):
        return ""


def _aggregates(engine: Engine) -> dict[str, Any]:
    """Counts and sums that programme reporting relies on (sums rounded: the order of
    floating-point additions may change)."""
    queries = {
        "events": engine.fetch_all(
            "SELECT activity_id, verb, COUNT(*), COUNT(DISTINCT person_id), "
            "SUM(score_scaled) FROM learning_events GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        "enrolments": engine.fetch_all(
            "SELECT course_id, status, COUNT(*), COUNT(DISTINCT person_id) FROM enrolments "
            "GROUP BY 1, 2 ORDER BY 1, 2"
        ),
        "results": engine.fetch_all(
            "SELECT assessment_id, COUNT(*), SUM(score_raw), "
            "COUNT(DISTINCT enrolment_id) FROM assessment_results GROUP BY 1 ORDER BY 1"
        ),
        "responses": engine.fetch_all(
            "SELECT COUNT(*), SUM(CASE WHEN correct THEN 1 ELSE 0 END) FROM item_responses "
            "WHERE result_id IN (SELECT result_id FROM assessment_results)"
        ),
        "ratings": engine.fetch_all(
            "SELECT skill_id, COUNT(*), SUM(level) FROM proficiency_ratings GROUP BY 1 ORDER BY 1"
        ),
    }
    return {
        name: [tuple(_rounded(v) for v in row) for row in rows] for name, rows in queries.items()
    }


def _rounded(value: Any) -> Any:
    return round(float(value), 6) if isinstance(value, float | Decimal) else value


def _rows_of_others(engine: Engine, target: Person, mentioning: list[str]) -> dict[str, Any]:
    """Rows that belong to people other than the target, to compare before and after (but
    the events of statements that mention the target, which are scrubbed)."""
    return {
        table: sorted(
            (
                row
                for row in engine.fetch_all(
                    f"SELECT {key}, * FROM {table} WHERE person_id <> ? "
                    "AND person_id NOT LIKE 'ERASED-%' ORDER BY 1",
                    [target.person_id],
                )
                if row[0] not in mentioning
            ),
            key=str,
        )
        for table, key in (
            ("learning_events", "CAST(event_id AS TEXT)"),
            ("enrolments", "enrolment_id"),
            ("consent_records", "consent_id"),
            ("identities", "ifi"),
            ("performance_observations", "metric_id"),
            ("proficiency_ratings", "rating_id"),
        )
    }


@pytest.mark.parametrize("keep_aggregates", [True, False], ids=["anonymise", "delete"])
def test_erasure_leaves_no_trace_of_the_person_in_any_table(
    engine: Engine, tmp_path: Path, keep_aggregates: bool
) -> None:
    target, colleague, third, mentioning = _populate(engine, tmp_path)
    needles = target.needles()
    assert len(_occurrences(engine, needles)) > 20  # the sweep finds them before erasure
    export_person(engine, KEYS, target.person_id, actor=cli_actor("dpo"))
    export_demo(engine, tmp_path / "before")
    file_needles = search_needles(find_subject(engine, target.person_id))
    aggregates = _aggregates(engine)
    others = _rows_of_others(engine, target, mentioning)
    people_before = engine.fetch_one("SELECT COUNT(*) FROM people")
    rejections_before = engine.fetch_one("SELECT COUNT(*) FROM import_rejections")

    report = erase_person(
        engine,
        KEYS,
        target.person_id,
        reason="request DSR-1",
        actor=cli_actor("dpo"),
        keep_aggregates=keep_aggregates,
    )

    assert _occurrences(engine, needles) == []
    # Files are not tracked: an export written before still names them; one written now does not.
    assert files_mentioning([tmp_path / "before"], file_needles)
    export_demo(engine, tmp_path / "after")
    assert files_mentioning([tmp_path / "after"], file_needles) == []
    assert _rows_of_others(engine, target, mentioning) == others
    if keep_aggregates:
        assert _aggregates(engine) == aggregates
        assert report.placeholder_person_id is not None
        assert engine.fetch_one("SELECT COUNT(*) FROM people") == people_before
    else:
        assert report.anonymised == {}
        assert engine.fetch_one("SELECT COUNT(*) FROM people")[0] == people_before[0] - 1
    assert report.deleted["import_rejections"] == 1
    assert engine.fetch_one("SELECT COUNT(*) FROM import_rejections")[0] == rejections_before[0] - 1
    assert report.deleted["lrs_documents"] == 2
    assert report.deleted["xapi_attachments"] == 1
    assert report.rewritten == {"xapi_statements": 4}
    # Other people's statements keep everyone else.
    team = engine.fetch_all(
        "SELECT statement FROM xapi_statements WHERE actor_ifi = ? AND verb_id LIKE '%completed'",
        [f"mbox:mailto:{colleague.email}"],
    )
    contexts = [orjson.loads(s)["context"] for (s,) in team if "context" in orjson.loads(s)]
    assert [c["team"]["member"] for c in contexts if "team" in c] == [[third.agent]]
    assert all("instructor" not in c for c in contexts)
    responses = engine.fetch_all(
        "SELECT statement FROM xapi_statements WHERE actor_ifi = ? AND verb_id LIKE '%completed'",
        [f"mbox:mailto:{third.email}"],
    )
    texts = [orjson.loads(s).get("result", {}).get("response") for (s,) in responses]
    assert "Paired with [erased] today" in texts
    group_events = engine.fetch_all(
        "SELECT actor_ifi FROM learning_events WHERE actor_ifi LIKE 'group:%'"
    )
    assert (f"group:mbox:mailto:{colleague.email}",) in group_events
    # The tombstone and the audit trail.
    assert is_erased(engine, KEYS, target.email.upper())
    assert is_erased(engine, KEYS, target.hr_id)
    assert is_erased(engine, KEYS, target.account)
    assert not is_erased(engine, KEYS, colleague.email)
    actions = [r[0] for r in engine.fetch_all("SELECT action FROM audit_events ORDER BY seq")]
    assert actions[-2:] == ["subject_export", "subject_erased"]
    assert AuditLog(engine, KEYS).verify().intact
    with pytest.raises(NotFoundError, match="already erased"):
        erase_person(engine, KEYS, target.person_id, reason="again", actor=cli_actor("dpo"))
