"""People and the organisation: org units, roles, skills and required levels, people."""

from __future__ import annotations

from learnledger.core.model.columns import boolean, date, decimal, integer, text
from learnledger.core.model.spec import Entity, Index
from learnledger.core.model.vocabulary import ORG_UNIT_KINDS

ORG_UNITS = Entity(
    name="org_units",
    group="organisation",
    description="Units of the organisation, a hierarchy through parent_id (company > division > "
    "department > team).",
    primary_key=("org_unit_id",),
    columns=(
        text("org_unit_id", "Stable id of the unit.", required=True, example="OU-SALES-EMEA"),
        text("name", "Display name.", required=True, example="Sales EMEA"),
        text(
            "parent_id",
            "Parent unit; empty for the root.",
            references="org_units.org_unit_id",
            example="OU-SALES",
        ),
        text("kind", "Level in the hierarchy.", choices=ORG_UNIT_KINDS, example="department"),
        text("cost_center", "Finance cost centre code.", example="CC-4100"),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="hris",
        ),
    ),
    indexes=(Index("ix_org_units_parent", ("parent_id",)),),
)

ROLES = Entity(
    name="roles",
    group="organisation",
    description="Job roles; the skills each role requires are in role_skill_requirements.",
    primary_key=("role_id",),
    columns=(
        text("role_id", "Stable id of the role.", required=True, example="ROLE-AE"),
        text("name", "Role title.", required=True, example="Account Executive"),
        text("job_family", "Family of related roles.", example="sales"),
        integer("level", "Seniority level, 1 = entry.", example=2),
        boolean("is_manager", "Whether the role manages people.", default=False, example=False),
    ),
)

SKILLS = Entity(
    name="skills",
    group="organisation",
    description="Skills and competencies that roles require and programmes develop.",
    primary_key=("skill_id",),
    columns=(
        text("skill_id", "Stable id of the skill.", required=True, example="SK-DISCOVERY"),
        text("name", "Skill name.", required=True, example="Discovery questioning"),
        text("category", "Skill family.", example="sales"),
        text(
            "description",
            "What the skill means in practice.",
            example="Uncovers the customer's needs with open questions.",
        ),
        integer(
            "scale_max", "Highest proficiency level on the skill's scale.", default=5, example=5
        ),
    ),
)

ROLE_SKILL_REQUIREMENTS = Entity(
    name="role_skill_requirements",
    group="organisation",
    description="The proficiency level each role requires in each skill.",
    primary_key=("role_id", "skill_id"),
    columns=(
        text("role_id", "Role.", required=True, references="roles.role_id", example="ROLE-AE"),
        text(
            "skill_id",
            "Skill.",
            required=True,
            references="skills.skill_id",
            example="SK-DISCOVERY",
        ),
        integer("required_level", "Required level on the skill's scale.", required=True, example=3),
    ),
)

PEOPLE = Entity(
    name="people",
    group="organisation",
    description="Employees and other learners, from the HR system. Personal data: access to names "
    "and e-mails is restricted by role.",
    primary_key=("person_id",),
    columns=(
        text("person_id", "Internal stable id.", required=True, example="P000123"),
        text("hr_id", "Employee id in the HR system.", example="E-10442"),
        text("email", "Work e-mail address (lower case).", example="ann.lee@example.com"),
        text("given_name", "Given name.", example="Ann"),
        text("family_name", "Family name.", example="Lee"),
        date("hire_date", "First day of employment.", example="2021-03-01"),
        date("leave_date", "Last day of employment; empty while employed.", example=None),
        text(
            "manager_id", "The person's manager.", references="people.person_id", example="P000017"
        ),
        text(
            "org_unit_id",
            "Unit the person belongs to.",
            references="org_units.org_unit_id",
            example="OU-SALES-EMEA",
        ),
        text("role_id", "Current role.", references="roles.role_id", example="ROLE-AE"),
        text("location", "Work location (city or site).", example="Dublin"),
        decimal(
            "loaded_cost_per_hour",
            "Salary plus benefits and overhead per working hour.",
            example=58.5,
        ),
        text("currency", "ISO 4217 currency of the cost.", example="EUR"),
        text("employment_type", "Employment type.", example="full_time"),
        text(
            "source_id",
            "Data source that supplied the row.",
            references="data_sources.source_id",
            example="hris",
        ),
    ),
    indexes=(
        Index("ux_people_hr_id", ("hr_id",), unique=True),
        Index("ix_people_org_unit", ("org_unit_id",)),
        Index("ix_people_manager", ("manager_id",)),
        Index("ix_people_email", ("email",)),
    ),
)

ENTITIES = (ORG_UNITS, ROLES, SKILLS, ROLE_SKILL_REQUIREMENTS, PEOPLE)
