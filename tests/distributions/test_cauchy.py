"""Cauchy: the registry case, the pair Cauchy ‖ Cauchy and Cauchy's own tests."""

from __future__ import annotations

import jax
import mpmath as mp
import numpy as np
from scipy import stats
from tables import Case, loc_scale_pair, loc_scale_params, regime_rows

from jaxkl.distributions import Cauchy
from jaxkl.registry import kl_divergence

GROUP = "real"
FAMILY = Cauchy
CASE = Case(loc_scale_params, lambda loc, scale: stats.cauchy(loc, scale))


def ref_cauchy(a, b, c, d):
    return mp.log((b + d) ** 2 + (a - c) ** 2) - mp.log(4 * b * d)


PAIRS = [
    loc_scale_pair(
        Cauchy,
        Cauchy,
        ref_cauchy,
    )
]


def test_kl_is_symmetric():
    x = regime_rows(PAIRS[0], "mixed")
    p, q = x[:, :2].T, x[:, 2:].T
    f = jax.jit(lambda a, b, c, d: kl_divergence(Cauchy(a, b), Cauchy(c, d)))
    np.testing.assert_allclose(f(*p, *q), f(*q, *p), rtol=1e-14)
