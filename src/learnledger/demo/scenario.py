"""The default demo company, Northbridge Group, as data: sites, roles, divisions, skills,
performance metrics, business KPIs and data sources. Its programmes are in `programmes.py`.

Numbers here are the *causal model's parameters*; every figure the ground truth reports
(effects in % of baseline, annual benefits, costs, ROI) is computed from the generated data.
"""

from __future__ import annotations

from learnledger.demo.programmes import PROGRAMMES
from learnledger.demo.spec import (
    DivisionSpec,
    KpiSpec,
    Location,
    MetricSpec,
    RoleSpec,
    Scenario,
    SkillSpec,
    SourceSpec,
)

LOCATIONS = (
    Location("Dublin", "EMEA", 1.00, 0),
    Location("London", "EMEA", 1.10, 0),
    Location("Berlin", "EMEA", 0.97, 1),
    Location("Krakow", "EMEA", 0.62, 1),
    Location("Rotterdam", "EMEA", 0.95, 1),
    Location("New York", "Americas", 1.22, -5),
    Location("Austin", "Americas", 1.05, -6),
    Location("Toronto", "Americas", 0.93, -5),
    Location("Columbus", "Americas", 0.88, -5),
    Location("Singapore", "APAC", 1.02, 8),
    Location("Sydney", "APAC", 1.06, 10),
    Location("Manila", "APAC", 0.40, 8),
    Location("Penang", "APAC", 0.45, 8),
)

_SALES = (("SK-DISCOVERY", 3), ("SK-VALUE-SELLING", 3), ("SK-NEGOTIATION", 2))
_SUPPORT = (("SK-EMPATHY", 3), ("SK-DEESCALATION", 2), ("SK-PRODUCT-KNOWLEDGE", 3))
_ENG = (("SK-SECURE-CODING", 3), ("SK-THREAT-MODELLING", 2), ("SK-CODE-REVIEW", 3))
_OPS = (("SK-SAFE-WORK", 4), ("SK-HAZARD-ID", 3), ("SK-EQUIPMENT", 3))
_LEAD = (("SK-COACHING", 3), ("SK-FEEDBACK", 3), ("SK-DELEGATION", 3))
_ALL = (("SK-AI-LITERACY", 2),)


def _up(reqs: tuple[tuple[str, int], ...], by: int) -> tuple[tuple[str, int], ...]:
    return tuple((skill, min(5, max(1, level + by))) for skill, level in reqs)


ROLES = (
    RoleSpec("ROLE-SALES-ASSOC", "Associate Account Executive", "sales", 1, False, 46.0,
             _up(_SALES, -1) + _ALL),
    RoleSpec("ROLE-AE", "Account Executive", "sales", 2, False, 61.0, _SALES + _ALL),
    RoleSpec("ROLE-SAE", "Senior Account Executive", "sales", 3, False, 79.0,
             _up(_SALES, 1) + _ALL),
    RoleSpec("ROLE-SALES-MGR", "Sales Manager", "sales", 4, True, 92.0,
             _up(_SALES, 1) + _LEAD + _ALL),
    RoleSpec("ROLE-SUPPORT-AGENT", "Customer Support Agent", "support", 1, False, 31.0,
             _SUPPORT + _ALL),
    RoleSpec("ROLE-SUPPORT-SPEC", "Support Specialist", "support", 2, False, 39.0,
             _up(_SUPPORT, 1) + _ALL),
    RoleSpec("ROLE-SUPPORT-LEAD", "Support Team Lead", "support", 3, True, 50.0,
             _up(_SUPPORT, 1) + _LEAD + _ALL),
    RoleSpec("ROLE-SWE", "Software Engineer", "engineering", 2, False, 71.0, _ENG + _ALL),
    RoleSpec("ROLE-SENIOR-SWE", "Senior Software Engineer", "engineering", 3, False, 88.0,
             _up(_ENG, 1) + _ALL),
    RoleSpec("ROLE-STAFF-SWE", "Staff Engineer", "engineering", 4, False, 106.0,
             _up(_ENG, 2) + _ALL),
    RoleSpec("ROLE-ENG-MGR", "Engineering Manager", "engineering", 4, True, 112.0,
             _up(_ENG, 1) + _LEAD + _ALL),
    RoleSpec("ROLE-OPS-TECH", "Operations Technician", "operations", 1, False, 29.0, _OPS + _ALL),
    RoleSpec("ROLE-OPS-SENIOR", "Senior Technician", "operations", 2, False, 35.0,
             _up(_OPS, 1) + _ALL),
    RoleSpec("ROLE-OPS-SUPERVISOR", "Shift Supervisor", "operations", 3, True, 44.0,
             _up(_OPS, 1) + _LEAD + _ALL),
    RoleSpec("ROLE-HRBP", "HR Business Partner", "corporate", 3, False, 64.0, _LEAD + _ALL),
    RoleSpec("ROLE-LD-SPEC", "Learning & Development Specialist", "corporate", 2, False, 55.0,
             _ALL),
    RoleSpec("ROLE-FIN-ANALYST", "Finance Analyst", "corporate", 2, False, 59.0, _ALL),
    RoleSpec("ROLE-CORP-LEAD", "People & Finance Team Lead", "corporate", 4, True, 90.0,
             _LEAD + _ALL),
    RoleSpec("ROLE-DIRECTOR", "Director", "leadership", 5, True, 135.0, _up(_LEAD, 1) + _ALL),
    RoleSpec("ROLE-VP", "Vice President", "leadership", 6, True, 175.0, _up(_LEAD, 2) + _ALL),
    RoleSpec("ROLE-CEO", "Chief Executive Officer", "leadership", 7, True, 260.0,
             _up(_LEAD, 2) + _ALL),
)  # fmt: skip

