"""Governance: users and roles, access rules, privacy (pseudonyms, small cells), consent,
retention, data subject requests, the tamper-evident audit log and source reviews.

Every service that reads or writes personal data asks this package what an actor may see and
records what was done in the audit log.
"""
