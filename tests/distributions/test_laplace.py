"""Laplace: the registry case, the pairs Laplace ‖ {Laplace, Normal} and Laplace's own tests."""

from __future__ import annotations

import math

import jax
import mpmath as mp
import numpy as np
from scipy import stats
from tables import Case, loc_scale_pair, loc_scale_params, regime_rows

from jaxkl.distributions import Laplace, Normal
from jaxkl.registry import kl_divergence

GROUP = "real"
FAMILY = Laplace
CASE = Case(loc_scale_params, lambda loc, scale: stats.laplace(loc, scale))


def ref_laplace(a, b, c, d):
    return mp.log(d / b) + abs(a - c) / d + b / d * mp.exp(-abs(a - c) / b) - 1


def ref_laplace_normal(a, b, c, d):
    return mp.log(2 * mp.pi * d**2) / 2 - mp.log(2 * b) - 1 + (2 * b**2 + (a - c) ** 2) / (2 * d**2)


PAIRS = [
    loc_scale_pair(
        Laplace,
        Laplace,
        ref_laplace,
    ),
    loc_scale_pair(Laplace, Normal, ref_laplace_normal, lambda m, s: (m, math.sqrt(2) * s)),
]


def test_vmap_over_distributions():
    x = regime_rows(PAIRS[0], "generic")[:5]
    p, q = Laplace(*x[:, :2].T), Laplace(*x[:, 2:].T)
    np.testing.assert_allclose(jax.jit(jax.vmap(kl_divergence))(p, q), jax.jit(kl_divergence)(p, q), rtol=1e-15)
