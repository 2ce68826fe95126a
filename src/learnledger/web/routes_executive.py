"""Routes: The executive overview and its one-page report.

`/executive` (with `.json`, `.csv?table=roi|leading|lagging|cards`, `.svg`/`.png?chart=roi`
twins) and `/executive.pdf`, the printable one-page report with the same numbers. The page
covers the whole organisation, so only organisation-wide roles (admin, analyst, executive)
see it; programme owners and managers are refused (403) and find their programmes' ROI on
the programme page.

ROI runs take about 0.3 s per programme: they are computed once per data version
(`learnledger.metrics.data_version`) and kept in ``app.state.executive_cache``; the
assembled page is cached per data version and period too, and `web/cache_warmer.py` fills the
cache in the background after new data.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from learnledger.config import Settings
from learnledger.errors import ValidationError
from learnledger.governance.access import Capability, ScopeKind, decide
from learnledger.governance.consent import ANALYTICS
from learnledger.impact.executive import (
    DEFAULT_PERIOD,
    ExecutiveRequest,
    ProgrammeRoi,
    executive_overview,
    programme_rois,
)
from learnledger.metrics.catalogue import load_catalogue
from learnledger.metrics.data_version import data_version
from learnledger.metrics.runner import RunContext
from learnledger.storage.engine import Engine
from learnledger.web.charts import TipField, chart_spec, render_png
from learnledger.web.lineage import freshness, with_lineage
from learnledger.web.page_kit import Page, render_page
from learnledger.web.report_pdf import NO_PROGRAMMES, executive_pdf, format_change, format_value
from learnledger.web.security import audit_request, guarded, guarded_actor, refusal

PAGES_KEPT = 32
REFUSED = (
    "The executive overview covers the whole organisation; see your programmes' ROI on the "
    "programme pages (/programmes)."
)


class ExecutiveCache:
    """ROI runs per data version and assembled overviews per (version, period, end)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._rois: list[ProgrammeRoi] = []
        self._pages: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
        self.roi_runs = 0  # how many times ROI was computed (tests read it)
        self.computed_at = ""

    def overview(
        self, engine: Engine, settings: Settings, request: ExecutiveRequest
    ) -> dict[str, Any]:
        """The overview context for `request`, computing ROI only when the data changed."""
        version = data_version(engine)
        with self._lock:
            self._refresh(engine, settings, version)
            key = (request.period, request.end, request.programme)
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
            rois = list(self._rois)
            computed_at = self.computed_at
        folders = [Path(settings.metrics_dir)] if settings.metrics_dir else []
        context = RunContext(
            min_group_size=settings.min_group_size,
            fiscal_year_start_month=settings.fiscal_year_start_month,
            currency=settings.currency,
            analytics_opt_in=ANALYTICS in settings.consent_opt_in_purposes,
        )
        page = executive_overview(engine, load_catalogue(folders), rois, request, context).as_dict()
        page["roi_as_of"] = computed_at
        with self._lock:
            if version == self._version:
                self._pages[key] = page
                while len(self._pages) > PAGES_KEPT:
                    self._pages.popitem(last=False)
        return page

    def rois(self, engine: Engine, settings: Settings) -> list[ProgrammeRoi]:
        """Every programme's ROI for the data as it is now (computed once per data version;
        the recommendations reuse it)."""
        version = data_version(engine)
        with self._lock:
            self._refresh(engine, settings, version)
            return list(self._rois)

    def _refresh(self, engine: Engine, settings: Settings, version: tuple[Any, ...]) -> None:
        """Recompute ROI when the data changed (the caller holds the lock)."""
        if version != self._version:
            self._rois = programme_rois(
                engine, consent_opt_in=ANALYTICS in settings.consent_opt_in_purposes
            )
            self._version = version
            self.computed_at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
            self._pages.clear()
            self.roi_runs += 1


def executive_request(query: dict[str, str]) -> ExecutiveRequest:
    """The filters from the URL: ``?period=quarter&end=2026-06-30`` (and ``&programme=ID``
    for the report of one programme)."""
    period = query.get("period") or DEFAULT_PERIOD
    end_text = query.get("end") or ""
    try:
        end = dt.date.fromisoformat(end_text) if end_text else None
    except ValueError:
        raise ValidationError("end", f"{end_text!r} is not a date (YYYY-MM-DD)") from None
    return ExecutiveRequest(period=period, end=end, programme=query.get("programme") or None)


