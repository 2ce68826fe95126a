"""Saved views: a metric with its filters and chart, saved by a user, pinned to dashboards,
shared or deleted.

Rules:

- A view stores the explorer query as its owner asked for it (`ExplorerQuery`), never the
  owner's scope. Whoever opens a view runs it through the explorer, narrowed to *their* scope.
- Saving checks the query against the metric (known metric, allowed breakdown and filters)
  and against the saver's own scope (a manager cannot save a view of another unit); the name
  is 1-100 characters; a user keeps at most `MAX_VIEWS_PER_USER` views.
- A view is personal until its owner shares it; a shared view is visible to every user whose
  role may see its metric (`may_see_metric`). Only the owner shares, unshares or deletes it;
  unsharing and deleting remove other users' pins of it.
- Any user who may see a view may pin it to their own dashboard, and unpin it.
- Saves, deletes and sharing changes are audited (view id, metric and shared flag; never the
  name, which a user types freely).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from learnledger.errors import NotFoundError, PermissionDeniedError, ValidationError
from learnledger.governance.access import AccessService, Capability, require
from learnledger.governance.actors import Actor
from learnledger.governance.audit import AuditLog
from learnledger.metrics.catalogue import Catalogue
from learnledger.metrics.explorer import ExplorerQuery, check_query, may_see_metric
from learnledger.storage import Engine

MAX_NAME = 100
MAX_VIEWS_PER_USER = 100
_COLUMNS = (
    "v.view_id, v.owner_user_id, v.name, v.metric_id, v.by_segment, v.period, v.compare, "
    "v.filters, v.display, v.shared, v.created_at, v.updated_at"
)


@dataclass(frozen=True)
class SavedView:
    """A saved view as one user sees it: `mine` when they own it, `pinned` when it is on
    their dashboard."""

    view_id: str
    owner_user_id: str
    name: str
    query: ExplorerQuery
    shared: bool
    created_at: dt.datetime
    updated_at: dt.datetime | None
    mine: bool
    pinned: bool

    def as_json(self) -> dict[str, Any]:
        """JSON-ready view (the owner only as "mine": user ids are not shown to others)."""
        return {
            "view_id": self.view_id,
            "name": self.name,
            "metric": self.query.metric_id,
            "query": self.query.query_string(),
            "shared": self.shared,
            "mine": self.mine,
            "pinned": self.pinned,
            "created_at": self.created_at.isoformat(),
        }


class SavedViewService:
    """Save, list, pin, share and delete views, with the rules in this module's docstring."""

    def __init__(self, engine: Engine, audit: AuditLog, catalogue: Catalogue) -> None:
        self.engine = engine
        self.audit = audit
        self.catalogue = catalogue

    def save(
        self,
        actor: Actor,
        name: str,
        query: ExplorerQuery,
        *,
        shared: bool = False,
        pin: bool = False,
        now: dt.datetime | None = None,
    ) -> SavedView:
        """Save `query` as `name` for `actor`; ValidationError names the field at fault,
        PermissionDeniedError says why the actor may not save it."""
        require(actor, Capability.VIEW_AGGREGATES)
        title = " ".join(name.split())
        if not title:
            raise ValidationError("name", "give the view a name")
        if len(title) > MAX_NAME:
            raise ValidationError("name", f"at most {MAX_NAME} characters, not {len(title)}")
        definition = self.catalogue.get(query.metric_id)
        check_query(definition, query)
        if not may_see_metric(actor, definition):
            raise PermissionDeniedError(
                f"the {actor.role.value.replace('_', ' ')} role may not see {definition.id}"
            )
        AccessService(self.engine).metric_filters(actor, query.filters, definition.segments)
        moment = now or dt.datetime.now(dt.UTC)
        view_id = f"VIEW-{uuid.uuid4().hex[:16]}"
        with self.audit.transaction():
            count = self.engine.fetch_one(
                "SELECT COUNT(*) FROM saved_views WHERE owner_user_id = ?", [actor.user_id]
            )
            if count is not None and int(count[0]) >= MAX_VIEWS_PER_USER:
                raise ValidationError(
                    "name", f"you have {MAX_VIEWS_PER_USER} saved views; delete one first"
                )
            self.engine.execute(
                "INSERT INTO saved_views (view_id, owner_user_id, name, metric_id, by_segment, "
                "period, compare, filters, display, shared, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    view_id,
                    actor.user_id,
                    title,
                    query.metric_id,
                    query.by,
                    query.period,
                    query.compare,
                    json.dumps(dict(sorted(query.filters.items()))),
                    query.display,
                    shared,
                    moment,
                    moment,
                ],
            )
            if pin:
                self._pin(actor, view_id, moment)
            self._audit(actor, "saved_view_save", view_id, query.metric_id, shared, moment)
        return self.get(actor, view_id)

    def visible(self, actor: Actor) -> list[SavedView]:
        """The views `actor` may see: their own, then others' shared views whose metric their
        role may see; newest first within each."""
        rows = self.engine.fetch_all(
            f"SELECT {_COLUMNS}, p.pinned_at FROM saved_views v "
            "LEFT JOIN saved_view_pins p ON p.view_id = v.view_id AND p.user_id = ? "
            "WHERE v.owner_user_id = ? OR v.shared "
            "ORDER BY CASE WHEN v.owner_user_id = ? THEN 0 ELSE 1 END, v.created_at DESC, "
            "v.view_id",
            [actor.user_id, actor.user_id, actor.user_id],
        )
        views = [self._view(actor, row) for row in rows]
        return [v for v in views if v.mine or self._may_see(actor, v)]

    def pinned(self, actor: Actor) -> list[SavedView]:
        """The views on `actor`'s dashboard, in the order they were pinned."""
        rows = self.engine.fetch_all(
            f"SELECT {_COLUMNS}, p.pinned_at FROM saved_view_pins p "
            "JOIN saved_views v ON v.view_id = p.view_id WHERE p.user_id = ? "
            "ORDER BY p.pinned_at, v.view_id",
            [actor.user_id],
        )
        views = [self._view(actor, row) for row in rows]
        return [v for v in views if v.mine or (v.shared and self._may_see(actor, v))]

    def get(self, actor: Actor, view_id: str) -> SavedView:
        """The view `view_id` if `actor` may see it; NotFoundError otherwise (a view they may
        not see is reported as missing, not as forbidden)."""
        row = self.engine.fetch_one(
            f"SELECT {_COLUMNS}, p.pinned_at FROM saved_views v "
            "LEFT JOIN saved_view_pins p ON p.view_id = v.view_id AND p.user_id = ? "
            "WHERE v.view_id = ?",
            [actor.user_id, view_id],
        )
        view = self._view(actor, row) if row is not None else None
        if view is None or not (view.mine or (view.shared and self._may_see(actor, view))):
            raise NotFoundError(f"no saved view {view_id!r} you may see")
        return view

    def pin(self, actor: Actor, view_id: str, now: dt.datetime | None = None) -> SavedView:
        """Put `view_id` on `actor`'s dashboard (no change when it is already there)."""
        view = self.get(actor, view_id)
        if not view.pinned:
            with self.engine.transaction():
                self._pin(actor, view_id, now or dt.datetime.now(dt.UTC))
        return self.get(actor, view_id)

    def unpin(self, actor: Actor, view_id: str) -> SavedView:
        """Take `view_id` off `actor`'s dashboard."""
        self.get(actor, view_id)
        self.engine.execute(
            "DELETE FROM saved_view_pins WHERE user_id = ? AND view_id = ?",
            [actor.user_id, view_id],
        )
        return self.get(actor, view_id)

    def set_shared(
        self, actor: Actor, view_id: str, shared: bool, now: dt.datetime | None = None
    ) -> SavedView:
        """Share or unshare `actor`'s own view; unsharing removes others' pins of it."""
        view = self._own(actor, view_id, "share")
        moment = now or dt.datetime.now(dt.UTC)
        if view.shared == shared:
            return view
        with self.audit.transaction():
            self.engine.execute(
                "UPDATE saved_views SET shared = ?, updated_at = ? WHERE view_id = ?",
                [shared, moment, view_id],
            )
            if not shared:
                self.engine.execute(
                    "DELETE FROM saved_view_pins WHERE view_id = ? AND user_id <> ?",
                    [view_id, actor.user_id],
                )
            action = "saved_view_share" if shared else "saved_view_unshare"
            self._audit(actor, action, view_id, view.query.metric_id, shared, moment)
        return self.get(actor, view_id)

    def delete(self, actor: Actor, view_id: str, now: dt.datetime | None = None) -> None:
        """Delete `actor`'s own view and every pin of it."""
        view = self._own(actor, view_id, "delete")
        moment = now or dt.datetime.now(dt.UTC)
        with self.audit.transaction():
            self.engine.execute("DELETE FROM saved_view_pins WHERE view_id = ?", [view_id])
            self.engine.execute("DELETE FROM saved_views WHERE view_id = ?", [view_id])
            self._audit(
                actor, "saved_view_delete", view_id, view.query.metric_id, view.shared, moment
            )

    def _own(self, actor: Actor, view_id: str, verb: str) -> SavedView:
        view = self.get(actor, view_id)
        if not view.mine:
            raise PermissionDeniedError(f"only the user who saved view {view_id!r} may {verb} it")
        return view

    def _pin(self, actor: Actor, view_id: str, moment: dt.datetime) -> None:
        self.engine.execute(
            "INSERT INTO saved_view_pins (user_id, view_id, pinned_at) VALUES (?, ?, ?)",
            [actor.user_id, view_id, moment],
        )

    def _may_see(self, actor: Actor, view: SavedView) -> bool:
        try:
            definition = self.catalogue.get(view.query.metric_id)
        except NotFoundError:  # a user-defined metric that was removed
            return False
        return may_see_metric(actor, definition)

    def _view(self, actor: Actor, row: tuple[Any, ...]) -> SavedView:
        filters = row[7]
        parsed = json.loads(filters) if isinstance(filters, str) else dict(filters or {})
        query = ExplorerQuery(
            metric_id=str(row[3]),
            by=row[4],
            period=row[5],
            compare=row[6],
            filters={str(k): str(v) for k, v in parsed.items()},
            display=str(row[8]),
        )
        return SavedView(
            view_id=str(row[0]),
            owner_user_id=str(row[1]),
            name=str(row[2]),
            query=query,
            shared=bool(row[9]),
            created_at=row[10],
            updated_at=row[11],
            mine=str(row[1]) == actor.user_id,
            pinned=row[12] is not None,
        )

    def _audit(
        self,
        actor: Actor,
        action: str,
        view_id: str,
        metric_id: str,
        shared: bool,
        moment: dt.datetime,
    ) -> None:
        self.audit.append(
            actor=actor.audit_name,
            action=action,
            target=view_id,
            details={"metric_id": metric_id, "shared": shared},
            occurred_at=moment,
        )
