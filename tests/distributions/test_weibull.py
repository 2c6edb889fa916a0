"""Weibull: the registry case, the pairs Weibull ‖ {Weibull, Gamma} and Weibull's own tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import special, stats
from tables import Case, perturb

from jaxkl.distributions import Gamma, Weibull
from jaxkl.registry import kl_divergence

from .test_gamma import GAMMA, N, lu, positive_pair

GROUP = "positive"
FAMILY = Weibull
CASE = Case(
    lambda rng: {"scale": float(rng.uniform(0.5, 2.0)), "concentration": float(rng.uniform(1.2, 3.0))},
    lambda scale, concentration: stats.weibull_min(concentration, scale=scale),
)


def ref_weibull(l1, k1, l2, k2):
    # Bauckhage (2013)
    return (
        mp.log(k1 / l1**k1)
        - mp.log(k2 / l2**k2)
        + (k1 - k2) * (mp.log(l1) - mp.euler / k1)
        + (l1 / l2) ** k2 * mp.gamma(k2 / k1 + 1)
        - 1
    )


def ref_weibull_gamma(lam, k, a, b):
    return mp.log(k) - a * mp.log(b * lam) + mp.loggamma(a) - 1 + mp.euler * (a - k) / k + b * lam * mp.gamma(1 + 1 / k)


def _weibull_pair(r, lam_lo, lam_hi, k_lo, k_hi):
    l1, k1 = lu(r, lam_lo, lam_hi), lu(r, k_lo, k_hi)
    k2 = k1 * lu(r, 0.3, 3.0)
    l2 = l1 * np.exp(np.clip(r.normal(size=N) / k2, -3.0, 3.0))  # keeps (λ1/λ2)^k2 moderate
    return l1, k1, l2, k2


def weibull_regimes():
    return {
        "generic": lambda r: (lu(r, 0.2, 5), lu(r, 0.3, 5), lu(r, 0.2, 5), lu(r, 0.3, 5)),
        "near": lambda r: (lambda l, k: (l, k, perturb(r, l), perturb(r, k)))(lu(r, 0.2, 5), lu(r, 0.3, 5)),
        "extreme": lambda r: _weibull_pair(r, 1e-4, 1e4, 0.05, 1e5),
        "extreme_near": lambda r: (lambda l, k: (l, k, perturb(r, l), perturb(r, k)))(
            lu(r, 1e-4, 1e4), lu(r, 0.05, 1e5)
        ),
    }


def _weibull_gamma_fit(r, lam, k, spread):
    """(a, b) near the Gamma of p's mean-matching rate: b·E_p[x] = a·spread."""
    a = lu(r, 1e-3, 1e5)
    b = a / (lam * special.gamma(1.0 + 1.0 / k)) * spread
    return a, b


def weibull_gamma_regimes():
    def near(r, lam_lo, lam_hi):
        lam = lu(r, lam_lo, lam_hi)
        k, a, lb = perturb(r, np.ones(N)), perturb(r, np.ones(N)), perturb(r, np.ones(N))
        return lam, k, a, lb / lam

    def extreme(r):
        lam, k = lu(r, 1e-4, 1e4), lu(r, 0.05, 1e3)
        a, b = _weibull_gamma_fit(r, lam, k, lu(r, 0.3, 3.0))
        return lam, k, a, b

    return {
        "generic": lambda r: (lu(r, 0.2, 5), lu(r, 0.3, 5), lu(r, 0.3, 10), lu(r, 0.2, 5)),
        "near": lambda r: near(r, 0.2, 5),
        "extreme": extreme,
        "extreme_near": lambda r: near(r, 1e-4, 1e4),
    }


WEIBULL = ("scale", "concentration")
PAIRS = [
    positive_pair(
        Weibull,
        Weibull,
        WEIBULL,
        WEIBULL,
        ref_weibull,
        weibull_regimes(),
    ),
    positive_pair(
        Weibull,
        Gamma,
        WEIBULL,
        GAMMA,
        ref_weibull_gamma,
        weibull_gamma_regimes(),
    ),
]


def test_weibull_gamma_zero_at_the_common_exponential():
    lam = jnp.array([1e-4, 0.3, 1e4])
    p, q = Weibull(lam, 1.0), Gamma(1.0, 1.0 / lam)
    np.testing.assert_allclose(np.asarray(kl_divergence(p, q)), 0.0, atol=1e-15)
    g = jax.grad(lambda lam, k, a, b: jnp.sum(kl_divergence(Weibull(lam, k), Gamma(a, b))), argnums=(0, 1, 2, 3))
    for x in g(lam, jnp.ones(3), jnp.ones(3), 1.0 / lam):
        assert np.all(np.isfinite(np.asarray(x)))
        np.testing.assert_allclose(np.asarray(x), 0.0, atol=1e-8)


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda a: kl_divergence(Weibull(1.3, 1.5), Gamma(a, 0.9)), 2.0),  # the two forms of F
        (lambda k: kl_divergence(Weibull(1.3, 1.0), Weibull(0.9, k)), 1.25),  # B(d): series/direct
        (lambda k: kl_divergence(Weibull(1.3, 1.0), Weibull(0.9, k)), 0.75),
    ],
    ids=["Weibull-Gamma-a", "Weibull-Weibull-d+", "Weibull-Weibull-d-"],
)
def test_continuous_across_internal_switches(fn, x):
    """Values and gradients agree on both sides of every switch between two evaluations."""
    lo, hi = x * (1.0 - 1e-11), x * (1.0 + 1e-11)
    np.testing.assert_allclose(float(fn(lo)), float(fn(hi)), rtol=1e-9)
    np.testing.assert_allclose(float(jax.grad(fn)(lo)), float(jax.grad(fn)(hi)), rtol=1e-7)


def test_broadcast_batch_shapes_and_vmap():
    p = Weibull(jnp.linspace(0.5, 2.0, 3)[:, None], 1.5)
    q = Gamma(jnp.linspace(0.5, 3.0, 4), 1.2)
    kl = jax.jit(kl_divergence)(p, q)
    assert kl.shape == (3, 4)
    mapped = jax.jit(jax.vmap(lambda p: kl_divergence(p, q)))(Weibull(jnp.linspace(0.5, 2.0, 3), jnp.full(3, 1.5)))
    np.testing.assert_allclose(np.asarray(mapped), np.asarray(kl), rtol=1e-14)
