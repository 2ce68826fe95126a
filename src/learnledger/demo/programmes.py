"""The default scenario's learning programmes: courses, roll-out, true effects and cost drivers.

`effects` are the true causal changes per completer at full ramp, in metric units. AI Fluency
and Data Storytelling change nothing on the job (their `effects` are empty): the analytics must
find no effect there, although enthusiastic, improving people sign up for them first.
"""

from __future__ import annotations

from learnledger.demo.spec import CostSpec, CourseSpec, ModuleSpec, ObjectiveSpec, ProgrammeSpec

LEARN = "https://learn.northbridge.example"
VENDOR = "https://ai-academy.example.net"

CONSULTATIVE_SELLING = ProgrammeSpec(
    programme_id="PRG-CONSULTATIVE-SELLING",
    code="CS",
    name="Consultative Selling",
    description="Needs-based selling for account executives: discovery, value conversations, "
    "role-play and deal coaching.",
    target_families=("sales",),
    audience="members",
    launch_fraction=0.33,
    waves=4,
    wave_gap_months=2,
    uptake=0.8,
    mandatory=False,
    selection=(1.0, 0.35, 0.6),
    courses=(
        CourseSpec("CS-101", "Discovery conversations", "e_learning", (
            ModuleSpec("Why customers buy", "lesson", 15),
            ModuleSpec("Open questions", "video", 18),
            ModuleSpec("Listening for needs", "interactive", 20, 0.03),
            ModuleSpec("Discovery call simulation", "simulation", 35, 0.11),
            ModuleSpec("Planning your next call", "lesson", 12),
        ), 12_000),
        CourseSpec("CS-102", "Value conversations", "video", (
            ModuleSpec("Quantifying value", "video", 22),
            ModuleSpec("Building the business case", "video", 28, 0.07),
            ModuleSpec("Handling price objections", "video", 20),
            ModuleSpec("Recap", "lesson", 10),
        ), 8_000),
        CourseSpec("CS-103", "Role-play workshop", "instructor_led", (
            ModuleSpec("Workshop day", "session", 420, 0.02),
        ), 4_000),
        CourseSpec("CS-104", "Deal coaching", "coaching", (
            ModuleSpec("Coaching session 1", "session", 45),
            ModuleSpec("Coaching session 2", "session", 45, 0.02),
            ModuleSpec("Coaching session 3", "session", 45, 0.02),
        ), 1_500),
    ),
    skills=("SK-DISCOVERY", "SK-VALUE-SELLING", "SK-NEGOTIATION"),
    proficiency_gain=17.5,
    effects=(
        ("discovery_questions_per_call", 0.6),
        ("win_rate", 0.02),
        ("sales_per_rep", 2_000.0),
    ),
    ramp_months=3,
    benefit_kpi="revenue",
    costs=CostSpec(analysis=45_000, analysis_share=1.0, evaluation=30_000,
                   travel_per_attendee=180.0, coach_hour_rate=130.0),
    objectives=(
        ObjectiveSpec("learning", "proficiency_gain", 15.0, "points", 1),
        ObjectiveSpec("behaviour", "discovery_questions_per_call", 10.0, "%", 6),
        ObjectiveSpec("business", "sales_per_rep", 3.0, "%", 9),
        ObjectiveSpec("roi", "roi", 100.0, "%", 12),
    ),
    xapi_base=LEARN,
    flagship=True,
)  # fmt: skip

