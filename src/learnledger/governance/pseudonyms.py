"""Stable keyed pseudonyms for people, used instead of names and e-mails in analytics,
model features and exports for roles that may not see identities.

``pseudonym(person_id) = "p<version>-" + HMAC-SHA-256(key_v, person_id)[:20 hex]``, where the
key is derived from the secret key and ``pseudonym_key_version``. The same person gets the
same pseudonym under the same key (joins across exports work); without the key a pseudonym
cannot be linked back. Rotating (raising the version or changing the secret) changes every
pseudonym at once, and the version prefix says which key made one.
"""

from __future__ import annotations

from dataclasses import dataclass

from learnledger.governance.keys import KeyRing


@dataclass(frozen=True)
class Pseudonymiser:
    """Turns person ids into pseudonyms under one key version."""

    keys: KeyRing
    version: int = 1

    def pseudonym(self, person_id: str) -> str:
        """The pseudonym of `person_id` under this key version."""
        digest = self.keys.fingerprint(f"pseudonym:v{self.version}", person_id)
        return f"p{self.version}-{digest[:20]}"

    def mapping(self, person_ids: list[str]) -> dict[str, str]:
        """Pseudonyms for many people at once."""
        return {person_id: self.pseudonym(person_id) for person_id in person_ids}