_OFFICE_EMEA = ("EMEA", (("Dublin", 0.45), ("London", 0.35), ("Berlin", 0.2)))
_OFFICE_AMER = ("Americas", (("New York", 0.5), ("Austin", 0.3), ("Toronto", 0.2)))
_OFFICE_APAC = ("APAC", (("Singapore", 0.6), ("Sydney", 0.4)))
_REGIONS = (("EMEA", 0.42), ("Americas", 0.38), ("APAC", 0.20))

DIVISIONS = (
    DivisionSpec(
        "SALES", "Sales", "sales", 0.30, _REGIONS, (_OFFICE_EMEA, _OFFICE_AMER, _OFFICE_APAC),
        (("ROLE-SALES-ASSOC", 0.3), ("ROLE-AE", 0.5), ("ROLE-SAE", 0.2)),
        "ROLE-SALES-MGR", "ROLE-DIRECTOR", 4100,
    ),
    DivisionSpec(
        "SUPPORT", "Customer Support", "support", 0.25, _REGIONS,
        (
            ("EMEA", (("Dublin", 0.4), ("Krakow", 0.6))),
            ("Americas", (("Austin", 0.55), ("Toronto", 0.45))),
            ("APAC", (("Manila", 0.8), ("Sydney", 0.2))),
        ),
        (("ROLE-SUPPORT-AGENT", 0.75), ("ROLE-SUPPORT-SPEC", 0.25)),
        "ROLE-SUPPORT-LEAD", "ROLE-DIRECTOR", 4200, (8, 12),
    ),
    DivisionSpec(
        "ENG", "Engineering", "engineering", 0.22, (("EMEA", 0.5), ("Americas", 0.35),
                                                     ("APAC", 0.15)),
        (
            ("EMEA", (("Dublin", 0.5), ("Berlin", 0.3), ("Krakow", 0.2))),
            ("Americas", (("Austin", 0.6), ("Toronto", 0.4))),
            _OFFICE_APAC,
        ),
        (("ROLE-SWE", 0.5), ("ROLE-SENIOR-SWE", 0.38), ("ROLE-STAFF-SWE", 0.12)),
        "ROLE-ENG-MGR", "ROLE-DIRECTOR", 4300,
    ),
    DivisionSpec(
        "OPS", "Operations", "operations", 0.18, (("EMEA", 0.4), ("Americas", 0.35),
                                                  ("APAC", 0.25)),
        (
            ("EMEA", (("Rotterdam", 1.0),)),
            ("Americas", (("Columbus", 1.0),)),
            ("APAC", (("Penang", 1.0),)),
        ),
        (("ROLE-OPS-TECH", 0.8), ("ROLE-OPS-SENIOR", 0.2)),
        "ROLE-OPS-SUPERVISOR", "ROLE-DIRECTOR", 4400, (8, 12),
    ),
    DivisionSpec(
        "CORP", "People & Finance", "corporate", 0.05, (("EMEA", 0.6), ("Americas", 0.4)),
        (("EMEA", (("Dublin", 1.0),)), ("Americas", (("New York", 1.0),))),
        (("ROLE-HRBP", 0.35), ("ROLE-LD-SPEC", 0.25), ("ROLE-FIN-ANALYST", 0.4)),
        "ROLE-CORP-LEAD", "ROLE-DIRECTOR", 4900,
    ),
)  # fmt: skip