CUSTOMER_EMPATHY = ProgrammeSpec(
    programme_id="PRG-CUSTOMER-EMPATHY",
    code="CE",
    name="Customer Empathy",
    description="Acknowledge, empathise, resolve: empathy and de-escalation for support agents.",
    target_families=("support",),
    audience="members",
    launch_fraction=0.29,
    waves=4,
    wave_gap_months=2,
    uptake=0.8,
    mandatory=False,
    selection=(0.8, 0.3, 0.6),
    courses=(
        CourseSpec("CE-101", "Empathy in every contact", "e_learning", (
            ModuleSpec("What customers feel", "lesson", 12),
            ModuleSpec("Acknowledge and empathise", "video", 15),
            ModuleSpec("Choosing your words", "interactive", 20, 0.04),
            ModuleSpec("Angry caller simulation", "simulation", 25, 0.09),
            ModuleSpec("Your empathy plan", "lesson", 8),
        ), 11_000),
        CourseSpec("CE-102", "De-escalation practice", "virtual_classroom", (
            ModuleSpec("Live practice 1", "session", 120, 0.02),
            ModuleSpec("Live practice 2", "session", 120, 0.03),
        ), 4_000),
        CourseSpec("CE-103", "Contact reviews with your lead", "on_the_job", (
            ModuleSpec("Review 1", "task", 30),
            ModuleSpec("Review 2", "task", 30, 0.02),
            ModuleSpec("Review 3", "task", 30, 0.02),
        ), 1_000),
    ),
    skills=("SK-EMPATHY", "SK-DEESCALATION"),
    proficiency_gain=14.0,
    effects=(
        ("empathy_behaviour_rate", 7.0),
        ("csat", 3.0),
        ("average_handle_time", -0.55),
    ),
    ramp_months=2,
    benefit_kpi="support_cost",
    costs=CostSpec(analysis=30_000, analysis_share=1.0, evaluation=20_000),
    objectives=(
        ObjectiveSpec("learning", "proficiency_gain", 12.0, "points", 1),
        ObjectiveSpec("behaviour", "empathy_behaviour_rate", 10.0, "%", 4),
        ObjectiveSpec("business", "average_handle_time", -5.0, "%", 6),
        ObjectiveSpec("roi", "roi", 50.0, "%", 12),
    ),
    xapi_base=LEARN,
)  # fmt: skip

SECURE_CODING = ProgrammeSpec(
    programme_id="PRG-SECURE-CODING",
    code="SC",
    name="Secure Coding",
    description="Writing and reviewing code that resists the common attacks.",
    target_families=("engineering",),
    audience="members",
    launch_fraction=0.375,
    waves=3,
    wave_gap_months=2,
    uptake=0.72,
    mandatory=False,
    selection=(0.9, 0.3, 0.7),
    courses=(
        CourseSpec("SC-101", "Secure coding fundamentals", "e_learning", (
            ModuleSpec("The OWASP top ten", "video", 20),
            ModuleSpec("Injection lab", "interactive", 30, 0.05),
            ModuleSpec("Authentication and sessions", "lesson", 15),
            ModuleSpec("Handling secrets", "video", 15),
            ModuleSpec("Dependency risk", "lesson", 15),
            ModuleSpec("Capstone lab", "simulation", 45, 0.1),
        ), 14_000),
        CourseSpec("SC-102", "Threat modelling workshop", "virtual_classroom", (
            ModuleSpec("Workshop part 1", "session", 150, 0.02),
            ModuleSpec("Workshop part 2", "session", 150, 0.03),
        ), 5_000),
    ),
    skills=("SK-SECURE-CODING", "SK-THREAT-MODELLING"),
    proficiency_gain=16.0,
    effects=(("secure_review_rate", 5.0), ("defect_rate", -0.42)),
    ramp_months=3,
    benefit_kpi="security_incidents",
    costs=CostSpec(analysis=25_000, analysis_share=1.0, evaluation=15_000),
    objectives=(
        ObjectiveSpec("learning", "proficiency_gain", 15.0, "points", 1),
        ObjectiveSpec("behaviour", "secure_review_rate", 12.0, "%", 6),
        ObjectiveSpec("business", "security_incidents", -10.0, "%", 12),
    ),
    xapi_base=LEARN,
)  # fmt: skip

