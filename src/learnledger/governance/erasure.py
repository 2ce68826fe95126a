"""Erasure of a person (right to erasure), leaving only a tombstone and an audit entry.

`erase_person` removes the person everywhere `person_data` says they are, in one transaction:

- **deleted**: the person's record and records merged into it, identities, consent, performance
  observations, merges and blocks naming them, their web user and its sessions, statements they
  made, that are about them (Agent object) or that they vouched for (authority), those
  statements' link rows and attachment payloads no other statement uses, their agent profiles
  and activity state, and quarantined import rows that carry their identifiers;
- **scrubbed**: other people's statements that mention them (context instructor or team, Group
  member, context agents, SubStatements, extensions) keep everything else; the person's Agent
  is removed, their e-mail address in text values (a response, an extension) becomes
  ``[erased]``, signatures that covered the original statement are dropped (they would reveal
  it), and the actor / object / authority columns and link rows are updated;
- **cleared**: other people's references to them (``people.manager_id``,
  ``programmes.owner_person_id``) become NULL;
- **anonymised** (with ``keep_aggregates``, the default): learning records that programme
  aggregates count (enrolments, assessment results and item responses, proficiency ratings,
  learning events) move to a new placeholder person ``ERASED-<hex>`` with no name, e-mail, HR
  id, unit or role; their own ids, registrations and actor identifiers are replaced by random
  ones and free-text responses removed, so nothing links them back to the person or to the
  source systems. Without ``keep_aggregates`` they are deleted too.

The tombstone is one ``erased_subjects`` row per identifier (id, HR id, e-mail, IFI), holding
only its keyed fingerprint (`KeyRing.fingerprint("erasure", ...)`), so `is_erased` can tell an
import that it is about to bring the person back. The audit entry (``subject_erased``) holds
the erasure id, the fingerprint of the person id and counts by table, never an identifier.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from learnledger.core.xapi import actor_ifi
from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import KeyRing
from learnledger.governance.person_data import (
    IFI_KEYS,
    PERSON_COLUMNS,
    Handling,
    Subject,
    address_pattern,
    agent_matches,
    find_subject,
    ifi_predicate,
    quarantine_predicate,
    require_complete_map,
    sql_in_uuids,
    statement_predicate,
    text_list_sql,
)
from learnledger.storage.engine import Engine

ERASURE_PURPOSE = "erasure"
PLACEHOLDER_PREFIX = "ERASED-"
SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
#: What an e-mail address of the erased person in a statement's text becomes.
ERASED_TEXT = "[erased]"
_IN = text_list_sql()
_REMOVED = object()


@dataclass
class ErasureReport:
    """What an erasure did, by table: rows deleted, anonymised, cleared and rewritten."""

    erasure_id: str
    placeholder_person_id: str | None
    deleted: dict[str, int] = field(default_factory=dict)
    anonymised: dict[str, int] = field(default_factory=dict)
    cleared: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)
    tombstones: int = 0

    def as_json(self) -> dict[str, Any]:
        """Counts for the audit entry and the CLI (no identifiers)."""
        return {
            "erasure_id": self.erasure_id,
            "placeholder_person_id": self.placeholder_person_id,
            "deleted": dict(sorted(self.deleted.items())),
            "anonymised": dict(sorted(self.anonymised.items())),
            "cleared": dict(sorted(self.cleared.items())),
            "rewritten": dict(sorted(self.rewritten.items())),
            "tombstones": self.tombstones,
        }

    def tally(self, counts: dict[str, int], table: str, n: int) -> None:
        """Add `n` rows of `table` to `counts` (one of the report's dicts)."""
        if n:
            counts[table] = counts.get(table, 0) + n


def subject_key(keys: KeyRing, identifier: str) -> str:
    """The keyed fingerprint a tombstone stores for `identifier` (trimmed, lower-cased)."""
    return keys.fingerprint(ERASURE_PURPOSE, identifier.strip().lower())


def is_erased(engine: Engine, keys: KeyRing, identifier: str) -> bool:
    """Whether `identifier` (person id, HR id, e-mail or xAPI IFI) belongs to an erased person."""
    return bool(erased_identifiers(engine, keys, [identifier]))


def erased_identifiers(engine: Engine, keys: KeyRing, identifiers: Iterable[str]) -> set[str]:
    """Those of `identifiers` that belong to erased people (one query for a whole batch)."""
    by_key = {subject_key(keys, i): i for i in identifiers if i and i.strip()}
    if not by_key:
        return set()
    rows = engine.fetch_all(
        f"SELECT subject_key FROM erased_subjects WHERE subject_key IN {_IN}", [sorted(by_key)]
    )
    return {by_key[str(r[0])] for r in rows}


def erase_person(
    engine: Engine,
    keys: KeyRing,
    person_id: str,
    *,
    reason: str,
    actor: Actor,
    keep_aggregates: bool = True,
) -> ErasureReport:
    """Erase `person_id` everywhere (see the module docstring); all or nothing.

    Raises PermissionDeniedError unless `actor` is an admin, ValidationError for an empty
    reason, NotFoundError for an unknown person or one already erased (the message says
    which), ConflictError for a record merged into another person (erase the survivor).
    """
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError("only an admin may erase a person")
    if not reason.strip():
        raise ValidationError("reason", "must not be empty")
    require_complete_map(engine)
    hex_id = uuid.uuid4().hex[:16]
    report = ErasureReport(f"ERA-{hex_id}", None)
    moment = datetime.now(UTC)
    with AuditLog(engine, keys).transaction():
        try:
            subject = find_subject(engine, person_id)
        except NotFoundError:
            if is_erased(engine, keys, person_id):
                raise NotFoundError(f"person {person_id} was already erased") from None
            raise
        placeholder = f"{PLACEHOLDER_PREFIX}{hex_id}" if keep_aggregates else None
        report.placeholder_person_id = placeholder
        present = engine.table_names()
        _Eraser(engine, subject, report, placeholder, present).run()
        if placeholder is not None and report.anonymised:
            engine.execute("INSERT INTO people (person_id) VALUES (?)", [placeholder])
        else:
            report.placeholder_person_id = None
        report.tombstones = _write_tombstones(engine, keys, subject, report.erasure_id, moment)
        AuditLog(engine, keys).append(
            actor=actor.audit_name,
            action="subject_erased",
            target=f"erasure:{report.erasure_id}",
            occurred_at=moment,
            details={
                **report.as_json(),
                "subject_key": subject_key(keys, person_id),
                "keep_aggregates": keep_aggregates,
                "reason": reason.strip(),
            },
        )
    return report


def _write_tombstones(
    engine: Engine, keys: KeyRing, subject: Subject, erasure_id: str, moment: datetime
) -> int:
    wanted = {subject_key(keys, i) for i in subject.identifiers()}
    existing = {
        str(r[0])
        for r in engine.fetch_all(
            f"SELECT subject_key FROM erased_subjects WHERE subject_key IN {_IN}", [sorted(wanted)]
        )
    }
    rows = [[key, erasure_id, moment] for key in sorted(wanted - existing)]
    if rows:
        engine.execute_many(
            "INSERT INTO erased_subjects (subject_key, erasure_id, erased_at) VALUES (?, ?, ?)",
            rows,
        )
    return len(rows)


class _Eraser:
    """The steps of one erasure, in the caller's transaction."""

    def __init__(
        self,
        engine: Engine,
        subject: Subject,
        report: ErasureReport,
        placeholder: str | None,
        present: set[str],
    ) -> None:
        self.engine = engine
        self.subject = subject
        self.report = report
        self.placeholder = placeholder
        self.present = present
        self.ids = list(subject.person_ids)
        self.registrations: dict[str, str] = {}

    def run(self) -> None:
        rewritten_actors = self._statements()
        for (table, column), handling in PERSON_COLUMNS.items():
            if table not in self.present or handling is Handling.SAME_PERSON:
                continue
            if handling is Handling.CLEAR:
                self._clear(table, column)
            elif handling is Handling.ANONYMISE and self.placeholder is not None:
                self._anonymise(table, rewritten_actors)
            elif table == "learning_events":
                self._delete_events(rewritten_actors)
            else:
                self._delete_by_person(table, column)
        self._delete_quarantine()
        self._delete_documents()
        self._delete_identifier_rows()
        # Last: the rows above were found through the person's record.
        self._delete("people", f"person_id IN {_IN}", [self.ids])

    # -- generic steps -------------------------------------------------------------------------

    def _count(self, table: str, where: str, params: list[Any]) -> int:
        row = self.engine.fetch_one(f'SELECT COUNT(*) FROM "{table}" WHERE {where}', params)
        return int(row[0]) if row else 0

    def _delete(self, table: str, where: str, params: list[Any]) -> int:
        if table not in self.present:
            return 0
        n = self._count(table, where, params)
        if n:
            self.engine.execute(f'DELETE FROM "{table}" WHERE {where}', params)
            self.report.tally(self.report.deleted, table, n)
        return n

    def _clear(self, table: str, column: str) -> None:
        where = f'"{column}" IN {_IN} AND person_id NOT IN {_IN}'
        params: list[Any] = [self.ids, self.ids]
        if table != "people":
            where, params = f'"{column}" IN {_IN}', [self.ids]
        n = self._count(table, where, params)
        if n:
            self.engine.execute(f'UPDATE "{table}" SET "{column}" = NULL WHERE {where}', params)
            self.report.tally(self.report.cleared, f"{table}.{column}", n)

    def _delete_by_person(self, table: str, column: str) -> None:
        where, params = f'"{column}" IN {_IN}', [self.ids]
        if table == "person_merges":
            self._delete(
                "person_merge_rows",
                f"merge_id IN (SELECT merge_id FROM person_merges WHERE {where})",
                params,
            )
        elif table == "app_users":
            users = f"SELECT user_id FROM app_users WHERE {where}"
            self._delete("app_sessions", f"user_id IN ({users})", params)
            owned = f"SELECT view_id FROM saved_views WHERE owner_user_id IN ({users})"
            self._delete("saved_view_pins", f"view_id IN ({owned})", params)
            self._delete("saved_view_pins", f"user_id IN ({users})", params)
            self._delete("saved_views", f"owner_user_id IN ({users})", params)
        elif table == "assessment_results":
            self._delete(
                "item_responses",
                f"result_id IN (SELECT result_id FROM assessment_results WHERE {where})",
                params,
            )
        self._delete(table, where, params)

    def _delete_identifier_rows(self) -> None:
        for table in ("identities", "identity_blocks"):
            sql, params = ifi_predicate("ifi", self.subject)
            self._delete(table, sql, params)

    def _delete_quarantine(self) -> None:
        sql, params = quarantine_predicate(self.subject)
        self._delete("import_rejections", sql, params)

    def _delete_documents(self) -> None:
        sql, params = ifi_predicate("agent_ifi", self.subject)
        self._delete("lrs_documents", sql, params)

    # -- statements ----------------------------------------------------------------------------

    def _statements(self) -> dict[str, str]:
        """Delete or scrub the statements that mention the person; return the actor IFI of each
        rewritten statement (it changes when the actor is a Group they were a member of)."""
        if "xapi_statements" not in self.present:
            return {}
        where, params = statement_predicate(self.subject)
        rows = self.engine.fetch_all(
            f"SELECT CAST(statement_id AS TEXT), statement FROM xapi_statements WHERE {where}",
            params,
        )
        deleted: list[str] = []
        payloads: set[str] = set()
        new_actors: dict[str, str] = {}
        updates: list[list[Any]] = []
        for statement_id, text in rows:
            stmt = orjson.loads(text)
            scrubbed, dropped = scrub_statement(stmt, self.subject)
            if scrubbed is None:
                deleted.append(statement_id)
                payloads |= _attachment_hashes(stmt)
                continue
            if scrubbed == stmt:
                continue
            payloads |= dropped
            new_actor = actor_ifi(scrubbed["actor"])
            new_actors[statement_id] = new_actor
            obj = scrubbed["object"]
            object_id = actor_ifi(obj) if obj.get("objectType") in ("Agent", "Group") else None
            updates.append(
                [
                    orjson.dumps(scrubbed).decode(),
                    new_actor,
                    object_id,
                    actor_ifi(scrubbed["authority"]) if "authority" in scrubbed else None,
                    statement_id,
                ]
            )
        in_deleted = f"statement_id IN {sql_in_uuids()}"
        self._delete("xapi_statement_agents", in_deleted, [deleted])
        self._delete("xapi_statement_activities", in_deleted, [deleted])
        self._delete("xapi_statements", in_deleted, [deleted])
        if updates:
            self.engine.execute_many(
                "UPDATE xapi_statements SET statement = ?, actor_ifi = ?, "
                "object_id = COALESCE(?, object_id), authority_ifi = COALESCE(?, authority_ifi) "
                "WHERE statement_id = CAST(? AS UUID)",
                updates,
            )
            self.report.tally(self.report.rewritten, "xapi_statements", len(updates))
        link_sql, link_params = ifi_predicate("ifi", self.subject)
        self._delete("xapi_statement_agents", link_sql, link_params)
        self._delete_unused_payloads(payloads)
        return new_actors

    def _delete_unused_payloads(self, hashes: set[str]) -> None:
        unused = [
            h
            for h in sorted(hashes)
            if self.engine.fetch_one(
                "SELECT 1 FROM xapi_statements WHERE strpos(CAST(statement AS TEXT), ?) > 0 "
                "LIMIT 1",
                [h],
            )
            is None
        ]
        self._delete("xapi_attachments", f"sha2 IN {_IN}", [unused])

    # -- anonymisation -------------------------------------------------------------------------

    def _anonymise(self, table: str, rewritten_actors: dict[str, str]) -> None:
        if table == "learning_events":
            self._anonymise_events(rewritten_actors)
        elif table == "enrolments":
            self._anonymise_enrolments()
        elif table == "assessment_results":
            self._anonymise_results()
        elif table == "proficiency_ratings":
            self._replace_ids("proficiency_ratings", "rating_id", "ANON-RAT-")
        else:  # a new ANONYMISE entry needs its own rules for ids and free text
            raise NotImplementedError(f"no anonymisation rules for {table}")

    def _events_where(self, rewritten_actors: dict[str, str]) -> tuple[str, list[Any]]:
        actor_sql, actor_params = ifi_predicate("actor_ifi", self.subject)
        where = f"(person_id IN {_IN} OR {actor_sql})"
        params: list[Any] = [self.ids, *actor_params]
        if rewritten_actors:
            where += f" AND CAST(event_id AS TEXT) NOT IN {_IN}"
            params.append(sorted(rewritten_actors))
        return where, params

    def _delete_events(self, rewritten_actors: dict[str, str]) -> None:
        where, params = self._events_where(rewritten_actors)
        self._delete("learning_events", where, params)
        self._update_event_actors(rewritten_actors)

    def _anonymise_events(self, rewritten_actors: dict[str, str]) -> None:
        where, params = self._events_where(rewritten_actors)
        rows = self.engine.fetch_all(
            "SELECT CAST(event_id AS TEXT), CAST(registration AS TEXT) FROM learning_events "
            f"WHERE {where}",
            params,
        )
        updates = [
            [
                str(uuid.uuid4()),
                self.placeholder,
                f"erased:{self.placeholder}",
                self._registration(reg),
                event_id,
            ]
            for event_id, reg in rows
        ]
        if updates:
            self.engine.execute_many(
                "UPDATE learning_events SET event_id = CAST(? AS UUID), person_id = ?, "
                "actor_ifi = ?, registration = CAST(? AS UUID), response = NULL "
                "WHERE event_id = CAST(? AS UUID)",
                updates,
            )
            self.report.tally(self.report.anonymised, "learning_events", len(updates))
        self._update_event_actors(rewritten_actors)

    def _update_event_actors(self, rewritten_actors: dict[str, str]) -> None:
        """Bring the events of rewritten statements in line: the actor (a Group that lost
        the person) and the response (their e-mail address removed)."""
        if not rewritten_actors or "learning_events" not in self.present:
            return
        rows = self.engine.fetch_all(
            "SELECT CAST(event_id AS TEXT), response FROM learning_events "
            f"WHERE CAST(event_id AS TEXT) IN {_IN}",
            [sorted(rewritten_actors)],
        )
        pattern = address_pattern(self.subject)
        updates = [
            [
                rewritten_actors[event_id],
                None if text is None else pattern.sub(ERASED_TEXT, text),
                event_id,
            ]
            for event_id, text in rows
        ]
        if updates:
            self.engine.execute_many(
                "UPDATE learning_events SET actor_ifi = ?, response = ? "
                "WHERE event_id = CAST(? AS UUID)",
                updates,
            )

    def _registration(self, registration: str | None) -> str | None:
        if registration is None:
            return None
        return self.registrations.setdefault(registration.lower(), str(uuid.uuid4()))

    def _anonymise_enrolments(self) -> None:
        rows = self.engine.fetch_all(
            "SELECT enrolment_id, CAST(registration AS TEXT) FROM enrolments "
            f"WHERE person_id IN {_IN}",
            [self.ids],
        )
        renamed = {str(old): f"ANON-ENR-{uuid.uuid4().hex}" for old, _ in rows}
        updates = [
            [renamed[str(old)], self.placeholder, self._registration(reg), str(old)]
            for old, reg in rows
        ]
        if not updates:
            return
        self.engine.execute_many(
            "UPDATE enrolments SET enrolment_id = ?, person_id = ?, "
            "registration = CAST(? AS UUID) WHERE enrolment_id = ?",
            updates,
        )
        if "assessment_results" in self.present:
            self.engine.execute_many(
                "UPDATE assessment_results SET enrolment_id = ? WHERE enrolment_id = ?",
                [[new, old] for old, new in renamed.items()],
            )
        self.report.tally(self.report.anonymised, "enrolments", len(updates))

    def _anonymise_results(self) -> None:
        renamed = self._replace_ids("assessment_results", "result_id", "ANON-RES-")
        if renamed and "item_responses" in self.present:
            n = self._count("item_responses", f"result_id IN {_IN}", [sorted(renamed)])
            self.engine.execute_many(
                "UPDATE item_responses SET result_id = ?, response = NULL WHERE result_id = ?",
                [[new, old] for old, new in renamed.items()],
            )
            self.report.tally(self.report.anonymised, "item_responses", n)

    def _replace_ids(self, table: str, key: str, prefix: str) -> dict[str, str]:
        rows = self.engine.fetch_all(
            f'SELECT "{key}" FROM "{table}" WHERE person_id IN {_IN}', [self.ids]
        )
        renamed = {str(r[0]): f"{prefix}{uuid.uuid4().hex}" for r in rows}
        if renamed:
            self.engine.execute_many(
                f'UPDATE "{table}" SET "{key}" = ?, person_id = ? WHERE "{key}" = ?',
                [[new, self.placeholder, old] for old, new in renamed.items()],
            )
            self.report.tally(self.report.anonymised, table, len(renamed))
        return renamed


def scrub_statement(
    stmt: dict[str, Any], subject: Subject
) -> tuple[dict[str, Any] | None, set[str]]:
    """`stmt` without `subject`'s Agents, and the SHA-2 of signatures dropped with them; None
    when the statement is theirs (actor, Agent object or authority) or cannot stand without
    them (an anonymous Group actor of only them)."""
    scrubbed = _strip(stmt, subject)
    if not isinstance(scrubbed, dict) or any(
        key in stmt and key not in scrubbed for key in ("actor", "object", "authority")
    ):
        return None, set()
    obj = scrubbed["object"]
    if obj.get("objectType") == "SubStatement" and not {"actor", "object"} <= obj.keys():
        return None, set()
    _fix_context(scrubbed.get("context"))
    if isinstance(obj, dict):
        _fix_context(obj.get("context"))
    dropped: set[str] = set()
    if scrubbed != stmt and scrubbed.get("attachments"):
        kept = [a for a in scrubbed["attachments"] if a.get("usageType") != SIGNATURE_USAGE]
        dropped = {a["sha2"] for a in scrubbed["attachments"] if a not in kept and "sha2" in a}
        if kept:
            scrubbed["attachments"] = kept
        else:
            del scrubbed["attachments"]
    return scrubbed, dropped


def _strip(value: Any, subject: Subject, key: str | None = None) -> Any:
    """`value` without the subject's Agents, anonymous Groups left empty, and their e-mail
    addresses in text values (ids are left alone: an IRI is not rewritten)."""
    if isinstance(value, dict):
        if agent_matches(value, subject):
            return _REMOVED
        out = {}
        for name, item in value.items():
            stripped = _strip(item, subject, name)
            if stripped is not _REMOVED:
                out[name] = stripped
        if isinstance(value.get("member"), list) and value["member"] and not out.get("member"):
            out.pop("member", None)
            if not any(k in out for k in IFI_KEYS):
                return _REMOVED  # an anonymous Group left without members
        return out
    if isinstance(value, list):
        return [s for s in (_strip(v, subject, key) for v in value) if s is not _REMOVED]
    if isinstance(value, str) and key != "id":
        return address_pattern(subject).sub(ERASED_TEXT, value)
    return value


def _fix_context(context: Any) -> None:
    """Drop xAPI 2.0 context agent / group entries left without their Agent or Group."""
    if not isinstance(context, dict):
        return
    for key, inner in (("contextAgents", "agent"), ("contextGroups", "group")):
        if key in context:
            context[key] = [e for e in context[key] if isinstance(e, dict) and inner in e]
            if not context[key]:
                del context[key]


def _attachment_hashes(stmt: dict[str, Any]) -> set[str]:
    found = {a["sha2"] for a in stmt.get("attachments") or () if "sha2" in a}
    obj = stmt.get("object") or {}
    if obj.get("objectType") == "SubStatement":
        found |= {a["sha2"] for a in obj.get("attachments") or () if "sha2" in a}
    return found