SKILLS = (
    SkillSpec("SK-DISCOVERY", "Discovery questioning", "sales",
              "Uncovers the customer's needs with open questions."),
    SkillSpec("SK-VALUE-SELLING", "Value selling", "sales",
              "Quantifies the value of a solution in the customer's terms."),
    SkillSpec("SK-NEGOTIATION", "Negotiation", "sales", "Reaches agreements that protect margin."),
    SkillSpec("SK-EMPATHY", "Customer empathy", "support",
              "Acknowledges the customer's situation and feelings before solving."),
    SkillSpec("SK-DEESCALATION", "De-escalation", "support", "Calms tense conversations."),
    SkillSpec("SK-PRODUCT-KNOWLEDGE", "Product knowledge", "support",
              "Knows the products well enough to solve issues at first contact."),
    SkillSpec("SK-SECURE-CODING", "Secure coding", "engineering",
              "Writes code free of the common vulnerability classes."),
    SkillSpec("SK-THREAT-MODELLING", "Threat modelling", "engineering",
              "Finds threats in a design before it is built."),
    SkillSpec("SK-CODE-REVIEW", "Code review", "engineering", "Reviews changes for defects."),
    SkillSpec("SK-SAFE-WORK", "Safe work practices", "operations",
              "Follows lock-out, PPE and lifting procedures."),
    SkillSpec("SK-HAZARD-ID", "Hazard identification", "operations",
              "Spots and reports hazards on the floor."),
    SkillSpec("SK-EQUIPMENT", "Equipment operation", "operations",
              "Operates certified equipment correctly."),
    SkillSpec("SK-COACHING", "Coaching", "management", "Develops people through coaching."),
    SkillSpec("SK-FEEDBACK", "Feedback", "management", "Gives timely, specific feedback."),
    SkillSpec("SK-DELEGATION", "Delegation", "management", "Delegates with clear outcomes."),
    SkillSpec("SK-AI-LITERACY", "AI literacy", "digital",
              "Understands what generative AI can and cannot do."),
    SkillSpec("SK-PROMPTING", "Prompting", "digital", "Writes effective prompts for AI tools."),
    SkillSpec("SK-DATA-STORYTELLING", "Data storytelling", "digital",
              "Explains data with a clear narrative."),
    SkillSpec("SK-VISUALISATION", "Data visualisation", "digital", "Builds clear charts."),
)  # fmt: skip

_SALES_SEASON = (0.86, 0.9, 1.1, 0.92, 0.96, 1.12, 0.86, 0.8, 1.08, 0.98, 1.04, 1.28)
_SUPPORT_SEASON = (1.14, 1.05, 1.0, 0.97, 0.96, 0.94, 0.9, 0.88, 1.0, 1.02, 1.05, 1.1)
_FLAT = (1.0,) * 12