SAFETY_COMPLIANCE = ProgrammeSpec(
    programme_id="PRG-SAFETY-COMPLIANCE",
    code="SAF",
    name="Safety Compliance",
    description="Mandatory safe-work training and equipment certification for operations.",
    target_families=("operations",),
    audience="members",
    launch_fraction=0.25,
    waves=6,
    wave_gap_months=1,
    uptake=0.96,
    mandatory=True,
    selection=(0.0, 0.0, 0.0),
    courses=(
        CourseSpec("SAF-101", "Safe work essentials", "e_learning", (
            ModuleSpec("Your safety responsibilities", "video", 10),
            ModuleSpec("Lock-out, tag-out", "interactive", 20, 0.02),
            ModuleSpec("Manual handling", "video", 12),
            ModuleSpec("Reporting near misses", "lesson", 10),
        ), 9_000),
        CourseSpec("SAF-102", "Hazard spotting on the floor", "on_the_job", (
            ModuleSpec("Guided walk 1", "task", 40),
            ModuleSpec("Guided walk 2", "task", 40, 0.01),
            ModuleSpec("Guided walk 3", "task", 40, 0.01),
        ), 1_500),
        CourseSpec("SAF-103", "Equipment certification", "instructor_led", (
            ModuleSpec("Certification session", "session", 240, 0.01),
        ), 3_000),
    ),
    skills=("SK-SAFE-WORK", "SK-HAZARD-ID", "SK-EQUIPMENT"),
    proficiency_gain=15.0,
    effects=(("safety_check_compliance", 9.0), ("safety_incidents", -0.0085)),
    ramp_months=2,
    benefit_kpi="safety_incidents",
    costs=CostSpec(analysis=15_000, analysis_share=0.5, evaluation=12_000,
                   travel_per_attendee=0.0, seats_per_session=12),
    objectives=(
        ObjectiveSpec("learning", "proficiency_gain", 12.0, "points", 1),
        ObjectiveSpec("behaviour", "safety_check_compliance", 10.0, "%", 3),
        ObjectiveSpec("business", "safety_incidents", -20.0, "%", 6),
    ),
    xapi_base=LEARN,
)  # fmt: skip

NEW_MANAGER_BOOTCAMP = ProgrammeSpec(
    programme_id="PRG-NEW-MANAGER-BOOTCAMP",
    code="NMB",
    name="New-Manager Bootcamp",
    description="Coaching, feedback and delegation for first-line managers.",
    target_families=("sales", "support", "engineering", "operations", "corporate"),
    audience="team_leads",
    launch_fraction=0.17,
    waves=5,
    wave_gap_months=3,
    uptake=0.75,
    mandatory=False,
    selection=(0.6, 0.3, 0.7),
    courses=(
        CourseSpec("NMB-101", "From peer to manager", "e_learning", (
            ModuleSpec("Your new role", "video", 15),
            ModuleSpec("Running one-to-ones", "interactive", 25, 0.03),
            ModuleSpec("Feedback that lands", "video", 20),
            ModuleSpec("Delegation scenarios", "simulation", 30, 0.06),
        ), 12_000),
        CourseSpec("NMB-102", "Leadership lab", "instructor_led", (
            ModuleSpec("Lab day 1", "session", 420, 0.01),
            ModuleSpec("Lab day 2", "session", 420, 0.02),
        ), 5_000),
        CourseSpec("NMB-103", "Peer coaching circle", "coaching", (
            ModuleSpec("Circle 1", "session", 60),
            ModuleSpec("Circle 2", "session", 60, 0.02),
            ModuleSpec("Circle 3", "session", 60, 0.02),
            ModuleSpec("Circle 4", "session", 60, 0.02),
        ), 1_000),
    ),
    skills=("SK-COACHING", "SK-FEEDBACK", "SK-DELEGATION"),
    proficiency_gain=13.0,
    effects=(("one_to_one_coverage", 8.0), ("team_engagement", 2.5)),
    ramp_months=3,
    benefit_kpi=None,
    costs=CostSpec(analysis=20_000, analysis_share=1.0, evaluation=15_000,
                   travel_per_attendee=450.0, seats_per_session=16, coach_hour_rate=120.0),
    objectives=(
        ObjectiveSpec("learning", "proficiency_gain", 12.0, "points", 1),
        ObjectiveSpec("behaviour", "one_to_one_coverage", 10.0, "%", 6),
        ObjectiveSpec("business", "team_engagement", 2.0, "points", 9),
    ),
    xapi_base=LEARN,
)  # fmt: skip

