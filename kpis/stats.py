"""Confidence intervals and significance tests for the KPIs, from exact counts and sums.

- NPS: normal interval with the multinomial variance of (promoter - detractor) per answer,
  `1.96 * sqrt((p + d - (p - d)^2) / n)` (DESIGN.md), in NPS points.
- Shares (CSAT, FCR, rates): Wilson score interval, always within 0-100 %.
- Means (CES): Student's t interval, cut to the answer scale: with few or spread answers the
  t interval reaches past it (two CES answers, 1 and 7, give -33 to 41 on a 1-7 scale), and a
  mean can never lie outside the scale, so the part beyond it holds no possible value. The cut
  interval keeps at least the coverage of the t interval; it says as plainly that the mean is
  barely known.
- A change between two periods or segments: a two-sample z-test for NPS (same variance as
  its interval), a two-proportion z-test (pooled) for shares, Welch's t-test for means. A change
  is called significant only when the test says so at 95 % and both sides have at least
  KPI_MIN_SAMPLE answers: below that, the normal approximations behind the tests do not hold
  and a figure is flagged as a small sample, never as a significant change.

Student's t distribution is computed here (regularised incomplete beta by continued fraction)
rather than pulling a scientific stack into a web service for two functions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from django.conf import settings
from django.utils.translation import gettext_lazy as _

Z95 = NormalDist().inv_cdf(0.975)  # 1.959963...
ALPHA = 0.05


def nps_interval(promoters: int, detractors: int, n: int) -> tuple[float, float] | None:
    if n == 0:
        return None
    p, d = promoters / n, detractors / n
    nps = 100 * (promoters - detractors) / n
    half = 100 * 1.96 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    return (max(nps - half, -100.0), min(nps + half, 100.0))


def wilson_interval(successes: int, n: int, scale: float = 100.0) -> tuple[float, float] | None:
    if n == 0:
        return None
    z = Z95
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (scale * max(centre - half, 0.0), scale * min(centre + half, 1.0))


def mean_interval(
    total: int, squares: int, n: int, scale: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """Student's t interval of a mean from the count, sum and sum of squares, within `scale`."""
    if n < 2:
        return None
    mean = total / n
    variance = _variance(total, squares, n)
    half = t_quantile(0.975, n - 1) * math.sqrt(max(variance, 0.0) / n)
    low, high = mean - half, mean + half
    if scale is not None:
        low, high = max(low, scale[0]), min(high, scale[1])
    return (low, high)


def _variance(total: int, squares: int, n: int) -> float:
    # Sample variance from exact integer sums: (n*sum(x^2) - sum(x)^2) / (n (n-1)).
    return (n * squares - total * total) / (n * (n - 1))


# The tests, by the name the API gives them, and as people read them.
TWO_PROPORTION = "two-proportion z-test"
NPS_Z = "two-sample z-test (NPS)"
WELCH = "Welch's t-test"
TEST_LABELS = {
    TWO_PROPORTION: _("two-proportion z-test"),
    NPS_Z: _("two-sample z-test (NPS)"),
    WELCH: _("Welch's t-test"),
}

# How a change reads against the figure's good direction (kpis.definition.UP / DOWN).
BETTER, WORSE, UNCHANGED = "better", "worse", "unchanged"


@dataclass(frozen=True)
class Change:
    """The difference b - a between two figures and whether it is significant at 95 %.

    `n_before` and `n_after` are the samples' sizes: a change is significant only when both
    reach KPI_MIN_SAMPLE.
    """

    test: str
    difference: float | None
    statistic: float | None
    p_value: float | None
    n_before: int = 0
    n_after: int = 0

    @property
    def small_sample(self) -> bool:
        return min(self.n_before, self.n_after) < settings.KPI_MIN_SAMPLE

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA and not self.small_sample

    @property
    def test_label(self) -> str:
        return str(TEST_LABELS.get(self.test, self.test))

    def direction(self, good: int) -> str | None:
        """better, worse or unchanged, given which way the figure is good (1 up, -1 down);
        None when there is nothing to compare or no way is better."""
        if self.difference is None or not good:
            return None
        if self.difference == 0:
            return UNCHANGED
        return BETTER if (self.difference > 0) == (good > 0) else WORSE

    def as_dict(self) -> dict[str, object]:
        return {
            "test": self.test,
            "difference": self.difference,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "significant": self.significant,
        }


