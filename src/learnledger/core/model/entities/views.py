"""Saved views of the web app: a metric with its filters and chart, saved by a user, pinned to
dashboards and optionally shared.

Migration ``0007_saved_views`` creates `ENTITIES`. A view stores what its owner asked for (the
explorer's URL state), never the owner's scope: whoever opens a view runs it narrowed to their
own scope.
"""

from __future__ import annotations

from learnledger.core.model.columns import boolean, json, text, timestamp
from learnledger.core.model.spec import Entity, Index

#: Reporting period grains a view may use (``saved_views.period``).
VIEW_PERIODS = ("day", "week", "month", "quarter", "year")
#: Comparisons a view may ask for (``saved_views.compare``).
VIEW_COMPARISONS = ("previous",)
#: How a view is drawn (``saved_views.display``).
VIEW_DISPLAYS = ("bar", "line", "small_multiples", "table")

SAVED_VIEWS = Entity(
    name="saved_views",
    group="dashboards",
    description="A metric with its breakdown, period, comparison, filters and chart, saved by "
    "a user; shared views are visible to every role that may see the metric.",
    primary_key=("view_id",),
    columns=(
        text("view_id", "Stable id.", required=True, example="VIEW-3f9a1c20b4d5e6f7"),
        text(
            "owner_user_id",
            "User who saved the view (only they may share or delete it).",
            required=True,
            references="app_users.user_id",
            example="U000001",
        ),
        text("name", "Title shown on dashboards.", required=True, example="Completion by unit"),
        text("metric_id", "Metric of the catalogue.", required=True, example="completion_rate"),
        text("by_segment", "Breakdown segment (none: the total).", example="org_unit"),
        text("period", "Reporting period grain.", choices=VIEW_PERIODS, example="month"),
        text("compare", "Comparison.", choices=VIEW_COMPARISONS, example="previous"),
        json("filters", "Segment filters as asked (not narrowed).", example={"programme": "PRG-1"}),
        text("display", "Chart.", required=True, choices=VIEW_DISPLAYS, example="bar"),
        boolean(
            "shared",
            "Visible to others allowed to see the metric.",
            required=True,
            default=False,
            example=False,
        ),
        timestamp(
            "created_at", "When it was saved.", required=True, example="2026-03-02T09:00:00Z"
        ),
        timestamp("updated_at", "Last change (sharing).", example="2026-03-02T09:30:00Z"),
    ),
    indexes=(Index("ix_saved_views_owner", ("owner_user_id",)),),
)

SAVED_VIEW_PINS = Entity(
    name="saved_view_pins",
    group="dashboards",
    description="Views a user pinned to their dashboard (their own or shared ones).",
    primary_key=("user_id", "view_id"),
    columns=(
        text("user_id", "User.", required=True, references="app_users.user_id", example="U000001"),
        text(
            "view_id",
            "Pinned view.",
            required=True,
            references="saved_views.view_id",
            example="VIEW-3f9a1c20b4d5e6f7",
        ),
        timestamp(
            "pinned_at",
            "When it was pinned (dashboard order).",
            required=True,
            example="2026-03-02T09:00:00Z",
        ),
    ),
    indexes=(Index("ix_saved_view_pins_view", ("view_id",)),),
)

ENTITIES = (SAVED_VIEWS, SAVED_VIEW_PINS)
