"""Subject access: everything LearnLedger holds about one person, as JSON and as a summary.

`export_person` walks the map in `person_data`: every row of every table that references the
person (and the records merged into them), their identities and blocked identifiers, every
statement that mentions them (as actor, object, authority, instructor, team or group member),
the attachment payloads of those statements, their agent profiles and activity state, and the
quarantined import rows that carry their identifiers. Other people's rows that only point at
them (people they manage) are counted, not copied: those rows are someone else's data; in
statements, other people's Agents (and the authority) are redacted for the same reason.
Secrets are left out (password hashes, session token hashes).

The export is audited (``subject_export``) with the keyed fingerprint of the person id (the
same key an erasure's tombstone uses) and counts, never an identifier.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from learnledger.core.model.catalog import current_entities
from learnledger.core.model.spec import ColumnType
from learnledger.errors import ConflictError, PermissionDeniedError
from learnledger.governance.actors import Actor, Role
from learnledger.governance.audit import AuditLog
from learnledger.governance.erasure import subject_key
from learnledger.governance.keys import KeyRing
from learnledger.governance.person_data import (
    IFI_KEYS,
    PERSON_COLUMNS,
    Handling,
    Subject,
    agent_matches,
    find_subject,
    ifi_predicate,
    mentions,
    quarantine_predicate,
    require_complete_map,
    statement_predicate,
    text_list_sql,
)
from learnledger.storage.engine import Engine

JSON_FILE = "person.json"
SUMMARY_FILE = "summary.md"
FORMAT_VERSION = 1
#: Columns never exported: secrets, not personal data.
SECRET_COLUMNS = frozenset({("app_users", "password_hash"), ("app_sessions", "token_hash")})
_IN = text_list_sql()
_TEXT_TYPES = ("application/json", "text/")


@dataclass
class SubjectExport:
    """The data held about one person: sections of rows, by table or LRS resource."""

    person_id: str
    generated_at: dt.datetime
    subject: dict[str, Any]
    sections: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mentioned_by: dict[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Rows per section."""
        return {name: len(rows) for name, rows in self.sections.items()}

    def as_json(self) -> dict[str, Any]:
        """The machine-readable export (``person.json``)."""
        return {
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at.isoformat(),
            "person_id": self.person_id,
            "subject": self.subject,
            "counts": self.counts(),
            "mentioned_by_other_records": self.mentioned_by,
            "data": self.sections,
        }

    def json_bytes(self) -> bytes:
        """``person.json`` as UTF-8 bytes (indented, keys sorted)."""
        return orjson.dumps(
            self.as_json(), default=_default, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
        )

    def summary_markdown(self, sources: dict[str, dict[str, Any]] | None = None) -> str:
        """A readable summary: what is held, from which sources, how many rows, which dates."""
        lines = [
            f"# Personal data held about {self.person_id}",
            "",
            f"Generated {self.generated_at.isoformat(timespec='seconds')} by LearnLedger. "
            f"The complete data is in `{JSON_FILE}` (machine-readable JSON).",
            "",
            "## Who",
            "",
            f"- Internal ids: {', '.join(self.subject['person_ids'])}",
            f"- HR ids: {', '.join(self.subject['hr_ids']) or 'none'}",
            f"- E-mail addresses: {', '.join(self.subject['emails']) or 'none'}",
            f"- Identifiers in learning systems: {len(self.subject['identifiers'])}",
            "",
            "## What is held",
            "",
            "| data | rows | sources | from | to |",
            "|---|---:|---|---|---|",
        ]
        seen_sources: set[str] = set()
        for name, rows in self.sections.items():
            if not rows:
                continue
            found = sorted({str(r["source_id"]) for r in rows if r.get("source_id")})
            seen_sources.update(found)
            first, last = _time_range(rows)
            lines.append(f"| {name} | {len(rows)} | {', '.join(found) or '-'} | {first} | {last} |")
        empty = [name for name, rows in self.sections.items() if not rows]
        if empty:
            lines += ["", f"Nothing is held in: {', '.join(empty)}."]
        if self.mentioned_by:
            lines += ["", "## Mentioned in other records", ""]
            lines += [f"- {name}: {n}" for name, n in sorted(self.mentioned_by.items())]
        if seen_sources:
            lines += ["", "## Sources", "", "| source | name | purpose | legal basis |"]
            lines.append("|---|---|---|---|")
            for source_id in sorted(seen_sources):
                info = (sources or {}).get(source_id, {})
                lines.append(
                    f"| {source_id} | {info.get('name') or '-'} | {info.get('purpose') or '-'} "
                    f"| {info.get('legal_basis') or '-'} |"
                )
        consent = self.sections.get("consent_records") or []
        if consent:
            lines += ["", "## Consent (latest decision per purpose)", ""]
            latest: dict[str, dict[str, Any]] = {}
            for row in sorted(consent, key=lambda r: str(r.get("recorded_at"))):
                latest[str(row["purpose"])] = row
            lines += [
                f"- {purpose}: {row['status']} since {_text(row.get('recorded_at'))}"
                for purpose, row in sorted(latest.items())
            ]
        return "\n".join(lines) + "\n"


