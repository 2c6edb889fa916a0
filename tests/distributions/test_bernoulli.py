"""Bernoulli: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

from scipy import stats
from tables import Case

from jaxkl.distributions import Bernoulli

GROUP = "discrete"
FAMILY = Bernoulli
CASE = Case(lambda rng: {"probs": float(rng.uniform(0.1, 0.9))}, lambda probs: stats.bernoulli(probs), True)
