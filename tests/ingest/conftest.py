"""Fixtures of the ingest tests: a migrated store with registered sources, file writers."""

from __future__ import annotations

from pathlib import Path

import pytest

from learnledger.ingest import DataSource, SourceRegistry
from learnledger.storage import Engine, Migrator


def register_sources(engine: Engine) -> None:
    """Migrate `engine` and register the sources the tests import from."""
    Migrator(engine).migrate()
    registry = SourceRegistry(engine)
    for source_id, kind in (("hris", "hris"), ("perf", "performance")):
        registry.add(
            DataSource(
                source_id=source_id,
                name=f"{source_id} export",
                kind=kind,
                owner="People Operations",
                purpose="Link training to performance",
                legal_basis="legitimate_interest",
                personal_data_categories="identification,employment",
            )
        )


@pytest.fixture
def store(engine: Engine) -> Engine:
    """`engine` (both kinds) migrated, with sources ``hris`` and ``perf`` registered."""
    register_sources(engine)
    return engine


@pytest.fixture
def write(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write text to a file under tmp_path and return its path."""

    def _write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return _write
