"""Normal: the registry case, the pairs Normal ‖ {Normal, Laplace, Gumbel} and Normal's own
tests (the checks every pair and family takes are in tests/test_closed_form.py,
tests/test_registry.py and tests/test_dist_real.py)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from tables import Case, loc_scale_pair, loc_scale_params

from jaxkl.distributions import Gumbel, Laplace, Normal
from jaxkl.registry import kl_divergence

GROUP = "real"
FAMILY = Normal
CASE = Case(loc_scale_params, lambda loc, scale: stats.norm(loc, scale))


# Textbook formulas; a, b are p's (loc, scale), c, d are q's, all mpf.
def ref_normal(a, b, c, d):
    return mp.log(d / b) + (b**2 + (a - c) ** 2) / (2 * d**2) - mp.mpf(1) / 2


def ref_normal_laplace(a, b, c, d):
    z = (a - c) / b
    mean_abs = b * mp.sqrt(2 / mp.pi) * mp.exp(-(z**2) / 2) + (a - c) * mp.erf(z / mp.sqrt(2))
    return mp.log(2 * d / b) - mp.log(2 * mp.pi * mp.e) / 2 + mean_abs / d


def ref_normal_gumbel(a, b, c, d):
    return mp.log(d / b) - mp.log(2 * mp.pi * mp.e) / 2 + (a - c) / d + mp.exp(-(a - c) / d + b**2 / (2 * d**2))


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)

PAIRS = [
    loc_scale_pair(
        Normal,
        Normal,
        ref_normal,
    ),
    loc_scale_pair(Normal, Laplace, ref_normal_laplace, lambda m, s: (m, _SQRT_2_OVER_PI * s)),
    loc_scale_pair(Normal, Gumbel, ref_normal_gumbel, lambda m, s: (m - s / 2, s)),
]


def test_broadcast_batch_shapes():
    p = Normal(jnp.zeros((3, 1)), 1.0)
    q = Laplace(jnp.linspace(-1, 1, 4), 2.0)
    f = jax.jit(kl_divergence)
    out = f(p, q)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out[1], f(Normal(jnp.zeros(4), 1.0), q), rtol=1e-15)


def test_mixed_dtypes_promote():
    out = jax.eval_shape(kl_divergence, Normal(np.float32(0.5), np.float32(1.0)), Normal(0.0, 2.0))
    assert out.dtype == np.float64


def test_integer_parameters_promote_to_float():
    d = Normal(1, 2)
    assert jnp.issubdtype(d.loc.dtype, jnp.floating)
    np.testing.assert_allclose(float(d.log_prob(1)), stats.norm(1, 2).logpdf(1), rtol=1e-14)


def test_immutable():
    d = Normal(0.0, 1.0)
    with pytest.raises(AttributeError):
        d.loc = 1.0
    assert "Normal" in repr(d)
