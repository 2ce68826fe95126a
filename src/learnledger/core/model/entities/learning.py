"""Learning offer and participation: programmes, objectives, cohorts, courses, enrolments."""

from __future__ import annotations

from learnledger.core.model.columns import date, double, integer, text, timestamp, uuid
from learnledger.core.model.spec import Entity, Index
from learnledger.core.model.vocabulary import (
    DELIVERY_CHANNELS,
    ENROLMENT_STATUSES,
    OBJECTIVE_LEVELS,
    PROGRAMME_STATUSES,
)

PROGRAMMES = Entity(
    name="programmes",
    group="learning",
    description="Learning programmes: the unit of investment whose impact and ROI are measured.",
    primary_key=("programme_id",),
    columns=(
        text("programme_id", "Stable id.", required=True, example="PRG-CONSULTATIVE-SELLING"),
        text("name", "Programme name.", required=True, example="Consultative Selling"),
        text(
            "description",
            "What the programme teaches and for whom.",
            example="Needs-based selling for account executives.",
        ),
        text(
            "owner_person_id", "Programme owner.", references="people.person_id", example="P000042"
        ),
        text("target_job_family", "Job family the programme targets.", example="sales"),
        date("launch_date", "First delivery.", example="2025-02-01"),
        text(
            "status",
            "Lifecycle status.",
            choices=PROGRAMME_STATUSES,
            default="active",
            example="active",
        ),
        text("currency", "ISO 4217 currency of its costs and benefits.", example="EUR"),
    ),
)

PROGRAMME_OBJECTIVES = Entity(
    name="programme_objectives",
    group="learning",
    description="Measurable objectives set before training, at each evaluation level; results are "
    "shown against them (plan vs actual).",
    primary_key=("objective_id",),
    columns=(
        text("objective_id", "Stable id.", required=True, example="OBJ-CS-1"),
        text(
            "programme_id",
            "Programme.",
            required=True,
            references="programmes.programme_id",
            example="PRG-CONSULTATIVE-SELLING",
        ),
        text(
            "level",
            "Evaluation level.",
            required=True,
            choices=OBJECTIVE_LEVELS,
            example="learning",
        ),
        text(
            "metric_id",
            "Metric the objective is measured with.",
            required=True,
            example="proficiency_gain",
        ),
        double("target_value", "Target value in the metric's unit.", required=True, example=15.0),
        text("unit", "Unit of the target.", example="points"),
        integer(
            "within_months", "Months after training by which the target should be met.", example=6
        ),
        date("set_on", "Date the objective was agreed (before training).", example="2025-01-10"),
    ),
)

COHORTS = Entity(
    name="cohorts",
    group="learning",
    description="Groups of people who start a programme together (waves of a staggered roll-out).",
    primary_key=("cohort_id",),
    columns=(
        text("cohort_id", "Stable id.", required=True, example="PRG-CONSULTATIVE-SELLING-W1"),
        text(
            "programme_id",
            "Programme.",
            required=True,
            references="programmes.programme_id",
            example="PRG-CONSULTATIVE-SELLING",
        ),
        text("name", "Cohort name.", example="Wave 1"),
        date("start_date", "Start of the cohort.", example="2025-02-01"),
        date("end_date", "Planned end of the cohort.", example="2025-03-15"),
    ),
)

COURSES = Entity(
    name="courses",
    group="learning",
    description="Courses and other learning activities, with the xAPI activity id their content "
    "reports under and their delivery channel.",
    primary_key=("course_id",),
    columns=(
        text("course_id", "Stable id.", required=True, example="CRS-CS-101"),
        text(
            "programme_id",
            "Programme the course belongs to; empty for stand-alone courses.",
            references="programmes.programme_id",
            example="PRG-CONSULTATIVE-SELLING",
        ),
        text("name", "Course name.", required=True, example="Discovery conversations"),
        text(
            "delivery_channel",
            "How the course is delivered.",
            required=True,
            choices=DELIVERY_CHANNELS,
            example="e_learning",
        ),
        text(
            "xapi_activity_id",
            "IRI of the course activity in xAPI statements.",
            example="https://learn.example.com/courses/cs-101",
        ),
        double("planned_hours", "Planned learning time in hours.", example=6.0),
        integer("position", "Order within the programme.", example=1),
    ),
    indexes=(Index("ux_courses_activity", ("xapi_activity_id",), unique=True),),
)

COURSE_MODULES = Entity(
    name="course_modules",
    group="learning",
    description="Modules (lessons, videos, quizzes) of a course, in order; drop-off is measured "
    "per module.",
    primary_key=("module_id",),
    columns=(
        text("module_id", "Stable id.", required=True, example="CRS-CS-101-M2"),
        text(
            "course_id",
            "Course.",
            required=True,
            references="courses.course_id",
            example="CRS-CS-101",
        ),
        text("name", "Module name.", required=True, example="Open questions"),
        integer("position", "Order within the course, from 1.", required=True, example=2),
        text("kind", "Kind of module.", example="video"),
        text(
            "xapi_activity_id",
            "IRI of the module activity.",
            example="https://learn.example.com/courses/cs-101/m2",
        ),
    ),
    indexes=(Index("ix_course_modules_course", ("course_id",)),),
)

ENROLMENTS = Entity(
    name="enrolments",
    group="learning",
    description="A person's enrolment in a course, with its status and dates. The xAPI "
    "registration ties statements to the enrolment.",
    primary_key=("enrolment_id",),
    columns=(
        text("enrolment_id", "Stable id.", required=True, example="ENR-000001"),
        text(
            "person_id", "Learner.", required=True, references="people.person_id", example="P000123"
        ),
        text(
            "course_id",
            "Course.",
            required=True,
            references="courses.course_id",
            example="CRS-CS-101",
        ),
        text(
            "cohort_id",
            "Cohort, when the course is delivered in waves.",
            references="cohorts.cohort_id",
            example="PRG-CONSULTATIVE-SELLING-W1",
        ),
        uuid(
            "registration",
            "xAPI registration of the attempt.",
            example="9e13cefd-53d3-4eac-b5ed-2cf6693903bb",
        ),
        text(
            "status",
            "Current status.",
            required=True,
            choices=ENROLMENT_STATUSES,
            example="completed",
        ),
        timestamp(
            "enrolled_at",
            "When the person enrolled.",
            required=True,
            example="2025-02-01T09:00:00Z",
        ),
        timestamp("started_at", "First activity.", example="2025-02-03T10:12:00Z"),
        timestamp("completed_at", "Completion.", example="2025-02-20T16:40:00Z"),
        timestamp("withdrawn_at", "Withdrawal or cancellation.", example=None),
        date("due_date", "Date by which the course should be completed.", example="2025-03-15"),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="lms",
        ),
    ),
    indexes=(
        Index("ix_enrolments_person", ("person_id",)),
        Index("ix_enrolments_course", ("course_id",)),
        Index("ix_enrolments_registration", ("registration",)),
    ),
)

ENTITIES = (PROGRAMMES, PROGRAMME_OBJECTIVES, COHORTS, COURSES, COURSE_MODULES, ENROLMENTS)
