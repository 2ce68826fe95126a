"""xAPI statements: validation rules (1.0.3 and 2.0) and the LRS's normal forms.

Pure code: imports only the standard library, orjson and `learnledger.errors`.
"""

from learnledger.core.xapi.normalise import (
    actor_ifi,
    canonical_json,
    prepare_statement,
)
from learnledger.core.xapi.validation import (
    SUPPORTED_VERSIONS,
    VOIDED_VERB,
    validate_agent,
    validate_authority,
    validate_statement,
    validate_statements,
)

__all__ = [
    "SUPPORTED_VERSIONS",
    "VOIDED_VERB",
    "actor_ifi",
    "canonical_json",
    "prepare_statement",
    "validate_agent",
    "validate_authority",
    "validate_statement",
    "validate_statements",
]
