"""Registry-table cases for the bounded-support families."""

from __future__ import annotations

import math

import numpy as np
from cases_common import Case
from scipy import stats

from jaxkl.distributions import Beta, ContinuousBernoulli, Kumaraswamy, Uniform, VonMises


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


class ContinuousBernoulliScipy:
    """ContinuousBernoulli(λ) with scipy's frozen-distribution interface (logpdf, support)."""

    def __init__(self, probs):
        self.lam = probs

    def logpdf(self, x):
        x = np.asarray(x, float)
        lam = self.lam
        log_c = math.log(2.0) if lam == 0.5 else math.log(2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam))
        inside = (x >= 0) & (x <= 1)
        lp = log_c + x * math.log(lam) + (1 - x) * math.log1p(-lam)
        return np.where(inside, lp, -np.inf)

    def support(self):
        return 0.0, 1.0


def _two_shapes(rng):
    return {"concentration1": float(rng.uniform(0.8, 4.0)), "concentration0": float(rng.uniform(0.8, 4.0))}


CASES = {
    Beta: Case(_two_shapes, lambda concentration1, concentration0: stats.beta(concentration1, concentration0)),
    Kumaraswamy: Case(_two_shapes, KumaraswamyScipy),
    Uniform: Case(
        lambda rng: {"low": float(rng.uniform(-1.0, 0.0)), "high": float(rng.uniform(0.5, 2.0))},
        lambda low, high: stats.uniform(low, high - low),
    ),
    ContinuousBernoulli: Case(lambda rng: {"probs": float(rng.uniform(0.1, 0.9))}, ContinuousBernoulliScipy),
    VonMises: Case(
        lambda rng: {"loc": float(rng.uniform(-1.0, 1.0)), "concentration": float(rng.uniform(0.5, 4.0))},
        lambda loc, concentration: stats.vonmises(concentration, loc=loc),
    ),
}
