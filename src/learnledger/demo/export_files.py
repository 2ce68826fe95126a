"""The files `learnledger demo export` writes: one per source-system export, in import order.

Each file is the inverse of a shipped mapping (``ingest/mappings/demo_*.yml``): its columns are
the mapping's source columns, its values the canonical ones written back the way the mapping
reads them (inverse value maps, the mapping's date formats). A path with ``{source}`` is
written once per data source the entity's rows come from (e.g. one performance export per
system). `extra` gives the source columns that a mapping reads only through an ``expr``, as
DuckDB SQL over the canonical columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ExportFile:
    """One exported file: where it goes, the mapping that imports it, the source it comes from."""

    path: str
    mapping: str
    source_id: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def per_source(self) -> bool:
        """Whether one file is written per data source found in the rows."""
        return "{source}" in self.path


#: Where the xAPI statements go (NDJSON, one statement per line, as the LRS stored them).
STATEMENTS_FILE = "lrs/statements.ndjson"
STATEMENTS_SOURCE = "lrs"

#: Every mapped export, in an order in which each file's references are imported before it.
EXPORT_FILES: tuple[ExportFile, ...] = (
    ExportFile("hris/org_structure.csv", "demo_org_units", "hris"),
    ExportFile("hris/job_catalogue.csv", "demo_job_catalogue", "hris"),
    ExportFile("hris/competency_framework.csv", "demo_competencies", "hris"),
    ExportFile("hris/job_competencies.csv", "demo_job_competencies", "hris"),
    ExportFile(
        "hris/worker_roster.csv",
        "demo_hris_roster",
        "hris",
        # HR systems keep e-mail addresses as typed; the mapping lower-cases them.
        {"Work Email": "upper(email[1]) || email[2:]"},
    ),
    ExportFile("hris/consent_register.csv", "demo_consent", "hris"),
    ExportFile(
        "lms/user_accounts.csv", "demo_lms_accounts", "lms", {"Username": "split_part(ifi, '|', 2)"}
    ),
    ExportFile("lrs/agent_links.csv", "demo_agent_links", "lrs"),
    ExportFile("lms/curricula.csv", "demo_curricula", "lms"),
    ExportFile("lms/curriculum_objectives.csv", "demo_curriculum_objectives", "lms"),
    ExportFile("lms/classes.csv", "demo_classes", "lms"),
    ExportFile("lms/course_catalog.csv", "demo_course_catalog", "lms"),
    ExportFile("lms/course_modules.csv", "demo_course_modules", "lms"),
    ExportFile("lms/enrollments.csv", "demo_enrollments", "lms"),
    ExportFile("assessments/tests.csv", "demo_tests", "assessments"),
    ExportFile("assessments/questions.csv", "demo_questions", "assessments"),
    ExportFile("assessments/attempts.csv", "demo_test_attempts", "assessments"),
    ExportFile("assessments/responses.csv", "demo_question_responses", "assessments"),
    ExportFile("{source}/skill_ratings.csv", "demo_skill_ratings"),
    ExportFile("bi/metric_catalogue.csv", "demo_metric_catalogue", "bi"),
    ExportFile("{source}/performance_monthly.csv", "demo_performance_monthly"),
    ExportFile("bi/kpi_catalogue.csv", "demo_kpi_catalogue", "bi"),
    ExportFile("{source}/kpi_monthly.csv", "demo_kpi_monthly"),
    ExportFile("finance/programme_costs.csv", "demo_programme_costs", "finance"),
    ExportFile("hris/headcount_plan.csv", "demo_headcount_plans", "hris"),
)
