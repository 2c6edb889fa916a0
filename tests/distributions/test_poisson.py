"""Poisson: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

from scipy import stats
from tables import Case

from jaxkl.distributions import Poisson

GROUP = "discrete"
FAMILY = Poisson
CASE = Case(lambda rng: {"rate": float(rng.uniform(0.5, 5.0))}, lambda rate: stats.poisson(rate), True)