AI_FLUENCY = ProgrammeSpec(
    programme_id="PRG-AI-FLUENCY",
    code="AI",
    name="AI Fluency",
    description="What generative AI can do at work and how to prompt it well. Open to everyone.",
    target_families=("sales", "support", "engineering", "operations", "corporate", "leadership"),
    audience="everyone",
    launch_fraction=0.25,
    waves=4,
    wave_gap_months=2,
    uptake=0.72,
    mandatory=False,
    selection=(0.9, 0.4, 1.0),
    courses=(
        CourseSpec("AI-101", "AI at work", "e_learning", (
            ModuleSpec("What is generative AI?", "video", 10),
            ModuleSpec("Where it helps, where it fails", "lesson", 12),
            ModuleSpec("Your first prompts", "interactive", 15, 0.03),
            ModuleSpec("Data privacy and AI", "video", 12, 0.05),
            ModuleSpec("Practice lab", "interactive", 15, 0.05),
        ), 1_500),
        CourseSpec("AI-102", "Prompting in practice", "e_learning", (
            ModuleSpec("Prompt patterns", "video", 12),
            ModuleSpec("Checking AI output", "interactive", 15, 0.04),
            ModuleSpec("Workflows for your role", "lesson", 12),
            ModuleSpec("Capstone", "simulation", 20, 0.06),
        ), 1_500),
    ),
    skills=("SK-AI-LITERACY", "SK-PROMPTING"),
    proficiency_gain=7.0,
    effects=(),
    ramp_months=2,
    benefit_kpi=None,
    costs=CostSpec(analysis=10_000, analysis_share=0.5, evaluation=8_000,
                   licence_per_participant=48.0, materials_per_participant=0.0),
    objectives=(
        ObjectiveSpec("learning", "proficiency_gain", 10.0, "points", 1),
        ObjectiveSpec("behaviour", "sales_per_rep", 2.0, "%", 6),
    ),
    assessment_items=8,
    xapi_base=VENDOR,
    actor_account_home=VENDOR,
)  # fmt: skip

DATA_STORYTELLING = ProgrammeSpec(
    programme_id="PRG-DATA-STORYTELLING",
    code="DS",
    name="Data Storytelling",
    description="Explaining numbers with a narrative and clear charts. Optional for everyone.",
    target_families=("sales", "support", "engineering", "operations", "corporate"),
    audience="everyone",
    launch_fraction=0.42,
    waves=3,
    wave_gap_months=4,
    uptake=0.15,
    mandatory=False,
    selection=(0.7, 0.3, 1.0),
    courses=(
        CourseSpec("DS-101", "Telling stories with data", "video", (
            ModuleSpec("Find the message", "video", 14),
            ModuleSpec("Choose the chart", "video", 16, 0.05),
            ModuleSpec("Declutter", "video", 12),
            ModuleSpec("Build the narrative", "lesson", 15),
        ), 7_000),
        CourseSpec("DS-102", "Dashboard clinic", "virtual_classroom", (
            ModuleSpec("Clinic", "session", 90, 0.03),
        ), 3_000),
    ),
    skills=("SK-DATA-STORYTELLING", "SK-VISUALISATION"),
    proficiency_gain=9.0,
    effects=(),
    ramp_months=2,
    benefit_kpi=None,
    costs=CostSpec(analysis=5_000, analysis_share=1.0, evaluation=4_000),
    objectives=(ObjectiveSpec("learning", "proficiency_gain", 8.0, "points", 1),),
    assessment_items=8,
    xapi_base=LEARN,
)  # fmt: skip

PROGRAMMES = (
    CONSULTATIVE_SELLING,
    CUSTOMER_EMPATHY,
    SECURE_CODING,
    SAFETY_COMPLIANCE,
    NEW_MANAGER_BOOTCAMP,
    AI_FLUENCY,
    DATA_STORYTELLING,
)
