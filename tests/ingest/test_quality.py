"""Quality checks: each bad cell is quarantined with its row, column, value and reason."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from learnledger.ingest import Importer, parse_mapping, rejections_of
from learnledger.storage import Engine

PERF_MAPPING = """
name: perf
entity: performance_observations
source: perf
columns:
  person_id: emp
  metric_id: metric
  period_start: {from: month, format: '%Y-%m'}
  period_end: {expr: "strftime(last_day(try_strptime(month, '%Y-%m')), '%Y-%m-%d')"}
  value: {from: v, min: 0, max: 100}
"""


def _seed(engine: Engine) -> None:
    engine.execute("INSERT INTO people (person_id) VALUES ('P1'), ('P2')")
    engine.execute(
        "INSERT INTO performance_metrics (metric_id, name, unit, direction, kind) "
        "VALUES ('M1', 'Sales', 'EUR', 'higher_is_better', 'output')"
    )


def test_bad_cells_are_quarantined_with_row_column_value_reason(
    store: Engine, write: Callable[..., Path]
) -> None:
    _seed(store)
    path = write(
        "perf.csv",
        "emp,metric,month,v\n"
        "P1,M1,2024-01,50\n"  # row 2: good
        "P1,M1,2024-13,50\n"  # row 3: bad month
        "P2,M1,2024-01,abc\n"  # row 4: bad number
        "P2,M1,2024-02,150\n"  # row 5: above max
        "P9,M1,2024-01,10\n"  # row 6: unknown person
        ",M1,2024-03,10\n"  # row 7: missing person
        "P2,M1,2024-04,1\n"  # row 8: duplicate key with row 9
        "P2,M1,2024-04,2\n",
    )
    report = Importer(store).run(path, parse_mapping(PERF_MAPPING, path="perf.yml"))
    assert report.rows_read == 8
    assert report.rows_rejected == 7
    assert report.counts.inserted == 1
    found = {
        (r.row_number, r.column_name, r.value, r.reason)
        for r in rejections_of(store, report.run_id)
    }
    assert (3, "month", "2024-13", "not a valid date (expected format %Y-%m)") in found
    assert (4, "v", "abc", "not a valid number") in found
    assert (5, "v", "150", "above the maximum 100") in found
    assert (
        6,
        "emp",
        "P9",
        "unknown people.person_id: no such row in the store or this import",
    ) in found
    assert (7, "emp", None, "required value missing (person_id)") in found
    duplicates = {(r[0], r[3]) for r in found if r[1] == "emp + metric + month"}
    assert duplicates == {
        (8, "duplicate key in this file (rows 8, 9)"),
        (9, "duplicate key in this file (rows 8, 9)"),
    }
    raw = rejections_of(store, report.run_id)[0].raw
    assert raw == {"emp": "P1", "metric": "M1", "month": "2024-13", "v": "50"}
    assert report.rejected_by_reason["v: not a valid number"] == 1
    assert store.fetch_all("SELECT person_id, value FROM performance_observations") == [
        ("P1", 50.0)
    ]


def test_choices_of_the_model_and_of_the_rule(store: Engine, write: Callable[..., Path]) -> None:
    mapping = parse_mapping(
        "entity: org_units\nsource: hris\ncolumns:\n  org_unit_id: id\n  name: n\n"
        "  kind: k\n  cost_center: {from: cc, choices: [CC-1, CC-2]}\n"
    )
    path = write("units.csv", "id,n,k,cc\nA,a,team,CC-1\nB,b,squad,CC-1\nC,c,team,CC-9\n")
    report = Importer(store).run(path, mapping)
    reasons = {(r.row_number, r.reason) for r in rejections_of(store, report.run_id)}
    assert reasons == {
        (3, "not one of company, division, department, team"),
        (4, "not one of CC-1, CC-2"),
    }


def test_rows_referencing_a_rejected_row_are_rejected_in_turn(
    store: Engine, write: Callable[..., Path]
) -> None:
    from learnledger.ingest import HRIS_ROSTER_MAPPING

    header = (
        "employee_id,first_name,last_name,email,manager_id,department,job_title,location,"
        "hire_date,termination_date,employment_type\n"
    )
    path = write(
        "roster.csv",
        header + "E1,A,A,a@x.com,,D,T,L,2020-01-01,,FT\n"
        "E2,B,B,b@x.com,E1,D,T,L,not-a-date,,FT\n"  # rejected: bad date
        "E3,C,C,c@x.com,E2,D,T,L,2020-01-01,,FT\n"  # its manager E2 is rejected
        "E4,D,D,d@x.com,E3,D,T,L,2020-01-01,,FT\n",  # and so is E3, E4's manager
    )
    report = Importer(store).run(path, HRIS_ROSTER_MAPPING)
    assert report.counts.inserted == 1
    reasons = {(r.row_number, r.column_name) for r in rejections_of(store, report.run_id)}
    assert reasons == {(3, "hire_date"), (4, "manager_id"), (5, "manager_id")}
    assert store.fetch_all("SELECT person_id FROM people") == [("E1",)]
