"""Kumaraswamy: the registry case, the pairs Kumaraswamy ‖ {Beta, Uniform} and Kumaraswamy's
own tests."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from kits import kl_values
from tables import Case, bounded_pair, quad_support

from jaxkl.distributions import Beta, Kumaraswamy, Uniform
from jaxkl.registry import kl_divergence

from .test_beta import lbeta, two_shapes

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
GROUP = "bounded"
FAMILY = Kumaraswamy


class KumaraswamyScipy:
    """Kumaraswamy(a, b) with scipy's frozen-distribution interface (logpdf, support)."""

    def __init__(self, concentration1, concentration0):
        self.a, self.b = concentration1, concentration0

    def logpdf(self, x):
        x = np.asarray(x, float)
        inside = (x > 0) & (x < 1)
        xs = np.where(inside, x, 0.5)
        lp = np.log(self.a * self.b) + (self.a - 1) * np.log(xs) + (self.b - 1) * np.log1p(-(xs**self.a))
        return np.where(inside, lp, -np.inf)

    def support(self):
        return 0.0, 1.0


CASE = Case(two_shapes, KumaraswamyScipy)


def kumaraswamy_elog1mx(a, b):
    """E[log(1 − X)] for X ~ Kumaraswamy(a, b), by adaptive quadrature over t = −b·log(1 − X^a)
    (30 digits: the KL then cancels at most 1e4-fold)."""
    with mp.workdps(30):
        return _kumaraswamy_elog1mx(a, b)


def _kumaraswamy_elog1mx(a, b):
    f = lambda t: mp.exp(-t) * mp.log(-mp.expm1(mp.log1p(-mp.exp(-t / b)) / a))  # noqa: E731
    pts = sorted({mp.mpf(0), *(b * mp.mpf(10) ** k for k in range(-30, 3) if b * 10.0**k < 150), 1, 5, 20, 60, 150})
    return mp.quad(f, pts)


def ref_kumaraswamy_beta(a, b, c, d):
    hb = mp.digamma(b + 1) + mp.euler
    return mp.log(a * b) + lbeta(c, d) + (c - a) * hb / a - (b - 1) / b - (d - 1) * kumaraswamy_elog1mx(a, b)


def ref_kumaraswamy_uniform(a, b, lo, hi):
    hb = mp.digamma(b + 1) + mp.euler
    return mp.log(a * b) - (1 - 1 / a) * hb - (1 - 1 / b) + mp.log(hi - lo)


PAIRS = [
    bounded_pair(
        Kumaraswamy,
        Beta,
        ("concentration1", "concentration0"),
        ("concentration1", "concentration0"),
        ref_kumaraswamy_beta,
        {
            "generic": [
                (2.0, 3.0, 1.5, 4.0),
                (0.5, 2.0, 1.0, 3.0),
                (0.5, 0.5, 1.0, 3.0),
                (2.0, 3.0, 2.0, 3.0),
                (0.1, 0.1, 0.5, 0.5),
                (1.3, 2.5, 1.2, 2.8),
                (0.3, 0.05, 0.3, 0.05),
            ],
            "near": [
                (1.0001, 5.0, 1.0, 5.0),
                (1.000001, 3.0, 1.0000005, 3.0),
                (3.0, 1.001, 3.001, 1.0),
                (1.0, 0.02, 1.0, 0.0201),
            ],
            "extreme": [
                (0.1, 1000.0, 2.0, 5.0),
                (10.0, 1000.0, 5.0, 5.0),
                (100.0, 0.3, 1.0, 1.0),
                (2.0, 100000.0, 1.0, 100000.0),
                (50.0, 50.0, 30.0, 3.0),
            ],
        },
        quad_support,
        grads_at=[
            (1.0, 3.0, 1.0, 3.0),
            (2.0, 1.0, 2.0, 1.0),
        ],
    ),
    bounded_pair(
        Kumaraswamy,
        Uniform,
        ("concentration1", "concentration0"),
        ("low", "high"),
        ref_kumaraswamy_uniform,
        {
            "generic": [
                (2.0, 3.0, -1.0, 1.5),
                (2.0, 3.0, -1.0, 1.0),
            ],
            "near": [
                (1.000001, 1.0, 0.0, 1.0),
                (1.0, 1.0000001, 0.0, 1.0),
                (0.99999, 1.00002, 0.0, 1.0),
            ],
            "extreme": [
                (1000.0, 10000.0, 0.0, 1.0),
            ],
        },
        quad_support,
        grads_at=[
            (1.0, 1.0, 0.0, 1.0),
        ],
        inf_at=[
            (2.0, 3.0, 0.1, 1.0),
        ],
    ),
]


@pytest.mark.parametrize("name", ["Kumaraswamy-Beta"])  # (the id keeps it on the pair's worker)
def test_beats_the_truncated_series(name):
    # numpyro/TFP sum 10 terms of E[log(1 − X)] = −Σ b·B(1 + m/a, b)/m; at a = b = 0.5 the
    # tail they drop is several per cent of the KL.
    a, b, c, d = map(mp.mpf, (0.5, 0.5, 1.0, 3.0))
    want = ref_kumaraswamy_beta(a, b, c, d)
    trunc = -sum(b * mp.beta(1 + m / a, b) / m for m in range(1, 11))
    hb = mp.digamma(b + 1) + mp.euler
    truncated = mp.log(a * b) + lbeta(c, d) + (c - a) * hb / a - (b - 1) / b - (d - 1) * trunc
    assert abs(float(truncated / want) - 1) > 0.01
    got = kl_values(Kumaraswamy, Beta, [(0.5, 0.5, 1.0, 3.0)], 2)[0]
    np.testing.assert_allclose(got, float(want), rtol=1e-12)


def test_no_closed_form_with_itself():
    with pytest.raises(NotImplementedError, match="Kumaraswamy"):
        kl_divergence(Kumaraswamy(2.0, 3.0), Kumaraswamy(2.0, 3.0))
