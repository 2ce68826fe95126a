"""Data integration: readers, declarative mappings, column-wise checks, atomic imports.

```python
from learnledger.ingest import DataSource, Importer, SourceRegistry

SourceRegistry(engine).add(DataSource("hris", "HR roster", "hris", "People Ops", ...))
report = Importer(engine).run("roster.csv", HRIS_ROSTER_MAPPING, source_id="hris")
```
"""

from pathlib import Path

from learnledger.ingest.importer import EntityCounts, Importer, ImportReport
from learnledger.ingest.mapping import Mapping, load_mapping, parse_mapping
from learnledger.ingest.quarantine import Rejection, rejections_of
from learnledger.ingest.sources import DataSource, SourceRegistry
from learnledger.ingest.statement_files import import_statement_file

#: Mappings shipped with LearnLedger, e.g. ``hris_roster.yml``.
MAPPINGS_DIR = Path(__file__).parent / "mappings"
HRIS_ROSTER_MAPPING = MAPPINGS_DIR / "hris_roster.yml"

__all__ = [
    "HRIS_ROSTER_MAPPING",
    "MAPPINGS_DIR",
    "DataSource",
    "EntityCounts",
    "ImportReport",
    "Importer",
    "Mapping",
    "Rejection",
    "SourceRegistry",
    "import_statement_file",
    "load_mapping",
    "parse_mapping",
    "rejections_of",
]
