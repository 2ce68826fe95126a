"""The LRS domain services: statements (store, query, formats, attachments, signatures),
canonical Activity definitions, credentials, and the document resources."""

from learnledger.lrs.person_links import relink_events
from learnledger.lrs.statement_store import StatementStore

__all__ = ["StatementStore", "relink_events"]
