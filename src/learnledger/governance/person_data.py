"""Where a person's data lives: the map shared by subject access export and erasure.

A person is held in two ways:

- by **internal id**: every column the model declares as ``references="people.person_id"``
  (found from the model, so a new one is noticed) has a `Handling` in `PERSON_COLUMNS`;
- by **identifier**: xAPI actors and documents are keyed by IFIs (``mbox:mailto:...``,
  ``account:<homePage>|<name>``, ...), and quarantined import rows hold the raw source row.
  `IDENTIFIER_COLUMNS` names those columns.

Every other table must be listed in `NO_PERSONAL_DATA` with the reason it holds none, or in
`DEPENDENT_TABLES` (rows that go with rows found above). `unmapped_tables` and
`unmapped_person_columns` report gaps; export and erasure refuse to run while there are any,
and a test asserts there are none, so a table added later cannot be missed silently.

`find_subject` gathers a person's identifiers (their id, records merged into them, HR ids,
e-mail addresses, every IFI) into a `Subject`; `agent_matches` decides whether an xAPI Agent
is theirs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from learnledger.core.model.catalog import current_entities
from learnledger.core.xapi import actor_ifi
from learnledger.errors import ConflictError, NotFoundError, StorageError
from learnledger.storage.engine import Engine

PERSON_KEY = "people.person_id"
IFI_KEYS = ("mbox", "mbox_sha1sum", "openid", "account")


class Handling(StrEnum):
    """What erasure does with rows that reference the erased person by id."""

    #: Rows deleted.
    DELETE = "delete"
    #: Rows kept for aggregates, moved to the erasure's placeholder person, linkers replaced.
    ANONYMISE = "anonymise"
    #: Other people's rows that mention the person: the reference is set to NULL.
    CLEAR = "clear"
    #: Person records merged into the erased person: the same human, erased with them.
    SAME_PERSON = "same_person"


#: Every column that references ``people.person_id`` and what erasure does with its rows.
PERSON_COLUMNS: dict[tuple[str, str], Handling] = {
    ("people", "manager_id"): Handling.CLEAR,
    ("people", "merged_into"): Handling.SAME_PERSON,
    ("programmes", "owner_person_id"): Handling.CLEAR,
    ("identities", "person_id"): Handling.DELETE,
    ("consent_records", "person_id"): Handling.DELETE,
    ("performance_observations", "person_id"): Handling.DELETE,
    ("person_merges", "kept_person_id"): Handling.DELETE,
    ("person_merges", "merged_person_id"): Handling.DELETE,
    ("identity_blocks", "person_id"): Handling.DELETE,
    ("app_users", "person_id"): Handling.DELETE,
    ("enrolments", "person_id"): Handling.ANONYMISE,
    ("assessment_results", "person_id"): Handling.ANONYMISE,
    ("proficiency_ratings", "person_id"): Handling.ANONYMISE,
    ("learning_events", "person_id"): Handling.ANONYMISE,
}

#: Columns that hold a person's identifiers as values rather than their internal id.
IDENTIFIER_COLUMNS: dict[tuple[str, str], str] = {
    ("identities", "ifi"): "the person's identifiers in sources",
    ("identity_blocks", "ifi"): "identifiers blocked from being linked to someone",
    ("xapi_statements", "actor_ifi"): "statements the person made",
    ("xapi_statements", "object_id"): "statements about the person (Agent or Group object)",
    ("xapi_statements", "authority_ifi"): "statements the person vouched for",
    ("xapi_statements", "statement"): "the full statement JSON (context instructor, team, ...)",
    ("xapi_statement_agents", "ifi"): "group members, instructors, teams of statements",
    ("learning_events", "actor_ifi"): "the actor of a projected event",
    ("lrs_documents", "agent_ifi"): "agent profiles and activity state of the person",
    ("import_rejections", "raw"): "quarantined source rows that carry their identifiers",
    ("import_rejections", "value"): "the quarantined cell",
}

#: Tables whose rows go with rows found through the columns above.
DEPENDENT_TABLES: dict[str, str] = {
    "people": "the person's own record (and records merged into it)",
    "item_responses": "responses of the person's assessment results (result_id)",
    "person_merge_rows": "rows re-pointed by merges of the person (merge_id)",
    "app_sessions": "sessions of the person's web user (user_id)",
    "saved_views": "views saved by the person's web user (owner_user_id), with their pins",
    "saved_view_pins": "pins of the person's web user (user_id)",
    "xapi_statement_activities": "activities of the person's statements (statement_id)",
    "xapi_attachments": "payloads of the person's statements (sha2 in the statement)",
}

#: Tables that hold no personal data, and why.
NO_PERSONAL_DATA: dict[str, str] = {
    "data_sources": "the source registry (owners are roles or teams)",
    "import_runs": "counts, file names and checksums of imports; rejected rows are elsewhere",
    "audit_events": "append-only; actors, internal ids and fingerprints, never identifiers",
    "audit_chain_head": "the sealed head of the audit chain",
    "org_units": "the organisation's units",
    "roles": "job roles",
    "skills": "skills",
    "role_skill_requirements": "skill levels per role",
    "programmes": "programmes (the owner reference is cleared on erasure)",
    "programme_objectives": "targets per programme",
    "cohorts": "cohorts of programmes",
    "courses": "courses",
    "course_modules": "modules of courses",
    "assessments": "assessments",
    "assessment_items": "questions of assessments",
    "performance_metrics": "definitions of performance measures",
    "business_kpis": "definitions of KPIs",
    "kpi_observations": "KPI values of org units and programmes",
    "programme_costs": "programme costs",
    "headcount_plans": "planned headcount per role, org unit and quarter",
    "risk_models": "fitted early-warning models and their cards: parameters and aggregate "
    "figures, no identifiers",
    "lrs_counters": "LRS counters",
    "xapi_activities": "Activity definitions",
    "lrs_credentials": "credentials of xAPI client applications",
    "identity_rules": "identity resolution rules",
    "login_attempts": "keyed fingerprints of user names and addresses only",
    "source_reviews": "vendor reviews of sources",
    "retention_runs": "counts of retention enforcement",
    "erased_subjects": "keyed fingerprints of erased people's identifiers (the tombstones)",
}


def person_columns() -> list[tuple[str, str]]:
    """Every (table, column) of the model that references ``people.person_id``."""
    return [
        (entity.name, column.name)
        for entity in current_entities().values()
        for column in entity.columns
        if column.references == PERSON_KEY
    ]


def unmapped_person_columns() -> list[str]:
    """``table.column`` of person references that `PERSON_COLUMNS` does not handle."""
    return [f"{t}.{c}" for t, c in person_columns() if (t, c) not in PERSON_COLUMNS]


def unmapped_tables() -> list[str]:
    """Tables of the model that this map does not account for."""
    known = (
        {t for t, _ in PERSON_COLUMNS}
        | {t for t, _ in IDENTIFIER_COLUMNS}
        | set(DEPENDENT_TABLES)
        | set(NO_PERSONAL_DATA)
    )
    return sorted(set(current_entities()) - known)


def require_complete_map(engine: Engine) -> None:
    """Raise StorageError when a table or person column in the database is not in the map."""
    present = engine.table_names()
    gaps = [c for c in unmapped_person_columns() if c.split(".")[0] in present]
    gaps += [t for t in unmapped_tables() if t in present]
    gaps += sorted(present - set(current_entities()) - {"schema_migrations"})
    if gaps:
        raise StorageError(
            "the map of personal data (learnledger.governance.person_data) does not cover "
            + ", ".join(gaps)
            + "; classify them before exporting or erasing a person"
        )


@dataclass(frozen=True)
class Subject:
    """One person and every identifier LearnLedger holds for them."""

    person_id: str
    #: The person and the records merged into them (the same human).
    person_ids: tuple[str, ...]
    hr_ids: frozenset[str]
    emails: frozenset[str]
    #: Canonical xAPI identifiers: from ``identities`` and derived from the e-mail addresses.
    ifis: frozenset[str]
    #: Full names ("given family"), for reports and the erasure sweep; never used to match.
    names: frozenset[str]

    @property
    def mbox_ifis_lower(self) -> frozenset[str]:
        """The mbox IFIs lower-cased (the local part of an address is compared ignoring case)."""
        return frozenset(i.lower() for i in self.ifis if i.startswith("mbox:"))

    def owns_ifi(self, ifi: str) -> bool:
        """Whether the canonical identifier `ifi` is one of this person's."""
        return ifi in self.ifis or (ifi.startswith("mbox:") and ifi.lower() in self.mbox_ifis_lower)

    def identifiers(self) -> list[str]:
        """Every identifier that names this person (ids, HR ids, e-mails, IFIs), sorted."""
        return sorted({*self.person_ids, *self.hr_ids, *self.emails, *self.ifis})

    def quarantine_tokens(self) -> list[str]:
        """Lower-case strings whose presence in a raw source row marks it as this person's:
        e-mail addresses and IFI values anywhere, ids and account names as whole JSON strings."""
        tokens = {e.lower() for e in self.emails}
        quoted = {*self.person_ids, *self.hr_ids}
        for ifi in self.ifis:
            kind, _, value = ifi.partition(":")
            if kind == "mbox":
                tokens.add(value.removeprefix("mailto:").lower())
            elif kind == "account":
                quoted.add(value.rpartition("|")[2])
            elif kind in ("mbox_sha1sum", "openid"):
                tokens.add(value.lower())
        tokens |= {f'"{q.lower()}"' for q in quoted if q}
        return sorted(t for t in tokens if t)

    def exact_values(self) -> list[str]:
        """Lower-case values a quarantined cell may hold on its own."""
        values = {*self.person_ids, *self.hr_ids, *self.emails}
        values |= {i.rpartition("|")[2] for i in self.ifis if i.startswith("account:")}
        return sorted(v.lower() for v in values if v)