def export_person(engine: Engine, keys: KeyRing, person_id: str, *, actor: Actor) -> SubjectExport:
    """Everything held about `person_id` (see the module docstring), audited.

    Raises PermissionDeniedError unless `actor` is an admin or the person themself,
    NotFoundError for an unknown person, ConflictError for a record merged into another.
    """
    if actor.role is not Role.ADMIN and actor.person_id != person_id:
        raise PermissionDeniedError("only an admin or the person themself may export their data")
    require_complete_map(engine)
    with AuditLog(engine, keys).transaction():
        subject = find_subject(engine, person_id)
        export = SubjectExport(
            person_id=person_id,
            generated_at=dt.datetime.now(dt.UTC),
            subject={
                "person_ids": list(subject.person_ids),
                "hr_ids": sorted(subject.hr_ids),
                "emails": sorted(subject.emails),
                "identifiers": sorted(subject.ifis),
            },
        )
        _Collector(engine, subject, export).run()
        AuditLog(engine, keys).append(
            actor=actor.audit_name,
            action="subject_export",
            target=f"subject:{subject_key(keys, person_id)}",
            details={"subject_key": subject_key(keys, person_id), "counts": export.counts()},
        )
    return export


def export_paths(directory: Path, *, force: bool = False) -> list[Path]:
    """The files an export writes into `directory`; ConflictError if one exists (unless
    `force`) or `directory` is a file."""
    if directory.exists() and not directory.is_dir():
        raise ConflictError(f"{directory} exists and is not a folder")
    targets = [directory / JSON_FILE, directory / SUMMARY_FILE]
    existing = [p.name for p in targets if p.exists()]
    if existing and not force:
        raise ConflictError(
            f"{', '.join(existing)} already exist in {directory}; use --force to overwrite"
        )
    return targets


def write_export(
    export: SubjectExport,
    directory: Path,
    *,
    sources: dict[str, dict[str, Any]] | None = None,
    force: bool = False,
) -> list[Path]:
    """Write ``person.json`` and ``summary.md`` into `directory` (created); ConflictError if
    either exists, unless `force`."""
    targets = export_paths(directory, force=force)
    directory.mkdir(parents=True, exist_ok=True)
    targets[0].write_bytes(export.json_bytes() + b"\n")
    targets[1].write_text(export.summary_markdown(sources), encoding="utf-8")
    return targets


def source_details(engine: Engine) -> dict[str, dict[str, Any]]:
    """Name, purpose and legal basis of every registered source, by id (for the summary)."""
    rows = engine.fetch_dicts("SELECT source_id, name, purpose, legal_basis FROM data_sources")
    return {str(r["source_id"]): r for r in rows}


