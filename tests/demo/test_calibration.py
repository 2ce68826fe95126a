"""The default scenario's flagship lands where a plausible real case would, *in the data*.

Every figure is recomputed from the generated tables with simple, transparent estimators (mean
post-minus-pre score; a difference-in-differences with the true treatment timing against
people who never enrolled) and checked against the calibration ranges and the ground truth.
"""

from __future__ import annotations

import pytest

from learnledger.storage import Engine

FLAGSHIP = "PRG-CONSULTATIVE-SELLING"
ZERO_EFFECT = "PRG-AI-FLUENCY"

_DID_SQL = """
WITH prog_courses AS (SELECT course_id FROM courses WHERE programme_id = ?),
part AS (
    SELECT e.person_id,
           MIN(year(e.enrolled_at) * 12 + month(e.enrolled_at)) AS enrol_m,
           MAX(year(e.completed_at) * 12 + month(e.completed_at)) AS done_m,
           COUNT(e.completed_at) AS done_courses
    FROM enrolments e JOIN prog_courses USING (course_id)
    GROUP BY e.person_id
),
treated AS (
    SELECT person_id, enrol_m, done_m FROM part
    WHERE done_courses = (SELECT COUNT(*) FROM prog_courses)
),
obs AS (  -- settled employees only: the first six months of tenure are a ramp-up
    SELECT o.person_id, year(o.period_start) * 12 + month(o.period_start) AS m, o.value
    FROM performance_observations o JOIN people p USING (person_id)
    WHERE o.metric_id = ? AND o.period_start >= p.hire_date + INTERVAL 6 MONTH
),
windows AS (
    SELECT DISTINCT enrol_m, done_m, enrol_m - 6 AS pre_lo, enrol_m - 1 AS pre_hi,
           done_m + ? AS post_lo, done_m + ? + 5 AS post_hi
    FROM treated
),
ctrl_person AS (  -- never-enrolled people observed in both windows of a cohort
    SELECT w.enrol_m, w.done_m, o.person_id,
        AVG(CASE WHEN o.m BETWEEN w.pre_lo AND w.pre_hi THEN o.value END) AS pre,
        AVG(CASE WHEN o.m BETWEEN w.post_lo AND w.post_hi THEN o.value END) AS post
    FROM windows w CROSS JOIN obs o
    WHERE o.person_id NOT IN (SELECT person_id FROM part)
    GROUP BY w.enrol_m, w.done_m, o.person_id
),
ctrl AS (
    SELECT enrol_m, done_m, AVG(post - pre) AS change FROM ctrl_person
    WHERE pre IS NOT NULL AND post IS NOT NULL GROUP BY enrol_m, done_m
),
treated_person AS (
    SELECT t.person_id, t.enrol_m, t.done_m,
        AVG(CASE WHEN o.m BETWEEN w.pre_lo AND w.pre_hi THEN o.value END) AS pre,
        AVG(CASE WHEN o.m BETWEEN w.post_lo AND w.post_hi THEN o.value END) AS post
    FROM treated t JOIN windows w USING (enrol_m, done_m) JOIN obs o USING (person_id)
    GROUP BY t.person_id, t.enrol_m, t.done_m
)
SELECT AVG((t.post - t.pre) - c.change), AVG(t.pre), COUNT(*)
FROM treated_person t JOIN ctrl c USING (enrol_m, done_m)
WHERE t.pre IS NOT NULL AND t.post IS NOT NULL
"""

_NAIVE_SQL = """
WITH enrolled AS (
    SELECT DISTINCT e.person_id, COUNT(e.completed_at) OVER (PARTITION BY e.person_id) AS done
    FROM enrolments e JOIN courses c USING (course_id) WHERE c.programme_id = ?
),
last_months AS (
    SELECT person_id, value FROM performance_observations
    WHERE metric_id = ?
      AND period_start >= (SELECT MAX(period_start) FROM performance_observations)
          - INTERVAL 2 MONTH
)
SELECT
    AVG(CASE WHEN person_id IN (SELECT person_id FROM enrolled
                                WHERE done = (SELECT COUNT(*) FROM courses WHERE programme_id = ?))
             THEN value END),
    AVG(CASE WHEN person_id NOT IN (SELECT person_id FROM enrolled) THEN value END)
FROM last_months
"""


_RELATIVE_DID_SQL = _DID_SQL.replace(
    "AVG(post - pre) AS change", "AVG(post) / AVG(pre) AS change"
).replace("AVG((t.post - t.pre) - c.change)", "AVG(t.post - t.pre * c.change)")


def did(
    engine: Engine, programme_id: str, metric_id: str, ramp: int, *, relative: bool = False
) -> tuple[float, float, int]:
    """Difference-in-differences per completer: (effect, completers' pre-period mean, n).

    Each completer's change from the six months before enrolment to six months at full ramp,
    minus the mean change over the same months of never-enrolled people of the same metric.
    With `relative`, the controls' change is applied as a growth factor instead (seasonality
    and trends are multiplicative, and completers sell more than the controls).
    """
    sql = _RELATIVE_DID_SQL if relative else _DID_SQL
    row = engine.fetch_one(sql, [programme_id, metric_id, ramp, ramp])
    assert row is not None
    return float(row[0]), float(row[1]), int(row[2])


