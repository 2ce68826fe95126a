"""Small distribution functions the estimators need: normal and chi-square (dependency-free),
Student's t (through SciPy's special functions)."""

from __future__ import annotations

import math
from statistics import NormalDist

from scipy import special

_STANDARD_NORMAL = NormalDist()


def normal_quantile(probability: float) -> float:
    """The standard normal quantile, e.g. 1.959964 for 0.975."""
    return _STANDARD_NORMAL.inv_cdf(probability)


def two_sided_normal_p(z: float) -> float:
    """Two-sided p-value of a z statistic."""
    if math.isnan(z):
        return math.nan
    return 2.0 * (1.0 - _STANDARD_NORMAL.cdf(abs(z)))


def student_t_quantile(probability: float, degrees_of_freedom: float) -> float:
    """Student's t quantile with `degrees_of_freedom` (any positive real; infinite gives the
    normal quantile), e.g. 2.228139 for 0.975 with 10."""
    if not degrees_of_freedom > 0:
        raise ValueError("degrees_of_freedom must be positive")
    if math.isinf(degrees_of_freedom):
        return normal_quantile(probability)
    return float(special.stdtrit(degrees_of_freedom, probability))


def two_sided_t_p(t: float, degrees_of_freedom: float) -> float:
    """Two-sided p-value of a t statistic with `degrees_of_freedom` (infinite: normal)."""
    if math.isnan(t):
        return math.nan
    if math.isinf(degrees_of_freedom):
        return two_sided_normal_p(t)
    return float(2.0 * special.stdtr(degrees_of_freedom, -abs(t)))


def chi_square_survival(statistic: float, degrees_of_freedom: int) -> float:
    """P(X >= statistic) for X ~ chi-square with `degrees_of_freedom`, via the regularised upper
    incomplete gamma function Q(k/2, x/2) (series below the mean, continued fraction above)."""
    if degrees_of_freedom <= 0:
        raise ValueError("degrees_of_freedom must be positive")
    if math.isnan(statistic):
        return math.nan
    if statistic <= 0:
        return 1.0
    return _upper_regularised_gamma(degrees_of_freedom / 2.0, statistic / 2.0)


def _upper_regularised_gamma(a: float, x: float) -> float:
    log_prefix = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1.0:  # series for the lower function P(a, x)
        term = total = 1.0 / a
        denominator = a
        for _ in range(1000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    # Lentz's continued fraction for Q(a, x)
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)
