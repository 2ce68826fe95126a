"""Assessments (pre / post / delayed), their items, results, item responses and skill ratings."""

from __future__ import annotations

from learnledger.core.model.columns import boolean, date, double, integer, text, timestamp
from learnledger.core.model.spec import Entity, Index
from learnledger.core.model.vocabulary import ASSESSMENT_KINDS, RATER_KINDS

ASSESSMENTS = Entity(
    name="assessments",
    group="assessment",
    description="Assessments of a course or programme: pre-test, post-test, delayed retention "
    "test, quizzes and exams.",
    primary_key=("assessment_id",),
    columns=(
        text("assessment_id", "Stable id.", required=True, example="ASM-CS-PRE"),
        text(
            "course_id",
            "Course the assessment belongs to.",
            references="courses.course_id",
            example="CRS-CS-101",
        ),
        text(
            "programme_id",
            "Programme it measures.",
            references="programmes.programme_id",
            example="PRG-CONSULTATIVE-SELLING",
        ),
        text("name", "Assessment name.", required=True, example="Consultative selling pre-test"),
        text(
            "kind",
            "Pre, post, delayed, quiz, exam or practical.",
            required=True,
            choices=ASSESSMENT_KINDS,
            example="pre",
        ),
        text(
            "xapi_activity_id",
            "IRI of the assessment activity.",
            example="https://learn.example.com/assessments/cs-pre",
        ),
        double("max_score", "Highest possible raw score.", example=100.0),
        double("pass_score", "Raw score needed to pass.", example=70.0),
        integer("delay_days", "For delayed tests: days after the post-test.", example=None),
    ),
    indexes=(Index("ix_assessments_programme", ("programme_id",)),),
)

ASSESSMENT_ITEMS = Entity(
    name="assessment_items",
    group="assessment",
    description="Questions of an assessment, each tied to the skill it measures.",
    primary_key=("item_id",),
    columns=(
        text("item_id", "Stable id.", required=True, example="ASM-CS-PRE-Q01"),
        text(
            "assessment_id",
            "Assessment.",
            required=True,
            references="assessments.assessment_id",
            example="ASM-CS-PRE",
        ),
        integer("position", "Order in the assessment.", example=1),
        text(
            "xapi_activity_id",
            "IRI of the question (cmi.interaction activity).",
            example="https://learn.example.com/assessments/cs-pre/q01",
        ),
        text(
            "skill_id",
            "Skill the item measures.",
            references="skills.skill_id",
            example="SK-DISCOVERY",
        ),
        text("interaction_type", "xAPI interaction type.", example="choice"),
        text("correct_response", "Correct response pattern.", example="b"),
    ),
    indexes=(Index("ix_assessment_items_assessment", ("assessment_id",)),),
)

ASSESSMENT_RESULTS = Entity(
    name="assessment_results",
    group="assessment",
    description="One attempt of one person at one assessment.",
    primary_key=("result_id",),
    columns=(
        text("result_id", "Stable id.", required=True, example="RES-0000001"),
        text(
            "assessment_id",
            "Assessment.",
            required=True,
            references="assessments.assessment_id",
            example="ASM-CS-PRE",
        ),
        text(
            "person_id",
            "Person assessed.",
            required=True,
            references="people.person_id",
            example="P000123",
        ),
        text(
            "enrolment_id",
            "Enrolment the attempt belongs to.",
            references="enrolments.enrolment_id",
            example="ENR-000001",
        ),
        integer("attempt", "Attempt number, from 1.", default=1, example=1),
        timestamp(
            "taken_at",
            "When the attempt was submitted.",
            required=True,
            example="2025-02-03T10:40:00Z",
        ),
        double("score_raw", "Raw score.", example=54.0),
        double("score_scaled", "Score scaled to [0, 1] (or [-1, 1] for xAPI).", example=0.54),
        boolean("passed", "Whether the attempt passed.", example=False),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="lrs",
        ),
    ),
    indexes=(
        Index("ix_assessment_results_person", ("person_id",)),
        Index("ix_assessment_results_assessment", ("assessment_id",)),
    ),
)

ITEM_RESPONSES = Entity(
    name="item_responses",
    group="assessment",
    description="Item-level responses of an attempt, for item analysis.",
    primary_key=("result_id", "item_id"),
    columns=(
        text(
            "result_id",
            "Attempt.",
            required=True,
            references="assessment_results.result_id",
            example="RES-0000001",
        ),
        text(
            "item_id",
            "Item.",
            required=True,
            references="assessment_items.item_id",
            example="ASM-CS-PRE-Q01",
        ),
        text("response", "The response given.", example="c"),
        boolean("correct", "Whether the response was correct.", example=False),
        double("score", "Points scored on the item.", example=0.0),
    ),
)

PROFICIENCY_RATINGS = Entity(
    name="proficiency_ratings",
    group="assessment",
    description="Skill proficiency ratings of a person at a date, by self, manager, peer, "
    "assessment or expert.",
    primary_key=("rating_id",),
    columns=(
        text("rating_id", "Stable id.", required=True, example="RAT-0000001"),
        text(
            "person_id",
            "Person rated.",
            required=True,
            references="people.person_id",
            example="P000123",
        ),
        text(
            "skill_id",
            "Skill.",
            required=True,
            references="skills.skill_id",
            example="SK-DISCOVERY",
        ),
        double("level", "Level on the skill's scale (0 to scale_max).", required=True, example=2.5),
        date("rated_on", "Date of the rating.", required=True, example="2025-01-15"),
        text("rater_kind", "Who rated.", choices=RATER_KINDS, example="manager"),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="hris",
        ),
    ),
    indexes=(Index("ix_proficiency_ratings_person", ("person_id",)),),
)

ENTITIES = (ASSESSMENTS, ASSESSMENT_ITEMS, ASSESSMENT_RESULTS, ITEM_RESPONSES, PROFICIENCY_RATINGS)