METRICS = (
    MetricSpec("sales_per_rep", "Sales per rep", "EUR", "higher_is_better", "productivity",
               "sales", "Closed-won revenue booked by the rep in the month.", "crm", 40_000.0,
               role_factors=(("ROLE-SALES-ASSOC", 0.6), ("ROLE-SAE", 1.45)),
               ability_loading=0.18, team_sd=0.06, trend_per_year=0.04, season=_SALES_SEASON,
               noise_sd=0.22, missing_rate=0.02, newhire_ramp=0.5),
    MetricSpec("win_rate", "Win rate", "ratio", "higher_is_better", "quality", "sales",
               "Share of the rep's opportunities closed in the month that were won.", "crm", 0.24,
               role_factors=(("ROLE-SALES-ASSOC", 0.85), ("ROLE-SAE", 1.12)),
               ability_loading=0.12, noise_sd=0.12, bounds=(0.02, 0.8), decimals=3,
               missing_rate=0.02),
    MetricSpec("discovery_questions_per_call", "Discovery questions per call", "questions",
               "higher_is_better", "behaviour", "sales",
               "Open discovery questions per reviewed sales call (manager call reviews).",
               "crm", 4.6, role_factors=(("ROLE-SALES-ASSOC", 0.9), ("ROLE-SAE", 1.1)),
               ability_loading=0.1, noise_sd=0.12, decimals=1, missing_rate=0.05,
               season=(1.0,) * 7 + (0.96, 1.0, 1.0, 1.0, 0.97)),
    MetricSpec("contacts_handled", "Contacts handled", "contacts", "higher_is_better",
               "productivity", "support", "Customer contacts the agent closed in the month.",
               "service_desk", 430.0, role_factors=(("ROLE-SUPPORT-SPEC", 0.75),),
               ability_loading=0.08, season=_SUPPORT_SEASON, noise_sd=0.08, decimals=0,
               missing_rate=0.02),
    MetricSpec("average_handle_time", "Average handle time", "minutes", "lower_is_better",
               "productivity", "support", "Mean minutes per handled contact.", "service_desk",
               9.2, role_factors=(("ROLE-SUPPORT-SPEC", 1.35),), ability_loading=-0.08,
               trend_per_year=-0.02, noise_sd=0.07, missing_rate=0.02, newhire_ramp=-0.3,
               season=(1.03,) + (1.0,) * 10 + (1.02,)),
    MetricSpec("csat", "Customer satisfaction", "%", "higher_is_better", "quality", "support",
               "Share of surveyed customers who were satisfied with the agent's contacts.",
               "service_desk", 82.0, ability_loading=0.03, noise_sd=0.03, bounds=(0.0, 100.0),
               decimals=1, season=(0.985,) + (1.0,) * 10 + (0.99,)),
    MetricSpec("empathy_behaviour_rate", "Empathy behaviours", "%", "higher_is_better",
               "behaviour", "support",
               "Share of QA-reviewed contacts showing the acknowledge-and-empathise behaviours.",
               "service_desk", 56.0, ability_loading=0.08, noise_sd=0.1, bounds=(0.0, 100.0),
               decimals=1, missing_rate=0.05),
    MetricSpec("defect_rate", "Defect rate", "defects per 100 changes", "lower_is_better",
               "quality", "engineering",
               "Defects traced to the engineer's merged changes, per 100 changes.",
               "engineering_quality", 3.2,
               role_factors=(("ROLE-SENIOR-SWE", 0.85), ("ROLE-STAFF-SWE", 0.75)),
               ability_loading=-0.12, noise_sd=0.2, missing_rate=0.03, newhire_ramp=-0.4,
               season=(1.0,) * 5 + (1.04,) + (1.0,) * 5 + (1.08,)),
    MetricSpec("secure_review_rate", "Security checklist use", "%", "higher_is_better",
               "behaviour", "engineering",
               "Share of the engineer's merged changes with a completed security checklist.",
               "engineering_quality", 38.0, ability_loading=0.1, noise_sd=0.12,
               bounds=(0.0, 100.0), decimals=1, missing_rate=0.05),
    MetricSpec("units_per_hour", "Units per hour", "units", "higher_is_better", "productivity",
               "operations", "Units picked, packed or processed per productive hour.", "ehs",
               41.0, role_factors=(("ROLE-OPS-SENIOR", 1.12),), ability_loading=0.08,
               trend_per_year=0.02, noise_sd=0.06, decimals=1,
               season=(1.0,) * 7 + (0.97, 1.0, 1.0, 1.04, 1.06)),
    MetricSpec("safety_incidents", "Safety incidents", "incidents", "lower_is_better", "quality",
               "operations", "Recordable safety incidents the person was involved in.", "ehs",
               0.03, role_factors=(("ROLE-OPS-SENIOR", 0.8),), ability_loading=-0.1,
               distribution="poisson", decimals=0, missing_rate=0.0, team_sd=0.1,
               season=(1.15,) + (1.0,) * 5 + (1.1,) + (1.0,) * 4 + (1.2,)),
    MetricSpec("safety_check_compliance", "Safety check compliance", "%", "higher_is_better",
               "behaviour", "operations",
               "Share of the person's shifts with the pre-shift safety checklist completed.",
               "ehs", 74.0, ability_loading=0.06, noise_sd=0.08, bounds=(0.0, 100.0),
               decimals=1, missing_rate=0.05),
    MetricSpec("one_to_one_coverage", "One-to-one coverage", "%", "higher_is_better",
               "behaviour", "all", "Share of the manager's direct reports with a 1:1 that month.",
               "people_pulse", 61.0, population="team_leads", ability_loading=0.08,
               noise_sd=0.12, bounds=(0.0, 100.0), decimals=1, missing_rate=0.05,
               season=(1.0,) * 7 + (0.9, 1.0, 1.0, 1.0, 0.93)),
    MetricSpec("team_engagement", "Team engagement", "points", "higher_is_better", "quality",
               "all", "Monthly pulse engagement score of the manager's team (0-100).",
               "people_pulse", 71.0, population="team_leads", ability_loading=0.04,
               noise_sd=0.04, bounds=(0.0, 100.0), decimals=1, missing_rate=0.04),
)  # fmt: skip

