"""Distribution functions against tabulated values."""

from __future__ import annotations

import pytest

from learnledger.impact.stats import (
    chi_square_survival,
    normal_quantile,
    student_t_quantile,
    two_sided_normal_p,
    two_sided_t_p,
)


@pytest.mark.parametrize(
    ("statistic", "dof", "expected"),
    [(3.841459, 1, 0.05), (11.070498, 5, 0.05), (2.0, 10, 0.996340), (30.0, 3, 1.3801e-6)],
)
def test_chi_square_survival(statistic: float, dof: int, expected: float) -> None:
    assert chi_square_survival(statistic, dof) == pytest.approx(expected, rel=1e-3)


def test_normal_helpers() -> None:
    assert normal_quantile(0.975) == pytest.approx(1.959964, rel=1e-6)
    assert two_sided_normal_p(1.959964) == pytest.approx(0.05, rel=1e-4)
    assert chi_square_survival(0.0, 2) == 1.0


@pytest.mark.parametrize(
    ("probability", "dof", "expected"),
    [(0.975, 1, 12.706205), (0.975, 10, 2.228139), (0.95, 5, 2.015048), (0.975, 30, 2.042272)],
)
def test_student_t_quantile(probability: float, dof: float, expected: float) -> None:
    assert student_t_quantile(probability, dof) == pytest.approx(expected, rel=1e-6)
    assert two_sided_t_p(expected, dof) == pytest.approx(2 * (1 - probability), rel=1e-5)


def test_infinite_degrees_of_freedom_are_the_normal() -> None:
    assert student_t_quantile(0.975, float("inf")) == pytest.approx(normal_quantile(0.975))
    assert two_sided_t_p(1.959964, float("inf")) == pytest.approx(0.05, rel=1e-4)
    with pytest.raises(ValueError, match="positive"):
        student_t_quantile(0.975, 0.0)
