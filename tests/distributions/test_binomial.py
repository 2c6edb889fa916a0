"""Binomial: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

from scipy import stats
from tables import Case

from jaxkl.distributions import Binomial

GROUP = "discrete"
FAMILY = Binomial
BINOMIAL_N = 10.0  # one total count, so that every Binomial pair is finite and in closed form
CASE = Case(
    lambda rng: {"total_count": BINOMIAL_N, "probs": float(rng.uniform(0.1, 0.9))},
    lambda total_count, probs: stats.binom(int(total_count), probs),
    True,
)
