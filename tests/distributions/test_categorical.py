"""Categorical: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import numpy as np
from scipy import stats
from tables import Case

from jaxkl.distributions import Categorical

GROUP = "discrete"
FAMILY = Categorical
K = 4  # categories of the Categorical cases


def scipy_categorical(probs):
    """Categorical (and OneHotCategorical, indexed by the position of the one) as rv_discrete."""
    return stats.rv_discrete(values=(np.arange(len(probs)), np.asarray(probs, float)))


def simplex(rng):
    p = rng.dirichlet(np.full(K, 2.0))
    return {"probs": p / p.sum()}


CASE = Case(simplex, scipy_categorical, True)
