"""Outcomes and money: performance metrics and observations, business KPIs, programme costs."""

from __future__ import annotations

from learnledger.core.model.columns import date, decimal, double, integer, text
from learnledger.core.model.spec import Entity, Index
from learnledger.core.model.vocabulary import (
    COST_ALLOCATIONS,
    DIRECTIONS,
    KPI_SCOPES,
    MONETARY_VALUE_BASES,
    PHILLIPS_COST_CATEGORIES,
)

PERFORMANCE_METRICS = Entity(
    name="performance_metrics",
    group="outcomes",
    description="Definitions of individual performance (behaviour, productivity, quality) "
    "measures.",
    primary_key=("metric_id",),
    columns=(
        text("metric_id", "Stable id.", required=True, example="sales_per_rep"),
        text("name", "Display name.", required=True, example="Sales per rep"),
        text("unit", "Unit of the values.", example="EUR"),
        text(
            "direction",
            "Which direction is good.",
            required=True,
            choices=DIRECTIONS,
            example="higher_is_better",
        ),
        text("kind", "behaviour, productivity or quality.", example="productivity"),
        text("job_family", "Job family the measure applies to.", example="sales"),
        text("description", "What is measured and how.", example="Closed-won revenue per month."),
    ),
)

PERFORMANCE_OBSERVATIONS = Entity(
    name="performance_observations",
    group="outcomes",
    description="A person's value of a performance measure in a period (usually a month).",
    primary_key=("person_id", "metric_id", "period_start"),
    columns=(
        text(
            "person_id", "Person.", required=True, references="people.person_id", example="P000123"
        ),
        text(
            "metric_id",
            "Measure.",
            required=True,
            references="performance_metrics.metric_id",
            example="sales_per_rep",
        ),
        date("period_start", "First day of the period.", required=True, example="2025-03-01"),
        date("period_end", "Last day of the period.", required=True, example="2025-03-31"),
        double("value", "Observed value.", required=True, example=48250.0),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="crm",
        ),
    ),
    indexes=(Index("ix_performance_observations_metric", ("metric_id", "period_start")),),
)

BUSINESS_KPIS = Entity(
    name="business_kpis",
    group="outcomes",
    description="Business KPIs (revenue, cost, risk, customer experience) with the monetary value "
    "of one unit and how that value was established.",
    primary_key=("kpi_id",),
    columns=(
        text("kpi_id", "Stable id.", required=True, example="risk_incidents"),
        text("name", "Display name.", required=True, example="Security incidents"),
        text("unit", "Unit of the values.", example="incidents"),
        text(
            "direction",
            "Which direction is good.",
            required=True,
            choices=DIRECTIONS,
            example="lower_is_better",
        ),
        text("category", "revenue, cost, risk or customer_experience.", example="risk"),
        decimal("monetary_value_per_unit", "Money one unit is worth (positive).", example=18000),
        text("currency", "ISO 4217 currency of the value.", example="EUR"),
        text(
            "value_basis",
            "How the monetary value was established, most credible first.",
            choices=MONETARY_VALUE_BASES,
            example="historical_cost",
        ),
        text(
            "description",
            "What is measured and how.",
            example="Confirmed security incidents caused by code defects.",
        ),
    ),
)

KPI_OBSERVATIONS = Entity(
    name="kpi_observations",
    group="outcomes",
    description="A KPI's value for an org unit or a programme in a period.",
    primary_key=("kpi_id", "scope_type", "scope_id", "period_start"),
    columns=(
        text(
            "kpi_id",
            "KPI.",
            required=True,
            references="business_kpis.kpi_id",
            example="risk_incidents",
        ),
        text(
            "scope_type",
            "What the value is for.",
            required=True,
            choices=KPI_SCOPES,
            example="org_unit",
        ),
        text("scope_id", "Org unit id or programme id.", required=True, example="OU-ENG-PLATFORM"),
        date("period_start", "First day of the period.", required=True, example="2025-03-01"),
        date("period_end", "Last day of the period.", required=True, example="2025-03-31"),
        double("value", "Observed value.", required=True, example=3.0),
        decimal(
            "monetary_value_per_unit",
            "Override of the KPI's value per unit for this row.",
            example=None,
        ),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="finance",
        ),
    ),
)

PROGRAMME_COSTS = Entity(
    name="programme_costs",
    group="outcomes",
    description="Fully loaded programme costs by Phillips category (analysis, development, "
    "delivery, participant time, support and overhead, evaluation).",
    primary_key=("cost_id",),
    columns=(
        text("cost_id", "Stable id.", required=True, example="COST-CS-0001"),
        text(
            "programme_id",
            "Programme.",
            required=True,
            references="programmes.programme_id",
            example="PRG-CONSULTATIVE-SELLING",
        ),
        text(
            "category",
            "Phillips cost category.",
            required=True,
            choices=PHILLIPS_COST_CATEGORIES,
            example="delivery",
        ),
        text("description", "What the cost is.", example="Facilitator days, wave 1"),
        decimal("amount", "Amount (positive).", required=True, example=24000),
        text("currency", "ISO 4217 currency.", required=True, example="EUR"),
        date("incurred_on", "Date the cost was incurred.", required=True, example="2025-02-01"),
        text(
            "allocation",
            "How the cost is allocated to the programme.",
            choices=COST_ALLOCATIONS,
            default="direct",
            example="direct",
        ),
        double(
            "allocation_share",
            "Share of the amount charged to this programme (0 to 1).",
            default=1.0,
            example=1.0,
        ),
        integer(
            "amortisation_months", "Months over which a development cost is spread.", example=None
        ),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="finance",
        ),
    ),
    indexes=(Index("ix_programme_costs_programme", ("programme_id",)),),
)

ENTITIES = (
    PERFORMANCE_METRICS,
    PERFORMANCE_OBSERVATIONS,
    BUSINESS_KPIS,
    KPI_OBSERVATIONS,
    PROGRAMME_COSTS,
)
