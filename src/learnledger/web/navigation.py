"""The links a signed-in user's header and start page show: only pages their role may open."""

from __future__ import annotations

from learnledger.governance.access import Capability, ScopeKind, decide
from learnledger.governance.actors import Actor, Role


def nav_links(actor: Actor | None) -> list[dict[str, str]]:
    """(href, label) of each page `actor` may open, in reading order."""
    if actor is None:
        return []
    aggregates = decide(actor, Capability.VIEW_AGGREGATES)
    org_wide = aggregates.allowed and aggregates.scope.kind is ScopeKind.ALL
    links: list[dict[str, str]] = []
    if org_wide:
        links.append({"href": "/executive", "label": "Executive overview"})
    if org_wide or actor.role is Role.PROGRAMME_OWNER:
        links.append({"href": "/programmes", "label": "Programmes"})
    if aggregates.allowed:
        links.append({"href": "/explore", "label": "Explore"})
        links.append({"href": "/dashboard", "label": "My dashboard"})
        links.append({"href": "/metrics", "label": "Metric catalogue"})
        links.append({"href": "/workforce", "label": "Workforce planning"})
    if actor.role in (Role.ADMIN, Role.MANAGER):
        links.append({"href": "/team", "label": "Team"})
    if actor.person_id is not None:
        links.append({"href": "/me", "label": "My learning"})
    if decide(actor, Capability.VIEW_GOVERNANCE).allowed:
        links.append({"href": "/governance", "label": "Data and governance"})
    return links