def _normal_p(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def proportion_change(x1: int, n1: int, x2: int, n2: int, scale: float = 100.0) -> Change:
    """Two-proportion z-test (pooled variance), two-sided."""
    name, sizes = TWO_PROPORTION, (n1, n2)
    if not n1 or not n2:
        return Change(name, None, None, None, *sizes)
    p1, p2 = x1 / n1, x2 / n2
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    diff = scale * (x2 * n1 - x1 * n2) / (n1 * n2)
    if se == 0:
        return Change(name, diff, None, None if p1 == p2 else 0.0, *sizes)
    z = (p2 - p1) / se
    return Change(name, diff, z, _normal_p(z), *sizes)


def nps_change(p1: int, d1: int, n1: int, p2: int, d2: int, n2: int) -> Change:
    """Two-sample z-test on NPS, each side with the variance its interval uses."""
    name, sizes = NPS_Z, (n1, n2)
    if not n1 or not n2:
        return Change(name, None, None, None, *sizes)

    def spread(p: int, d: int, n: int) -> float:
        sp, sd = p / n, d / n
        return max(sp + sd - (sp - sd) ** 2, 0.0) / n

    nps1, nps2 = (p1 - d1) / n1, (p2 - d2) / n2
    se = math.sqrt(spread(p1, d1, n1) + spread(p2, d2, n2))
    diff = 100 * ((p2 - d2) * n1 - (p1 - d1) * n2) / (n1 * n2)
    if se == 0:
        return Change(name, diff, None, None if nps1 == nps2 else 0.0, *sizes)
    z = (nps2 - nps1) / se
    return Change(name, diff, z, _normal_p(z), *sizes)


def mean_change(s1: int, q1: int, n1: int, s2: int, q2: int, n2: int) -> Change:
    """Welch's t-test on two means given counts, sums and sums of squares, two-sided."""
    name, sizes = WELCH, (n1, n2)
    if n1 < 2 or n2 < 2:
        diff = s2 / n2 - s1 / n1 if n1 and n2 else None
        return Change(name, diff, None, None, *sizes)
    v1, v2 = _variance(s1, q1, n1) / n1, _variance(s2, q2, n2) / n2
    diff = s2 / n2 - s1 / n1
    if v1 + v2 == 0:
        return Change(name, diff, None, None if diff == 0 else 0.0, *sizes)
    t = diff / math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    return Change(name, diff, t, 2 * t_sf(abs(t), df), *sizes)


# --- Student's t ------------------------------------------------------------------------------


def t_sf(t: float, df: float) -> float:
    """P(T > t) for t >= 0."""
    x = df / (df + t * t)
    return 0.5 * _betainc(df / 2, 0.5, x)


def t_quantile(p: float, df: float) -> float:
    """The t such that P(T <= t) = p, for p in (0.5, 1): bisection on the survival function."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    target = 1 - p
    low, high = 0.0, 1.0
    while t_sf(high, df) > target:
        high *= 2
    for _step in range(200):
        mid = (low + high) / 2
        if t_sf(mid, df) > target:
            low = mid
        else:
            high = mid
        if high - low < 1e-12:
            break
    return (low + high) / 2


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    # The continued fraction converges fast for x < (a + 1) / (a + b + 2); use symmetry otherwise.
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1 - x) / b


def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta, evaluated with the modified Lentz method."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        # Even step, then odd step of the fraction's terms.
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1.0) < 1e-15:
            break
    return result
