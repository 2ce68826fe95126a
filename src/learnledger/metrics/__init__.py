"""Metrics: definitions, catalogue, segmentation and execution on any engine.

```python
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.runner import MetricRequest, RunContext, run_metric

catalogue = load_catalogue()            # built-ins (+ user YAML directories)
result = run_metric(engine, catalogue.get("completion_rate"),
                    MetricRequest(by="programme", period="quarter", compare="previous"),
                    RunContext(min_group_size=5))
```

Modules: `definition` (the model), `loader` (YAML, strict validation), `catalogue`
(built-ins, user files, export), `expressions` (the formula language), `bases` (portable base
views), `compiler` (aggregates -> SQL), `periods`, `segments` (labels, org roll-up), `privacy`
(small-cell and complementary suppression), `objectives` (plan vs actual), `runner`, `results`,
and `overview` (the organisation overview page).
"""
