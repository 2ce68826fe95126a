"""Distribution functions against tabulated values."""

from __future__ import annotations

import pytest

from learnledger.impact.stats import chi_square_survival, normal_quantile, two_sided_normal_p


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
