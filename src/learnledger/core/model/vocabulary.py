"""Closed vocabularies of the canonical model (the `choices` of text columns)."""

from __future__ import annotations

DELIVERY_CHANNELS = (
    "e_learning",
    "instructor_led",
    "virtual_classroom",
    "video",
    "coaching",
    "on_the_job",
)
ENROLMENT_STATUSES = ("enrolled", "in_progress", "completed", "failed", "withdrawn", "cancelled")
ASSESSMENT_KINDS = ("pre", "post", "delayed", "quiz", "exam", "practical")
PHILLIPS_COST_CATEGORIES = (
    "analysis",
    "development",
    "delivery",
    "participant_time",
    "support_overhead",
    "evaluation",
)
COST_ALLOCATIONS = ("direct", "prorated", "per_participant", "amortised")
OBJECTIVE_LEVELS = ("reaction", "learning", "behaviour", "business", "roi")
DIRECTIONS = ("higher_is_better", "lower_is_better")
RATER_KINDS = ("self", "manager", "peer", "assessment", "expert")
CONSENT_PURPOSES = ("analytics", "predictive_modelling", "individual_reporting")
CONSENT_STATUSES = ("granted", "withdrawn")
SOURCE_KINDS = (
    "lrs",
    "lms",
    "assessment",
    "hris",
    "performance",
    "kpi",
    "finance",
    "manual",
    "demo",
)
REVIEW_STATUSES = ("not_reviewed", "in_review", "approved", "approved_with_conditions", "rejected")
IMPORT_STATUSES = ("running", "succeeded", "failed", "dry_run")
MONETARY_VALUE_BASES = (
    "standard_value",
    "historical_cost",
    "expert_estimate",
    "external_study",
    "linked_measure",
    "participant_estimate",
)
PROGRAMME_STATUSES = ("planned", "active", "retired")
ORG_UNIT_KINDS = ("company", "division", "department", "team")
KPI_SCOPES = ("org_unit", "programme")
DPA_STATUSES = ("not_required", "pending", "signed", "expired")
