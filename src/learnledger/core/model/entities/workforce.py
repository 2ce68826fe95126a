"""Workforce planning: the headcount each role is planned to have, by quarter.

Migration ``0011_headcount_plans`` creates `ENTITIES`. A plan row says how many people a role
should have in a quarter, for the whole organisation (no org unit) or for one org unit's
subtree; the workforce forecast (`learnledger.insights.workforce`) sets the skill supply it
projects against it.
"""

from __future__ import annotations

from learnledger.core.model.columns import date, integer, text
from learnledger.core.model.spec import Entity, Index

HEADCOUNT_PLANS = Entity(
    name="headcount_plans",
    group="organisation",
    description="Planned headcount per role and quarter (for the whole organisation or one org "
    "unit's subtree), from the workforce plan; one plan name per plan version.",
    primary_key=("plan_id",),
    columns=(
        text("plan_id", "Stable id of the row.", required=True, example="HC-FY26-AE-EMEA-Q1"),
        text(
            "role_id",
            "Role planned.",
            required=True,
            references="roles.role_id",
            example="ROLE-AE",
        ),
        text(
            "org_unit_id",
            "Org unit whose subtree the row plans; empty for the whole organisation.",
            references="org_units.org_unit_id",
            example="OU-SALES-EMEA",
        ),
        date(
            "quarter_start",
            "First day of the quarter planned (any date counts for the quarter holding it; "
            "quarters follow fiscal_year_start_month).",
            required=True,
            example="2026-01-01",
        ),
        integer(
            "planned_headcount",
            "People the role should have at the end of the quarter.",
            required=True,
            example=14,
        ),
        text(
            "plan_name",
            "Plan version, e.g. the budget it belongs to.",
            required=True,
            default="baseline",
            example="FY2026 budget",
        ),
        date("updated_on", "When the plan row was last changed.", example="2025-11-20"),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="hris",
        ),
    ),
    indexes=(
        Index("ix_headcount_plans_role", ("role_id", "quarter_start")),
        Index("ix_headcount_plans_unit", ("org_unit_id",)),
    ),
)

ENTITIES = (HEADCOUNT_PLANS,)
