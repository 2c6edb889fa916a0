"""Delta: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import numpy as np
from tables import Case

from jaxkl.distributions import Delta

GROUP = "discrete"
FAMILY = Delta


class DeltaScipy:
    """The point mass at v with scipy's frozen-distribution interface (logpmf, support)."""

    def __init__(self, v):
        self.v = float(v)

    def logpmf(self, x):
        x = np.asarray(x, float)
        return np.where(x == self.v, 0.0, -np.inf)

    def support(self):
        return self.v, self.v


# v = 0.5 lies inside the support of every univariate continuous family of the table (and
# outside every discrete one: +inf there); Delta ‖ (multivariate q) needs a vector v and is
# not a table pair.
CASE = Case(lambda rng: {"v": 0.5}, DeltaScipy, True)