def naive_difference(engine: Engine, programme_id: str, metric_id: str) -> float:
    """Completers minus never-enrolled, last three months: the comparison selection inflates."""
    row = engine.fetch_one(_NAIVE_SQL, [programme_id, metric_id, programme_id])
    assert row is not None
    return float(row[0]) - float(row[1])


def test_flagship_proficiency_gain_is_15_to_20_points(calibration_demo):
    truth = calibration_demo.summary.ground_truth.programme(FLAGSHIP)
    (gain,) = calibration_demo.engine.fetch_one(
        """
        WITH r AS (
            SELECT ar.person_id, a.kind, ar.score_raw FROM assessment_results ar
            JOIN assessments a USING (assessment_id) WHERE a.programme_id = ?
        )
        SELECT AVG(post.score_raw - pre.score_raw) FROM r pre JOIN r post USING (person_id)
        WHERE pre.kind = 'pre' AND post.kind = 'post'
        """,
        [FLAGSHIP],
    )
    assert 15.0 <= gain <= 20.0
    assert 15.0 <= truth.proficiency_gain <= 20.0
    assert gain == pytest.approx(truth.proficiency_gain, abs=2.0)


def test_flagship_behaviour_improves_10_to_15_percent(calibration_demo):
    truth = calibration_demo.summary.ground_truth.programme(FLAGSHIP)
    metric = next(m for m in truth.metrics if m.kind == "behaviour")
    effect, baseline, n = did(
        calibration_demo.engine, FLAGSHIP, metric.metric_id, metric.ramp_months
    )
    assert n > 200
    assert 10.0 <= effect / baseline * 100.0 <= 15.0
    assert 10.0 <= metric.effect_pct <= 15.0
    assert effect == pytest.approx(metric.realised_att, rel=0.2)


def test_flagship_business_impact_is_seven_figures_with_quick_payback(calibration_demo):
    engine = calibration_demo.engine
    truth = calibration_demo.summary.ground_truth.programme(FLAGSHIP)
    kpi = next(k for k in truth.kpis if k.counted_in_benefit)
    metric = next(m for m in truth.metrics if m.metric_id == "sales_per_rep")
    effect, _, _ = did(engine, FLAGSHIP, metric.metric_id, metric.ramp_months, relative=True)
    (margin,) = engine.fetch_one(
        "SELECT monetary_value_per_unit FROM business_kpis WHERE kpi_id = ?", [kpi.kpi_id]
    )
    (active,) = engine.fetch_one(
        """
        SELECT COUNT(*) FROM (
            SELECT e.person_id FROM enrolments e JOIN courses c USING (course_id)
            JOIN people p USING (person_id)
            WHERE c.programme_id = ? AND p.leave_date IS NULL
            GROUP BY e.person_id HAVING COUNT(e.completed_at) = COUNT(*)
        ) AS completers
        """,
        [FLAGSHIP],
    )
    (cost,) = engine.fetch_one(
        "SELECT SUM(amount * allocation_share) FROM programme_costs WHERE programme_id = ?",
        [FLAGSHIP],
    )
    annual = effect * active * 12 * float(margin)
    payback = float(cost) / (annual / 12)
    assert 1_000_000 <= annual < 10_000_000
    assert 1.0 <= payback <= 6.0
    assert 1_000_000 <= truth.annual_benefit < 10_000_000
    assert 1.0 <= truth.payback_months <= 6.0
    assert annual == pytest.approx(truth.annual_benefit, rel=0.35)
    assert float(cost) == pytest.approx(truth.fully_loaded_cost, abs=1.0)


def test_zero_effect_programme_shows_no_effect_but_naive_comparison_does(calibration_demo):
    """AI Fluency changes nothing; on metrics no other programme moves, DiD finds ~0 while the
    naive comparison credits it with the selection of keen, able people."""
    engine = calibration_demo.engine
    truth = calibration_demo.summary.ground_truth.programme(ZERO_EFFECT)
    assert truth.zero_effect
    assert truth.metrics == []
    assert truth.annual_benefit == 0.0
    for metric in ("units_per_hour", "contacts_handled"):
        effect, baseline, n = did(engine, ZERO_EFFECT, metric, 2)
        assert n > 100
        assert abs(effect / baseline) < 0.02, metric
        assert naive_difference(engine, ZERO_EFFECT, metric) / baseline > 0.03, metric


def test_flagship_naive_comparison_overstates_the_true_effect(calibration_demo):
    truth = calibration_demo.summary.ground_truth.programme(FLAGSHIP)
    for metric in truth.metrics:
        naive = naive_difference(calibration_demo.engine, FLAGSHIP, metric.metric_id)
        assert naive > 1.5 * metric.realised_att, metric.metric_id
