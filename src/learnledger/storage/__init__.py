"""Storage: the engine port, its DuckDB and PostgreSQL adapters, DDL rendering and migrations.

```python
from learnledger.storage import open_engine, Migrator

with open_engine("duckdb:///learnledger.duckdb") as engine:
    Migrator(engine).migrate()
    engine.fetch_all("SELECT count(*) FROM people WHERE org_unit_id = ?", ["OU-1"])
```
"""

from learnledger.storage.engine import Engine
from learnledger.storage.factory import open_engine
from learnledger.storage.migrator import MigrationStatus, Migrator

__all__ = ["Engine", "MigrationStatus", "Migrator", "open_engine"]