def find_subject(engine: Engine, person_id: str) -> Subject:
    """The `Subject` for `person_id`.

    Raises NotFoundError when there is no such person and ConflictError when the record was
    merged into another person (act on the surviving person, which covers this record too).
    """
    row = engine.fetch_one("SELECT merged_into FROM people WHERE person_id = ?", [person_id])
    if row is None:
        raise NotFoundError(f"person {person_id} does not exist")
    if row[0] is not None:
        raise ConflictError(
            f"person {person_id} is merged into {row[0]}; export or erase {row[0]}, "
            "which covers the merged record too"
        )
    person_ids = _with_merged_records(engine, person_id)
    people = engine.fetch_all(
        f"SELECT hr_id, email, given_name, family_name FROM people WHERE person_id IN {_TEXT_LIST}",
        [person_ids],
    )
    hr_ids = {str(r[0]) for r in people if r[0]}
    emails = {str(r[1]) for r in people if r[1]}
    names = {" ".join(str(p) for p in r[2:4] if p) for r in people}
    ifis = {
        str(r[0])
        for r in engine.fetch_all(
            f"SELECT ifi FROM identities WHERE person_id IN {_TEXT_LIST}", [person_ids]
        )
    }
    ifis |= {f"mbox:mailto:{e}" for e in emails} | {f"mbox:mailto:{e.lower()}" for e in emails}
    ifis |= {_sha1_ifi(i.removeprefix("mbox:")) for i in list(ifis) if i.startswith("mbox:")}
    ifis |= {_sha1_ifi(i.removeprefix("mbox:").lower()) for i in ifis if i.startswith("mbox:")}
    # An identifier linked to someone else (a shared mailbox) is not this person's to erase.
    ifis -= {
        str(r[0])
        for r in engine.fetch_all(
            f"SELECT ifi FROM identities WHERE ifi IN {_TEXT_LIST} "
            f"AND person_id NOT IN {_TEXT_LIST}",
            [sorted(ifis), person_ids],
        )
    }
    return Subject(
        person_id=person_id,
        person_ids=tuple(person_ids),
        hr_ids=frozenset(hr_ids),
        emails=frozenset(emails),
        ifis=frozenset(ifis),
        names=frozenset(n for n in names if n),
    )


