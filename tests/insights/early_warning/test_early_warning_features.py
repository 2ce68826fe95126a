"""Features on the committed OULAD cut: computed from the raw files by hand they agree, and
DuckDB and PostgreSQL give the same matrix."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyarrow.dataset as ds
import pytest

from learnledger.insights.early_warning.features import (
    FeatureFrame,
    enrolment_features,
    features_at_days,
)
from learnledger.storage.engine import Engine

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "oulad"


def _clicks() -> list[dict[str, object]]:
    table = ds.dataset(FIXTURE / "studentVle", format="parquet", partitioning="hive").to_table()
    return table.to_pylist()


def _rows(name: str) -> list[dict[str, str]]:
    with (FIXTURE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _enrolment_id(module: object, presentation: object, student: object) -> str:
    return f"OULAD-{module}-{presentation}-{student}"


@pytest.mark.parametrize("day", [0, 28, 140])
def test_activity_and_assessment_features_match_the_raw_files(
    oulad_store: Engine, day: int
) -> None:
    frame = enrolment_features(oulad_store, day)
    interactions: dict[str, float] = defaultdict(float)
    last_7: dict[str, float] = defaultdict(float)
    days: dict[str, set[int]] = defaultdict(set)
    sites: dict[str, set[int]] = defaultdict(set)
    for click in _clicks():
        date = int(click["date"])  # type: ignore[call-overload]
        if date < day:
            key = _enrolment_id(
                click["code_module"],
                click["code_presentation"],
                int(click["id_student"]),  # type: ignore[call-overload]
            )
            interactions[key] += float(click["sum_click"])  # type: ignore[arg-type]
            if date >= day - 7:
                last_7[key] += float(click["sum_click"])  # type: ignore[arg-type]
            days[key].add(date)
            sites[key].add(int(click["id_site"]))  # type: ignore[call-overload]
    module_of = {r["id_assessment"]: r for r in _rows("assessments.csv")}
    submissions: dict[str, int] = defaultdict(int)
    for result in _rows("studentAssessment.csv"):
        a = module_of[result["id_assessment"]]
        if int(result["date_submitted"]) < day:
            key = _enrolment_id(a["code_module"], a["code_presentation"], result["id_student"])
            submissions[key] += 1
    withdrawn = {
        _enrolment_id(r["code_module"], r["code_presentation"], r["id_student"])
        for r in _rows("studentRegistration.csv")
        if r["date_unregistration"].strip() and int(r["date_unregistration"]) < day
    }
    assert len(frame) > 0
    for i, enrolment_id in enumerate(frame.enrolment_ids):
        row = frame.take(np.array([i]))
        assert row.column("interactions")[0] == interactions.get(enrolment_id, 0.0), enrolment_id
        assert row.column("active_days")[0] == len(days.get(enrolment_id, set())), enrolment_id
        assert row.column("distinct_activities")[0] == len(sites.get(enrolment_id, set()))
        assert row.column("interactions_last_7")[0] == last_7.get(enrolment_id, 0.0)
        last = max(days[enrolment_id]) if days.get(enrolment_id) else None
        since = row.column("days_since_last_activity")[0]
        assert np.isnan(since) if last is None else since == day - last, enrolment_id
        assert row.column("submissions")[0] == submissions.get(enrolment_id, 0), enrolment_id
        assert row.column("withdrawn_by_cutoff")[0] == (enrolment_id in withdrawn), enrolment_id
        assert row.column("day")[0] == day


def test_features_are_the_same_on_duckdb_and_postgresql(
    oulad_store: Engine, oulad_duckdb_reference: dict[int, tuple[list[str], np.ndarray]]
) -> None:
    for day, (ids, matrix) in oulad_duckdb_reference.items():
        frame = enrolment_features(oulad_store, day)
        assert frame.enrolment_ids == ids
        np.testing.assert_allclose(frame.matrix, matrix, rtol=1e-12, equal_nan=True)


def test_only_enrolments_registered_before_the_cutoff_are_scored(oulad_store: Engine) -> None:
    late = {
        _enrolment_id(r["code_module"], r["code_presentation"], r["id_student"])
        for r in _rows("studentRegistration.csv")
        if int(r["date_registration"]) >= 0
    }
    at_start = set(enrolment_features(oulad_store, 0).enrolment_ids)
    assert not late & at_start
    assert len(at_start) == len(_rows("studentRegistration.csv")) - len(late)


def test_all_cutoffs_in_one_query_equal_each_cutoff_on_its_own(oulad_store: Engine) -> None:
    """The one-pass query over several days gives, row for row, what one query per day gives
    (no cut-off sees another's events, results or peers)."""
    days = (56, 0, 140, 28)
    together = features_at_days(oulad_store, days)
    alone = FeatureFrame.concat([enrolment_features(oulad_store, d) for d in days])
    assert together.enrolment_ids == alone.enrolment_ids
    assert together.days.tolist() == alone.days.tolist()
    assert sorted(set(together.days.tolist())) == sorted(days)
    np.testing.assert_allclose(together.matrix, alone.matrix, rtol=1e-12, equal_nan=True)
