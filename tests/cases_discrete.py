"""Registry-table cases for the discrete families and the point mass."""

from __future__ import annotations

import numpy as np
from cases_common import Case
from scipy import stats

from jaxkl.distributions import Bernoulli, Binomial, Categorical, Delta, Geometric, OneHotCategorical, Poisson

K = 4  # categories of the Categorical cases
BINOMIAL_N = 10.0  # one total count, so that every Binomial pair is finite and in closed form


class DeltaScipy:
    """The point mass at v with scipy's frozen-distribution interface (logpmf, support)."""

    def __init__(self, v):
        self.v = float(v)

    def logpmf(self, x):
        x = np.asarray(x, float)
        return np.where(x == self.v, 0.0, -np.inf)

    def support(self):
        return self.v, self.v


def _categorical_scipy(probs):
    """Categorical (and OneHotCategorical, indexed by the position of the one) as rv_discrete."""
    return stats.rv_discrete(values=(np.arange(len(probs)), np.asarray(probs, float)))


def _simplex(rng):
    p = rng.dirichlet(np.full(K, 2.0))
    return {"probs": p / p.sum()}


CASES = {
    Bernoulli: Case(lambda rng: {"probs": float(rng.uniform(0.1, 0.9))}, lambda probs: stats.bernoulli(probs), True),
    Binomial: Case(
        lambda rng: {"total_count": BINOMIAL_N, "probs": float(rng.uniform(0.1, 0.9))},
        lambda total_count, probs: stats.binom(int(total_count), probs),
        True,
    ),
    Geometric: Case(
        lambda rng: {"probs": float(rng.uniform(0.2, 0.9))},
        lambda probs: stats.geom(probs, loc=-1),  # failures before the first success
        True,
    ),
    Poisson: Case(lambda rng: {"rate": float(rng.uniform(0.5, 5.0))}, lambda rate: stats.poisson(rate), True),
    Categorical: Case(_simplex, _categorical_scipy, True),
    OneHotCategorical: Case(_simplex, _categorical_scipy, True),
    # v = 0.5 lies inside the support of every univariate continuous family of the table
    # (and outside every discrete one: +inf there); Delta‖(multivariate q) needs a
    # vector v and is not a table pair.
    Delta: Case(lambda rng: {"v": 0.5}, DeltaScipy, True),
}