def agent_matches(agent: Any, subject: Subject) -> bool:
    """Whether `agent` (a JSON object) is an identified Agent or Group of `subject`."""
    if not isinstance(agent, dict) or not any(k in agent for k in IFI_KEYS):
        return False
    try:
        return subject.owns_ifi(actor_ifi(agent))
    except (KeyError, TypeError, AttributeError, ValueError):
        return False


def mentions(value: Any, subject: Subject) -> bool:
    """Whether a JSON value holds an Agent of `subject` anywhere (members, context, ...) or
    one of their e-mail addresses in a text value (a response, an extension)."""
    if isinstance(value, dict):
        return agent_matches(value, subject) or any(mentions(v, subject) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, subject) for v in value)
    if isinstance(value, str):
        return address_pattern(subject).search(value) is not None
    return False


def address_pattern(subject: Subject) -> re.Pattern[str]:
    """Matches any of the subject's e-mail addresses, ignoring case (never matches without)."""
    if not subject.emails:
        return re.compile(r"(?!x)x")
    return re.compile("|".join(re.escape(e) for e in sorted(subject.emails)), re.IGNORECASE)


def statement_predicate(subject: Subject) -> tuple[str, list[Any]]:
    """SQL (and parameters) for the ``xapi_statements`` rows that may mention `subject`:
    by the actor, object and authority columns, the agent link rows, or an e-mail address
    anywhere in the statement text (a full scan; `mentions` decides precisely)."""
    parts: list[str] = []
    params: list[Any] = []
    for column in ("actor_ifi", "object_id", "authority_ifi"):
        sql, column_params = ifi_predicate(column, subject)
        parts.append(sql)
        params += column_params
    link_sql, link_params = ifi_predicate("ifi", subject)
    parts.append(
        f"statement_id IN (SELECT statement_id FROM xapi_statement_agents WHERE {link_sql})"
    )
    parts.append(
        "EXISTS (SELECT 1 FROM (SELECT unnest(CAST(? AS TEXT[])) AS x) AS u "
        "WHERE strpos(lower(CAST(statement AS TEXT)), u.x) > 0)"
    )
    return "(" + " OR ".join(parts) + ")", [
        *params,
        *link_params,
        sorted(e.lower() for e in subject.emails),
    ]


