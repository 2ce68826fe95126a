"""Identity resolution: link xAPI actors and LMS accounts to HR people by configurable rules,
report what stays unlinked, merge duplicate person records and split wrong links, with audit.

```python
from learnledger.identity import load_rules, resolve_identities, identity_report

summary = resolve_identities(engine, load_rules("rules.yml"), dry_run=True)
report = identity_report(engine, load_rules(), role="data_steward")
```

The package sits between the domain services (lrs, ingest, metrics), which call it, and
storage: it imports only storage, core, config and errors.
"""

from learnledger.identity.hooks import resolve_after_people_import
from learnledger.identity.merges import MergeResult, merge_persons
from learnledger.identity.references import PersonReference, person_references
from learnledger.identity.report import IdentityReport, UnlinkedIdentifier, identity_report
from learnledger.identity.resolver import ResolutionSummary, link_events, resolve_identities
from learnledger.identity.rule_store import record_rules, rules_in_force
from learnledger.identity.rules import (
    DEFAULT_RULES_PATH,
    IdentityRule,
    IdentityRules,
    load_rules,
    parse_rules,
)
from learnledger.identity.splits import SplitResult, link_identifier, split_identity

__all__ = [
    "DEFAULT_RULES_PATH",
    "IdentityReport",
    "IdentityRule",
    "IdentityRules",
    "MergeResult",
    "PersonReference",
    "ResolutionSummary",
    "SplitResult",
    "UnlinkedIdentifier",
    "identity_report",
    "link_events",
    "link_identifier",
    "load_rules",
    "merge_persons",
    "parse_rules",
    "person_references",
    "record_rules",
    "resolve_after_people_import",
    "resolve_identities",
    "rules_in_force",
    "split_identity",
]