class _Collector:
    def __init__(self, engine: Engine, subject: Subject, export: SubjectExport) -> None:
        self.engine = engine
        self.subject = subject
        self.export = export
        self.present = engine.table_names()
        self.ids = list(subject.person_ids)

    def run(self) -> None:
        self._rows("people", f"person_id IN {_IN}", [self.ids])
        for (table, column), handling in PERSON_COLUMNS.items():
            if table not in self.present:
                continue
            where, params = f'"{column}" IN {_IN}', [self.ids]
            if handling is Handling.CLEAR:
                if table == "people":
                    where += f" AND person_id NOT IN {_IN}"
                    params.append(self.ids)
                self.export.mentioned_by[f"{table}.{column}"] = self._count(table, where, params)
            elif handling is not Handling.SAME_PERSON:
                self._rows(table, where, params)
        self._dependents()
        for table in ("identities", "identity_blocks"):
            sql, params = ifi_predicate("ifi", self.subject)
            self._rows(table, sql, params)
        sql, params = ifi_predicate("actor_ifi", self.subject)
        self._rows("learning_events", sql, params)
        self._statements()
        self._documents()
        sql, params = quarantine_predicate(self.subject)
        self._rows("import_rejections", sql, params)

    def _count(self, table: str, where: str, params: list[Any]) -> int:
        row = self.engine.fetch_one(f'SELECT COUNT(*) FROM "{table}" WHERE {where}', params)
        return int(row[0]) if row else 0

    def _rows(self, table: str, where: str, params: list[Any], section: str | None = None) -> None:
        """Add `table`'s matching rows to its section (no duplicates, secrets left out)."""
        if table not in self.present:
            return
        name = section or table
        entity = current_entities()[table]
        columns = [
            c.name
            for c in entity.columns
            if (table, c.name) not in SECRET_COLUMNS and c.name in self._columns(table)
        ]
        select = ", ".join(_select(c, entity.column(c).type) for c in columns)
        rows = self.engine.fetch_dicts(f'SELECT {select} FROM "{table}" WHERE {where}', params)
        key = entity.primary_key or tuple(columns)  # a table without a key: whole rows
        held = self.export.sections.setdefault(name, [])
        seen = {tuple(str(r.get(k)) for k in key) for r in held}
        json_columns = {c for c in columns if entity.column(c).type is ColumnType.JSON}
        for row in rows:
            if tuple(str(row.get(k)) for k in key) in seen:
                continue
            for column in json_columns:
                if isinstance(row[column], str):
                    row[column] = orjson.loads(row[column])
            held.append(row)

    def _columns(self, table: str) -> set[str]:
        return set(self.engine.column_names(table))

    def _dependents(self) -> None:
        results = [str(r["result_id"]) for r in self.export.sections.get("assessment_results", [])]
        self._rows("item_responses", f"result_id IN {_IN}", [results])
        merges = [str(r["merge_id"]) for r in self.export.sections.get("person_merges", [])]
        self._rows("person_merge_rows", f"CAST(merge_id AS TEXT) IN {_IN}", [merges])
        users = [str(r["user_id"]) for r in self.export.sections.get("app_users", [])]
        self._rows("app_sessions", f"user_id IN {_IN}", [users])

    def _statements(self) -> None:
        if "xapi_statements" not in self.present:
            return
        where, params = statement_predicate(self.subject)
        rows = self.engine.fetch_all(
            "SELECT statement, voided, stored FROM xapi_statements "
            f"WHERE {where} ORDER BY stored, seq",
            params,
        )
        statements: list[dict[str, Any]] = []
        hashes: set[str] = set()
        for text, voided, _stored in rows:
            stmt = orjson.loads(text)
            if not mentions(stmt, self.subject):
                continue
            role = _role_in(stmt, self.subject)
            redacted = _redact_others(stmt, self.subject)
            statements.append({"role": role, "voided": bool(voided), "statement": redacted})
            hashes |= {a["sha2"] for a in stmt.get("attachments") or () if "sha2" in a}
        self.export.sections["xapi_statements"] = statements
        if "xapi_attachments" in self.present:
            self._rows("xapi_attachments", f"sha2 IN {_IN}", [sorted(hashes)])

    def _documents(self) -> None:
        sql, params = ifi_predicate("agent_ifi", self.subject)
        self._rows("lrs_documents", sql, params)
        for row in self.export.sections.get("lrs_documents", []):
            content_type = str(row.get("content_type") or "")
            if content_type.startswith(_TEXT_TYPES) and isinstance(row.get("content"), str):
                raw = base64.b64decode(row["content"])
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                row["content_text"] = text
                del row["content"]


def _role_in(stmt: dict[str, Any], subject: Subject) -> str:
    """How the person appears in `stmt`: actor, object, authority, or mentioned."""
    for key in ("actor", "object", "authority"):
        agent = stmt.get(key)
        if agent_matches(agent, subject) or (
            isinstance(agent, dict)
            and not any(k in agent for k in IFI_KEYS)
            and any(agent_matches(m, subject) for m in agent.get("member") or ())
        ):
            return key
    return "mentioned"


def _redact_others(value: Any, subject: Subject) -> Any:
    """`value` with the identifiers and names of other Agents and Groups removed: their data
    is not the person's to receive (GDPR Art. 15(4))."""
    if isinstance(value, dict):
        out = {key: _redact_others(item, subject) for key, item in value.items()}
        if any(key in value for key in IFI_KEYS) and not agent_matches(value, subject):
            for key in (*IFI_KEYS, "name"):
                out.pop(key, None)
            out["redacted"] = "another person or system"
        return out
    if isinstance(value, list):
        return [_redact_others(item, subject) for item in value]
    return value


def _select(column: str, kind: ColumnType) -> str:
    if kind is ColumnType.UUID:
        return f'CAST("{column}" AS TEXT) AS "{column}"'
    return f'"{column}"'


def _time_range(rows: list[dict[str, Any]]) -> tuple[str, str]:
    values: list[str] = []
    for row in rows:
        statement = row.get("statement")
        if isinstance(statement, dict) and isinstance(statement.get("timestamp"), str):
            values.append(statement["timestamp"][:10])
            continue
        for value in row.values():
            if isinstance(value, dt.datetime | dt.date):
                values.append(value.isoformat()[:10])
                break
            if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and "T" in value:
                values.append(value[:10])
                break
    return (min(values), max(values)) if values else ("-", "-")


def _text(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    return str(value)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")
