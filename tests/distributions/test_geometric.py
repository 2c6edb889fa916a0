"""Geometric: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

from scipy import stats
from tables import Case

from jaxkl.distributions import Geometric

GROUP = "discrete"
FAMILY = Geometric
CASE = Case(
    lambda rng: {"probs": float(rng.uniform(0.2, 0.9))},
    lambda probs: stats.geom(probs, loc=-1),  # failures before the first success
    True,
)