@guarded(Capability.VIEW_AGGREGATES)
async def executive(request: Request) -> Response:
    """The executive overview (HTML and twins) and its one-page PDF report."""
    actor = guarded_actor(request)
    if decide(actor, Capability.VIEW_AGGREGATES).scope.kind is not ScopeKind.ALL:
        return refusal(request, 403, REFUSED)
    fmt = str(request.path_params.get("fmt", "html"))
    wanted = executive_request(dict(request.query_params))
    settings: Settings = request.app.state.settings
    context = await run_in_threadpool(
        request.app.state.executive_cache.overview, request.app.state.engine, settings, wanted
    )
    maturity = await run_in_threadpool(
        request.app.state.maturity_cache.assessment, request.app.state.engine, actor, settings
    )
    context = {**context, "maturity": maturity.as_dict()}
    page = executive_page(context, wanted)
    fresh = await run_in_threadpool(freshness, request.app.state, context.get("roi_as_of") or None)
    with_lineage(page, "executive", page.context["filters"], fresh)
    if fmt == "pdf":
        chart = page.charts.get("roi")
        png = None if chart is None else await run_in_threadpool(render_png, chart)
        generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        pdf = await run_in_threadpool(executive_pdf, context, png, generated)
        await _audit(request, "pdf", context)
        scope = f"-{wanted.programme}" if wanted.programme else ""
        name = f"executive-{context['period']['label']}{scope}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{name}"'},
        )
    if fmt == "csv":
        await _audit(request, "csv", context)
    return await render_page(request, page)


def executive_page(context: dict[str, Any], wanted: ExecutiveRequest) -> Page:
    """The page (tables and the ROI chart) of an overview context."""
    rows = context["roi_rows"]
    indicators = context["indicators"]
    charts = {}
    plotted = [r for r in rows if r["roi_pct"] is not None]
    if plotted:
        charts["roi"] = roi_chart(plotted)
    return Page(
        name="executive",
        title="Executive overview",
        template="executive.html",
        context={
            **context,
            "filters": {
                "period": wanted.period,
                "end": wanted.end.isoformat() if wanted.end else "",
                "programme": wanted.programme or "",
            },
            "has_roi": bool(plotted),
            "no_programmes": NO_PROGRAMMES,
            "shown_cards": [
                {
                    **c,
                    "display": format_value(c["value"], c["unit"]),
                    "change_display": format_change(c),
                    "interval_display": None
                    if c["interval"] is None
                    else f"95 % interval {format_value(c['interval'][0], c['unit'])} to "
                    f"{format_value(c['interval'][1], c['unit'])}",
                }
                for c in context["cards"]
            ],
        },
        tables={
            "roi": rows,
            "leading": [i for i in indicators if i["timing"] == "leading"],
            "lagging": [i for i in indicators if i["timing"] == "lagging"],
            "cards": [
                {k: v for k, v in c.items() if k != "interval"} | _interval(c)
                for c in context["cards"]
            ],
        },
        charts=charts,
    )


def roi_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ROI % by programme: the conservative point, its 95 % interval and the hurdle."""
    data = [
        {
            "programme": r["programme"],
            "roi": r["roi_pct"],
            "low": r["roi_low"] if r["roi_low"] is not None else r["roi_pct"],
            "high": r["roi_high"] if r["roi_high"] is not None else r["roi_pct"],
            "hurdle": r["hurdle_pct"] or 0.0,
            "decision": r["decision"],
        }
        for r in rows
    ]
    y = {
        "field": "programme",
        "type": "nominal",
        "title": None,
        "sort": None,
        "axis": {"labelLimit": 200},
    }
    return chart_spec(
        "ROI by programme (95 % interval)",
        "Return on investment in percent per programme, with its 95 % interval as a line and "
        "the programme's hurdle as a tick; colour shows the portfolio decision.",
        data,
        {
            "width": 420,
            "height": {"step": 26},
            # Browsers draw the labels in a wider font than vl-convert measures: keep room.
            "padding": {"left": 40, "top": 5, "right": 5, "bottom": 5},
            "layer": [
                {
                    "mark": {"type": "rule", "strokeWidth": 2},
                    "encoding": {
                        "y": y,
                        "x": {
                            "field": "low",
                            "type": "quantitative",
                            "title": "ROI %",
                            "axis": {"tickCount": 6},
                        },
                        "x2": {"field": "high"},
                        "color": {"field": "decision", "type": "nominal", "title": "Decision"},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 80},
                    "encoding": {
                        "y": y,
                        "x": {"field": "roi", "type": "quantitative"},
                        "color": {"field": "decision", "type": "nominal"},
                    },
                },
                {
                    "mark": {"type": "tick", "color": "#1b1f24", "thickness": 2},
                    "encoding": {"y": y, "x": {"field": "hurdle", "type": "quantitative"}},
                },
            ],
        },
        (
            TipField("programme", "Programme"),
            TipField("roi", "ROI", "%", 0),
            TipField("low", "95 % interval from", "%", 0),
            TipField("high", "to", "%", 0),
            TipField("hurdle", "Hurdle", "%", 0),
            TipField("decision", "Decision"),
        ),
    )


def _interval(card: dict[str, Any]) -> dict[str, Any]:
    interval = card.get("interval")
    return {
        "interval_low": None if interval is None else interval[0],
        "interval_high": None if interval is None else interval[1],
    }


async def _audit(request: Request, fmt: str, context: dict[str, Any]) -> None:
    programme = (context.get("programme") or {}).get("programme_id")
    details = {"format": fmt, "period": context["period"]["label"], "programme": programme}
    await audit_request(request, "export", "executive", details)


ROUTES: list[Route] = [
    Route("/executive.{fmt:str}", executive, name="executive_twin"),
    Route("/executive", executive, name="executive"),
]