def ifi_predicate(column: str, subject: Subject) -> tuple[str, list[Any]]:
    """SQL (and its parameters) true where `column` holds one of the subject's IFIs, or an
    anonymous Group identifier (``group:...``) that names one among its members."""
    lowered = sorted(i.lower() for i in subject.ifis)
    sql = (
        f"({column} IN {_TEXT_LIST} "
        f"OR ({column} LIKE 'mbox:%' AND lower({column}) IN {_TEXT_LIST}) "
        f"OR ({column} LIKE 'group:%' AND EXISTS (SELECT 1 FROM "
        f"(SELECT unnest(CAST(? AS TEXT[])) AS x) AS u WHERE strpos(lower({column}), u.x) > 0)))"
    )
    return sql, [sorted(subject.ifis), sorted(subject.mbox_ifis_lower), lowered]


def quarantine_predicate(subject: Subject) -> tuple[str, list[Any]]:
    """SQL (and parameters) true for ``import_rejections`` rows that carry the subject's
    identifiers in the raw row or the rejected cell."""
    sql = (
        "(EXISTS (SELECT 1 FROM (SELECT unnest(CAST(? AS TEXT[])) AS x) AS u "
        "WHERE strpos(lower(CAST(raw AS TEXT)), u.x) > 0) "
        f"OR lower(value) IN {_TEXT_LIST})"
    )
    return sql, [subject.quarantine_tokens(), subject.exact_values()]


def text_list_sql() -> str:
    """``(SELECT unnest(CAST(? AS TEXT[])))``: one parameter holding a list of text values."""
    return _TEXT_LIST


def sql_in_uuids() -> str:
    """One parameter holding a list of UUIDs (as text), for ``uuid_column IN ...``."""
    return "(SELECT CAST(unnest(CAST(? AS TEXT[])) AS UUID))"


_TEXT_LIST = "(SELECT unnest(CAST(? AS TEXT[])))"


def _with_merged_records(engine: Engine, person_id: str) -> list[str]:
    found = [person_id]
    frontier = [person_id]
    while frontier:
        rows = engine.fetch_all(
            f"SELECT person_id FROM people WHERE merged_into IN {_TEXT_LIST}", [frontier]
        )
        frontier = [str(r[0]) for r in rows if str(r[0]) not in found]
        found += frontier
    return found


def _sha1_ifi(mailto: str) -> str:
    return "mbox_sha1sum:" + hashlib.sha1(mailto.encode()).hexdigest()


#: Files LearnLedger writes that can hold personal data. None is tracked in the database, so
#: erasure cannot remove them itself; `files_mentioning` finds the ones that still name a person.
FILES_WITH_PERSONAL_DATA: dict[str, str] = {
    "demo export directory": "`learnledger demo export DIR`: HR roster, LMS and LRS files",
    "subject access export": "`learnledger governance export-person --out DIR`: the copy for "
    "the person themself",
    "database file": "a DuckDB file keeps deleted rows' bytes in free blocks until they are "
    "reused; PostgreSQL until VACUUM. Backups keep everything until they expire.",
}


def search_needles(subject: Subject) -> list[bytes]:
    """Lower-case byte strings that name `subject` in a file: ids, HR ids, e-mails, IFI values."""
    needles = {*subject.person_ids, *subject.hr_ids, *subject.emails}
    for ifi in subject.ifis:
        kind, _, value = ifi.partition(":")
        needles.add(value.rpartition("|")[2] if kind == "account" else value)
    return sorted({n.lower().encode() for n in needles if n})


def files_mentioning(directories: Iterable[Path], needles: Iterable[bytes]) -> list[Path]:
    """Files under `directories` (recursively) whose bytes contain any of `needles`, ignoring
    ASCII case (plain text only: compressed or encoded files are not opened)."""
    wanted = [n.lower() for n in needles if n]
    found: list[Path] = []
    for directory in directories:
        for path in sorted(Path(directory).rglob("*")):
            if not path.is_file():
                continue
            data = path.read_bytes().lower()
            if any(n in data for n in wanted):
                found.append(path)
    return found
