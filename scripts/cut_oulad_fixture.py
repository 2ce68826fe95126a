"""Cut the small OULAD fixture of the tests from the full dataset.

    .venv/bin/python scripts/cut_oulad_fixture.py ../shared/data/oulad tests/fixtures/oulad

Keeps module AAA, presentations 2013J and 2014J, and a few students of each final result
(Pass, Distinction, Fail, Withdrawn) in each presentation: every file of the dataset, cut to
those presentations and students; the click rows (studentVle) limited to the first
`--clicks-per-student` rows of each student, written as hive-partitioned Parquet like the
shared copy. The choice is deterministic (lowest student ids), so running it again gives the
same files. OULAD is CC BY 4.0: the fixture carries its ATTRIBUTION.md.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import duckdb

MODULE = "AAA"
PRESENTATIONS = ("2013J", "2014J")
RESULTS = ("Pass", "Distinction", "Fail", "Withdrawn")


def cut(source: Path, target: Path, *, per_result: int, clicks_per_student: int) -> None:
    """Write the fixture cut from `source` (the full OULAD directory) into `target`."""
    con = duckdb.connect()
    for name in ("courses", "assessments", "vle", "studentInfo", "studentRegistration"):
        con.execute(
            f"CREATE TABLE {name} AS SELECT * FROM read_csv(?, all_varchar = true)",
            [str(source / f"{name}.csv")],
        )
    con.execute(
        "CREATE TABLE studentAssessment AS SELECT * FROM read_csv(?, all_varchar = true)",
        [str(source / "studentAssessment.csv")],
    )
    presentations = ", ".join(f"'{p}'" for p in PRESENTATIONS)
    results = ", ".join(f"'{r}'" for r in RESULTS)
    con.execute(
        f"""
        CREATE TABLE chosen AS SELECT code_module, code_presentation, id_student FROM (
          SELECT *, row_number() OVER (PARTITION BY code_presentation, final_result
                                       ORDER BY CAST(id_student AS BIGINT)) AS n
          FROM studentInfo
          WHERE code_module = '{MODULE}' AND code_presentation IN ({presentations})
            AND final_result IN ({results})
        ) WHERE n <= {per_result}
        """
    )
    in_scope = f"code_module = '{MODULE}' AND code_presentation IN ({presentations})"
    target.mkdir(parents=True, exist_ok=True)
    queries = {
        "courses": f"SELECT * FROM courses WHERE {in_scope}",
        "assessments": f"SELECT * FROM assessments WHERE {in_scope}",
        "studentInfo": "SELECT i.* FROM studentInfo AS i SEMI JOIN chosen "
        "USING (code_module, code_presentation, id_student)",
        "studentRegistration": "SELECT r.* FROM studentRegistration AS r SEMI JOIN chosen "
        "USING (code_module, code_presentation, id_student)",
        "studentAssessment": "SELECT s.* FROM studentAssessment AS s "
        "JOIN assessments AS a USING (id_assessment) "
        "SEMI JOIN chosen AS c ON c.id_student = s.id_student "
        "AND c.code_module = a.code_module AND c.code_presentation = a.code_presentation "
        "ORDER BY CAST(s.id_assessment AS BIGINT), CAST(s.id_student AS BIGINT)",
    }
    clicks = f"""
        SELECT v.* EXCLUDE (n) FROM (
          SELECT *, row_number() OVER (PARTITION BY code_module, code_presentation, id_student
                                       ORDER BY file_row_number) AS n
          FROM read_parquet(?, hive_partitioning = true, file_row_number = true)
          WHERE {in_scope}
        ) AS v SEMI JOIN chosen USING (code_module, code_presentation, id_student)
        WHERE n <= {clicks_per_student}
    """
    con.execute(
        f"CREATE TABLE clicks AS {clicks} ORDER BY code_presentation, file_row_number",
        [str(source / "studentVle" / "**" / "*.parquet")],
    )
    # The VLE sites of the presentations that the kept clicks use, plus a few never clicked.
    queries["vle"] = (
        f"SELECT * FROM vle WHERE {in_scope} AND (id_site IN "
        "(SELECT CAST(CAST(id_site AS BIGINT) AS VARCHAR) FROM clicks) "
        "OR id_site IN (SELECT min(id_site) FROM vle GROUP BY code_module, code_presentation, "
        "activity_type)) ORDER BY code_presentation, CAST(id_site AS BIGINT)"
    )
    for name, sql in queries.items():
        con.execute(f"COPY ({sql}) TO '{target / (name + '.csv')}' (HEADER, DELIMITER ',')")
    vle_dir = target / "studentVle"
    if vle_dir.exists():
        shutil.rmtree(vle_dir)
    con.execute(
        f"COPY (SELECT id_student, id_site, date, sum_click, code_module, code_presentation "
        f"FROM clicks ORDER BY code_presentation, file_row_number) TO '{vle_dir}' "
        "(FORMAT parquet, PARTITION_BY (code_module, code_presentation))"
    )
    for parquet in sorted(vle_dir.rglob("*.parquet")):
        parquet.rename(parquet.with_name("part-0.parquet"))
    con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", type=Path, help="the full OULAD directory")
    parser.add_argument("target", type=Path, help="the fixture directory to write")
    parser.add_argument("--per-result", type=int, default=2, help="students per final result")
    parser.add_argument("--clicks-per-student", type=int, default=20)
    args = parser.parse_args()
    cut(
        args.source,
        args.target,
        per_result=args.per_result,
        clicks_per_student=args.clicks_per_student,
    )


if __name__ == "__main__":
    main()
