"""The demo company: a synthetic organisation with known causal ground truth.

```python
from learnledger.demo import build_demo, ground_truth_path_for, write_ground_truth

summary = build_demo(engine, people=5000, months=24, seed=7)
write_ground_truth(summary.ground_truth, ground_truth_path_for("learnledger.duckdb"))
```

`build_demo` writes every table of the canonical model (xAPI statements through the LRS's
`StatementBulkLoader`, the same rows its `StatementStore` would write); the ground truth says
what each programme truly did, so that the impact and ROI analytics can be checked against it.
The scenario is data (`scenario.py`, `programmes.py`); the generators are one module per
stage.
"""

from learnledger.demo.builder import DemoSummary, ProgressCallback, build_demo
from learnledger.demo.ground_truth import (
    GroundTruth,
    ground_truth_path_for,
    read_ground_truth,
    write_ground_truth,
)
from learnledger.demo.scenario import DEFAULT_SCENARIO

__all__ = [
    "DEFAULT_SCENARIO",
    "DemoSummary",
    "GroundTruth",
    "ProgressCallback",
    "build_demo",
    "ground_truth_path_for",
    "read_ground_truth",
    "write_ground_truth",
]
