"""Fixtures of the governance tests: a migrated store on both engines, a fixed key ring, the
audit log and a few registered data sources."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import orjson
import pytest

from learnledger.governance.audit import CHAIN, GENESIS_HASH, AuditLog, _entry_hash
from learnledger.governance.keys import KeyRing
from learnledger.ingest import DataSource, SourceRegistry
from learnledger.storage import Engine, Migrator

TEST_SECRET = b"governance-tests-secret-key"
TODAY = dt.date(2026, 3, 15)


@pytest.fixture
def store(engine: Engine) -> Engine:
    """`engine` (both kinds), migrated."""
    Migrator(engine).migrate()
    return engine


@pytest.fixture
def keys() -> KeyRing:
    """A key ring with a fixed test secret."""
    return KeyRing(TEST_SECRET)


@pytest.fixture
def audit(store: Engine, keys: KeyRing) -> AuditLog:
    """The audit log of `store`, sealed with the test key."""
    return AuditLog(store, keys)


@pytest.fixture
def rechain(store: Engine) -> Callable[..., None]:
    """A forger without the secret key: `rechain(seal_key=None)` recomputes every entry's
    hash and link from the stored fields and, when `seal_key` (a guessed key) is given,
    reseals the head over the new last entry with it."""

    def forge(seal_key: bytes | None = None) -> None:
        rows = store.fetch_all(
            "SELECT seq, occurred_at, actor, action, target, details FROM audit_events ORDER BY seq"
        )
        prev = GENESIS_HASH
        for seq, moment, actor, action, target, details in rows:
            parsed = orjson.loads(details) if details is not None else None
            text = orjson.dumps(parsed, option=orjson.OPT_SORT_KEYS).decode()
            entry_hash = _entry_hash(seq, moment, actor, action, target, text, prev)
            store.execute(
                "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?",
                [prev, entry_hash, seq],
            )
            prev = entry_hash
        if seal_key is not None:
            last_seq = int(rows[-1][0]) if rows else 0
            seal = AuditLog(store, KeyRing(seal_key))._seal(last_seq, prev)
            store.execute(
                "UPDATE audit_chain_head SET seq = ?, hash = ?, seal = ? WHERE chain = ?",
                [last_seq, prev, seal, CHAIN],
            )

    return forge


@pytest.fixture
def today() -> dt.date:
    """The fixed "today" the review tests run on."""
    return TODAY


@pytest.fixture
def sources(store: Engine) -> SourceRegistry:
    """Three registered sources: ``hris`` (personal data, never reviewed), ``lms`` (personal
    data, review overdue since 2026-02-01) and ``kpi`` (no personal data, never reviewed)."""
    registry = SourceRegistry(store)
    registry.add(
        DataSource(
            source_id="hris",
            name="HR roster",
            kind="hris",
            owner="People Operations",
            purpose="Link training to performance",
            legal_basis="legitimate_interest",
            personal_data_categories="identification,employment",
            retention_days=1095,
        )
    )
    registry.add(
        DataSource(
            source_id="lms",
            name="Learning management system",
            kind="lms",
            owner="L&D",
            purpose="Course completions",
            legal_basis="legitimate_interest",
            personal_data_categories="identification,learning",
            vendor="Acme LMS",
            dpa_status="signed",
            review_status="approved",
            last_reviewed_on=dt.date(2025, 2, 1),
            next_review_due=dt.date(2026, 2, 1),
            retention_days=730,
        )
    )
    registry.add(
        DataSource(
            source_id="kpi",
            name="Sales KPIs",
            kind="kpi",
            owner="Finance",
            purpose="Business outcomes",
            legal_basis="legitimate_interest",
            contains_personal_data=False,
        )
    )
    return registry
