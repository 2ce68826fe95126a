"""Linking learning events to people through ``identities`` (actor IFI -> person_id)."""

from __future__ import annotations

from collections.abc import Iterable

from learnledger.storage.engine import Engine

_PERSON_IDS_SQL = (
    "SELECT ifi, person_id FROM identities WHERE ifi IN (SELECT unnest(CAST(? AS TEXT[])))"
)
_RELINK_SQL = (
    "UPDATE learning_events SET person_id = identities.person_id FROM identities "
    "WHERE identities.ifi = learning_events.actor_ifi AND learning_events.person_id IS NULL"
)


def person_ids_for(engine: Engine, ifis: Iterable[str]) -> dict[str, str]:
    """The person of each of `ifis` that ``identities`` knows (unknown ones are left out)."""
    wanted = sorted(set(ifis))
    if not wanted:
        return {}
    return {str(ifi): str(person) for ifi, person in engine.fetch_all(_PERSON_IDS_SQL, [wanted])}


def relink_events(engine: Engine) -> int:
    """Fill ``learning_events.person_id`` where it is NULL and the actor's IFI now has an
    identity, in one UPDATE; return the number of events linked (-1 if the engine cannot tell).
    """
    return engine.execute(_RELINK_SQL)
