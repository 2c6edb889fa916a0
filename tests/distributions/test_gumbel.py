"""Gumbel: the registry case, the pairs Gumbel ‖ {Gumbel, Normal} and Gumbel's own tests."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from tables import Case, loc_scale_pair, loc_scale_params

from jaxkl.distributions import Gumbel, Normal
from jaxkl.registry import kl_divergence

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
GROUP = "real"
FAMILY = Gumbel
CASE = Case(loc_scale_params, lambda loc, scale: stats.gumbel_r(loc, scale))
_E = mp.euler


def ref_gumbel(a, b, c, d):
    r = b / d
    return mp.log(d / b) + _E * (r - 1) + (a - c) / d + mp.exp((c - a) / d) * mp.gamma(1 + r) - 1


def ref_gumbel_normal(a, b, c, d):
    second_moment = mp.pi**2 * b**2 / 6 + (a + _E * b - c) ** 2
    return mp.log(2 * mp.pi * d**2) / 2 - mp.log(b) - _E - 1 + second_moment / (2 * d**2)


_G = float(_E)

PAIRS = [
    loc_scale_pair(
        Gumbel,
        Gumbel,
        ref_gumbel,
    ),
    loc_scale_pair(
        Gumbel,
        Normal,
        ref_gumbel_normal,
        lambda m, s: (m + _G * s, math.pi / math.sqrt(6) * s),
    ),
]


def _kl(a, b, c, d):
    return kl_divergence(Gumbel(a, b), Gumbel(c, d))


_KL = jax.jit(_kl)
_GRAD = jax.jit(jax.grad(lambda *a: jnp.sum(_kl(*a)), argnums=(0, 1, 2, 3)))


@pytest.mark.parametrize("dtype, radius", [(np.float64, 0.125), (np.float32, 0.5)], ids=["float64", "float32"])
def test_series_switch_is_smooth(dtype, radius):
    """The Taylor branch (|βp/βq − 1| ≤ radius) and the lgamma branch agree in value and slope."""
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for r in (1 + radius, 1 - radius):
        xs = np.array([r * (1 - 1e-9), r, r * (1 + 1e-9), r * (1 - 1e-6), r * (1 + 1e-6)], dtype)
        one = np.ones_like(xs)
        vals = np.asarray(_KL(0.2 * one, xs, 0.0 * one, one))
        ref = [float(ref_gumbel(mp.mpf(0.2), mp.mpf(float(x)), mp.mpf(0), mp.mpf(1))) for x in xs]
        np.testing.assert_allclose(vals, ref, rtol=rtol)
        grads = _GRAD(0.2 * one, xs, 0.0 * one, one)
        for g in grads:  # the slope is continuous across the switch
            np.testing.assert_allclose(g[0], g[2], rtol=1e-6 if dtype == np.float64 else 1e-3, atol=1e-9)


def test_half_precision_returns_float32():
    out = kl_divergence(Gumbel(jnp.bfloat16(0.5), jnp.bfloat16(1.0)), Gumbel(jnp.float16(0.0), jnp.float16(2.0)))
    assert out.dtype == np.float32
    ref = float(ref_gumbel(mp.mpf(0.5), mp.mpf(1), mp.mpf(0), mp.mpf(2)))
    np.testing.assert_allclose(float(out), ref, rtol=1e-5)
