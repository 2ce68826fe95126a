"""Classical test theory for one test: item difficulty and discrimination, reliability.

All functions take a complete ``people x items`` score matrix (rows: attempts, columns:
items; points scored on each item, 0/1 for dichotomous items) and are pure NumPy.

- Difficulty (p-value): mean item score divided by the item's maximum points (share correct
  for 0/1 items). High p = easy item.
- Corrected item-total correlation: Pearson correlation of the item with the total of the
  *other* items (the point-biserial correlation for a 0/1 item), so the item does not
  correlate with itself.
- Upper-lower index (Kelley): difficulty in the top `fraction` (default 27 %) of total scores
  minus difficulty in the bottom `fraction`. Ties at the cut are broken by row order.
- Cronbach's alpha: ``k / (k - 1) * (1 - sum(item variances) / variance(total))``; KR-20 is
  the same formula with ``p * q`` as the variance of a 0/1 item, so the two agree on 0/1 data
  (population variances are used throughout, which makes the identity exact).
- Standard error of measurement: ``sd(total) * sqrt(1 - reliability)`` (sample sd).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatMatrix = NDArray[np.float64]
FloatVector = NDArray[np.float64]

#: Share of attempts in each of the upper and lower groups (Kelley's 27 %).
UPPER_LOWER_FRACTION = 0.27


def _matrix(scores: FloatMatrix | list[list[float]]) -> FloatMatrix:
    matrix = np.asarray(scores, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError("scores must be a people x items matrix")
    if np.isnan(matrix).any():
        raise ValueError("scores must be complete (no missing responses)")
    return matrix


def item_difficulty(
    scores: FloatMatrix | list[list[float]], max_points: FloatVector | None = None
) -> FloatVector:
    """Mean score of each item as a share of its maximum points (default 1 point each)."""
    matrix = _matrix(scores)
    top = np.ones(matrix.shape[1]) if max_points is None else np.asarray(max_points, float)
    return np.asarray(matrix.mean(axis=0) / top, dtype=np.float64)


def corrected_item_total(scores: FloatMatrix | list[list[float]]) -> FloatVector:
    """Correlation of each item with the total of the other items (nan when either has no
    variance)."""
    matrix = _matrix(scores)
    total = matrix.sum(axis=1)
    result = np.full(matrix.shape[1], np.nan)
    for j in range(matrix.shape[1]):
        item = matrix[:, j]
        rest = total - item
        if item.std() == 0 or rest.std() == 0:
            continue
        result[j] = float(np.corrcoef(item, rest)[0, 1])
    return result


def upper_lower_groups(
    totals: FloatVector, fraction: float = UPPER_LOWER_FRACTION
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row indices of the upper and lower `fraction` of `totals` (at least one row each;
    stable sort, so ties at the cut follow row order)."""
    n = len(totals)
    size = max(1, round(fraction * n))
    order = np.argsort(np.asarray(totals), kind="stable")
    return order[n - size :], order[:size]


def upper_lower_index(
    scores: FloatMatrix | list[list[float]],
    max_points: FloatVector | None = None,
    fraction: float = UPPER_LOWER_FRACTION,
) -> FloatVector:
    """Difficulty in the upper group minus difficulty in the lower group, per item."""
    matrix = _matrix(scores)
    upper, lower = upper_lower_groups(matrix.sum(axis=1), fraction)
    return item_difficulty(matrix[upper], max_points) - item_difficulty(matrix[lower], max_points)


def cronbach_alpha(scores: FloatMatrix | list[list[float]]) -> float:
    """Cronbach's alpha (nan for fewer than 2 items or a constant total)."""
    matrix = _matrix(scores)
    k = matrix.shape[1]
    total_var = matrix.sum(axis=1).var()
    if k < 2 or total_var == 0:
        return math.nan
    return float(k / (k - 1) * (1.0 - matrix.var(axis=0).sum() / total_var))


def kr20(scores: FloatMatrix | list[list[float]]) -> float:
    """Kuder-Richardson 20 for 0/1 items (ValueError for other scores)."""
    matrix = _matrix(scores)
    if not np.isin(matrix, (0.0, 1.0)).all():
        raise ValueError("KR-20 needs dichotomous (0/1) item scores")
    k = matrix.shape[1]
    total_var = matrix.sum(axis=1).var()
    if k < 2 or total_var == 0:
        return math.nan
    p = matrix.mean(axis=0)
    return float(k / (k - 1) * (1.0 - (p * (1.0 - p)).sum() / total_var))


def alpha_if_deleted(scores: FloatMatrix | list[list[float]]) -> FloatVector:
    """Cronbach's alpha of the test without each item in turn."""
    matrix = _matrix(scores)
    return np.array(
        [cronbach_alpha(np.delete(matrix, j, axis=1)) for j in range(matrix.shape[1])],
        dtype=np.float64,
    )


def standard_error_of_measurement(
    scores: FloatMatrix | list[list[float]], reliability: float
) -> float:
    """``sd(total) * sqrt(1 - reliability)``, in the test's raw points (nan when undefined)."""
    matrix = _matrix(scores)
    if matrix.shape[0] < 2 or math.isnan(reliability):
        return math.nan
    sd = float(matrix.sum(axis=1).std(ddof=1))
    return sd * math.sqrt(max(0.0, 1.0 - reliability))
