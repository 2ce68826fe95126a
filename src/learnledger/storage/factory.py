"""Open an engine from its URL: the scheme picks the adapter, imported only when used."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from urllib.parse import urlsplit

from learnledger.errors import StorageError
from learnledger.storage.engine import Engine

#: URL scheme -> (module, class) of the adapter that serves it.
ADAPTERS: dict[str, tuple[str, str]] = {
    "duckdb": ("learnledger.storage.duckdb_engine", "DuckDBEngine"),
    "postgresql": ("learnledger.storage.postgres_engine", "PostgresEngine"),
    "postgres": ("learnledger.storage.postgres_engine", "PostgresEngine"),
}


def open_engine(url: str) -> Engine:
    """Open the engine named by `url`, e.g. ``duckdb:///data/ll.duckdb`` or
    ``postgresql://user@host:5432/db?schema=learnledger``.

    Raises StorageError for an unknown scheme and EngineUnavailableError when the database
    cannot be opened or reached.
    """
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme not in ADAPTERS:
        accepted = ", ".join(f"{s}://" for s in ADAPTERS)
        raise StorageError(f"unsupported engine URL scheme {scheme!r}; accepted: {accepted}")
    module_name, class_name = ADAPTERS[scheme]
    adapter: Callable[[str], Engine] = getattr(importlib.import_module(module_name), class_name)
    return adapter(url)