KPIS = (
    KpiSpec("revenue", "Revenue", "EUR", "higher_is_better", "revenue", 0.28, "standard_value",
            "Closed-won revenue; one euro of revenue is worth its gross margin.", "sales",
            "finance"),
    KpiSpec("support_cost", "Support cost", "EUR", "lower_is_better", "cost", 1.0,
            "standard_value", "Handled minutes times the standard cost of a support minute.",
            "support", "finance"),
    KpiSpec("nps", "Net promoter score", "points", "higher_is_better", "customer_experience",
            9_000.0, "linked_measure",
            "Relationship NPS of the customers each support department serves.", "support",
            "bi"),
    KpiSpec("security_incidents", "Security incidents", "incidents", "lower_is_better", "risk",
            52_000.0, "historical_cost",
            "Confirmed security incidents caused by code defects.", "engineering", "bi"),
    KpiSpec("safety_incidents", "Safety incidents", "incidents", "lower_is_better", "risk",
            34_000.0, "historical_cost",
            "Recordable safety incidents (lost time, claims, investigation).", "operations", "bi"),
    KpiSpec("voluntary_attrition", "Leavers", "people", "lower_is_better", "cost", 28_000.0,
            "external_study", "Employees who left in the month; value is the replacement cost.",
            "all", "hris"),
)  # fmt: skip

SOURCES = (
    SourceSpec("hris", "HR system roster export", "hris", "People Operations",
               "Monthly roster: people, org units, roles, hires and leavers.",
               "legitimate_interest", 2555, "approved"),
    SourceSpec("lms", "Learning management system", "lms", "Learning & Development",
               "Programmes, courses, cohorts and enrolments.", "legitimate_interest", 1825,
               "approved"),
    SourceSpec("lrs", "Learning record store", "lrs", "Learning & Development",
               "xAPI statements from e-learning, video and attendance.", "legitimate_interest",
               1095, "approved"),
    SourceSpec("assessments", "Assessment platform", "assessment", "Learning & Development",
               "Pre, post and delayed tests, item responses, skill ratings.",
               "legitimate_interest", 1095, "approved_with_conditions"),
    SourceSpec("crm", "CRM sales activity", "performance", "Sales Operations",
               "Bookings, win rates and reviewed calls per rep.", "legitimate_interest", 1095,
               "approved"),
    SourceSpec("service_desk", "Service desk", "performance", "Support Operations",
               "Contacts, handle times, satisfaction and QA reviews per agent.",
               "legitimate_interest", 730, "approved"),
    SourceSpec("engineering_quality", "Engineering quality dashboard", "performance",
               "Engineering Excellence", "Defects and security checklist use per engineer.",
               "legitimate_interest", 730, "in_review"),
    SourceSpec("ehs", "Environment, health & safety system", "performance", "Operations",
               "Productivity, incidents and safety checks per technician.", "legal_obligation",
               2555, "approved"),
    SourceSpec("people_pulse", "Engagement pulse and 1:1 tool", "performance",
               "People Operations", "Team engagement scores and 1:1 coverage per manager.",
               "legitimate_interest", 730, "approved"),
    SourceSpec("finance", "Finance ledger", "finance", "Finance",
               "Revenue, support cost and programme spend.", "legitimate_interest", 3650,
               "approved", contains_personal_data=False),
    SourceSpec("bi", "Business intelligence warehouse", "kpi", "Finance",
               "Monthly KPIs per org unit.", "legitimate_interest", 3650, "approved",
               contains_personal_data=False),
    SourceSpec("demo", "LearnLedger demo generator", "demo", "LearnLedger",
               "Synthetic company with known ground truth.", "legitimate_interest", 365,
               "approved"),
)  # fmt: skip

DEFAULT_SCENARIO = Scenario(
    company="Northbridge Group",
    company_code="NB",
    email_domain="northbridge.example",
    currency="EUR",
    locations=LOCATIONS,
    roles=ROLES,
    divisions=DIVISIONS,
    skills=SKILLS,
    metrics=METRICS,
    kpis=KPIS,
    programmes=PROGRAMMES,
    sources=SOURCES,
)
