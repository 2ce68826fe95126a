"""Keeps the slowest pages' results ready: after new data, the server recomputes them in the
background instead of on the first visitor's request.

Every `interval` the warmer brings these caches up to the current data version, in this order:

1. the executive overview (ROI of every programme), default filters;
2. every programme page with its default filters (the view and its drawn charts);
3. the segment explorer's default view and every pinned dashboard view, for the scope of each
   enabled user who may see aggregates (at most `MAX_SCOPES` distinct scopes);
4. the programme pages (with their filters) and explorer views people asked for recently (the
   last 32 of each, as the caches remember them), in the scope they were asked in.

Each cache compares the data version and recomputes only when the data changed (a few
milliseconds otherwise). The warmer stops between two steps when the server shuts down, and
the server waits for the step in progress, so the database is never closed under it. Failures
are logged (no personal data) and tried again at the next interval.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from learnledger.config import Settings
from learnledger.errors import LearnLedgerError
from learnledger.governance.access import Capability, decide
from learnledger.governance.actors import Actor, Role
from learnledger.governance.consent import ANALYTICS
from learnledger.governance.users import UserDirectory
from learnledger.impact.programme_view import ProgrammeFilters
from learnledger.metrics.explorer import ExplorerQuery
from learnledger.metrics.runner import RunContext
from learnledger.metrics.saved_views import SavedViewService
from learnledger.web.catalogue_cache import state_catalogue
from learnledger.web.explorer_cache import explore_in
from learnledger.web.result_cache import aggregate_scope_key, app_cache
from learnledger.web.routes_executive import ExecutiveCache, executive_request
from learnledger.web.routes_programme import (
    cached_programme_view,
    programme_cache,
    programme_page,
    programme_svgs,
)

LOG = logging.getLogger(__name__)

#: Most distinct user scopes whose explorer views are warmed per round.
MAX_SCOPES = 50
#: Most pinned views warmed per scope (a dashboard draws 12).
PINNED_PER_SCOPE = 12
#: The identity the warmer computes the organisation-wide views as.
WARMER = Actor(user_id="system:cache-warmer", role=Role.ANALYST)


def warm_once(app: Starlette, stopping: threading.Event | None = None) -> int:
    """Bring the page caches up to the current data version; returns the steps run. Stops
    between steps once `stopping` is set."""
    steps = 0
    for step in warm_steps(app.state):
        if stopping is not None and stopping.is_set():
            break
        try:
            step()
        except LearnLedgerError as error:  # e.g. a programme without data: its page says so
            LOG.info("a cache-warming step was skipped: %s", type(error).__name__)
        steps += 1
    return steps


def warm_steps(state: State) -> Iterator[Callable[[], object]]:
    """The warming steps, one per page view, in the order of the module docstring."""
    cache: ExecutiveCache = state.executive_cache
    yield lambda: cache.overview(state.engine, state.settings, executive_request({}))
    programmes = [str(row[0]) for row in state.engine.fetch_all(_PROGRAMMES_SQL)]
    for programme_id in programmes:
        yield functools.partial(_warm_programme, state, programme_id)
    settings: Settings = state.settings
    context = RunContext(
        min_group_size=settings.min_group_size,
        fiscal_year_start_month=settings.fiscal_year_start_month,
        currency=settings.currency,
        analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
    )
    for actor, queries in _explorer_views(state):
        for query in queries:
            yield functools.partial(
                explore_in, state, state_catalogue(state), actor, query, context, remember=False
            )
    for programme_id, filters in programme_cache(state).recipes():
        yield functools.partial(_warm_programme, state, programme_id, filters)
    for actor, query, asked_context in app_cache(state, "explorer_cache").recipes():
        yield functools.partial(
            explore_in, state, state_catalogue(state), actor, query, asked_context, remember=False
        )


_PROGRAMMES_SQL = "SELECT programme_id FROM programmes ORDER BY programme_id"


def _warm_programme(
    state: State, programme_id: str, filters: ProgrammeFilters | None = None
) -> None:
    chosen = filters or ProgrammeFilters()
    key, view = cached_programme_view(state, programme_id, chosen, remember=False)
    programme_svgs(state, key, programme_page(view))


def _explorer_views(state: State) -> list[tuple[Actor, list[ExplorerQuery]]]:
    """(actor, queries) per distinct scope: the organisation-wide default first, then each
    enabled user's scope with the default view and their pinned views."""
    service = SavedViewService(state.engine, state.audit, state_catalogue(state))
    chosen: dict[tuple[object, ...], tuple[Actor, list[ExplorerQuery]]] = {
        aggregate_scope_key(WARMER): (WARMER, [ExplorerQuery()])
    }
    for user in UserDirectory(state.engine, state.audit).list(include_disabled=False):
        actor = user.actor()
        if not decide(actor, Capability.VIEW_AGGREGATES).allowed:
            continue
        key = aggregate_scope_key(actor)
        if key not in chosen:
            if len(chosen) >= MAX_SCOPES:
                continue
            chosen[key] = (actor, [ExplorerQuery()])
        queries = chosen[key][1]
        for view in service.pinned(actor)[:PINNED_PER_SCOPE]:
            if view.query not in queries:
                queries.append(view.query)
    return list(chosen.values())


@dataclass
class WarmerHandle:
    """The running warmer thread; `stop` asks it to stop and waits for it."""

    thread: threading.Thread
    stopping: threading.Event

    async def stop(self) -> None:
        """Stop after the step in progress, and wait for it (in a worker thread)."""
        self.stopping.set()
        await run_in_threadpool(self.thread.join)


def start_cache_warmer(app: Starlette, interval: dt.timedelta) -> WarmerHandle:
    """Warm at once, then every `interval`, in a background thread."""
    stopping = threading.Event()

    def run_forever() -> None:
        while not stopping.is_set():
            try:
                warm_once(app, stopping)
            except Exception:
                LOG.exception("warming the page caches failed; trying again later")
            stopping.wait(interval.total_seconds())

    thread = threading.Thread(target=run_forever, name="cache-warmer", daemon=True)
    thread.start()
    return WarmerHandle(thread, stopping)
