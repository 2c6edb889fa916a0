"""Beta: the registry case, the pairs Beta ‖ {Beta, Uniform, ContinuousBernoulli, Gamma,
Exponential, Normal} and Beta's own tests.

The references are the textbook formulas at 50 digits (mpmath), at explicit points in three
regimes: generic, p close to q where the families can coincide, extreme parameters.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
from scipy import stats
from tables import Case, bounded_pair, quad_support

from jaxkl.distributions import Beta, ContinuousBernoulli, Exponential, Gamma, Normal, Uniform
from jaxkl.registry import kl_divergence

from .test_continuous_bernoulli import cb_natural

GROUP = "bounded"
FAMILY = Beta


def two_shapes(rng):
    return {"concentration1": float(rng.uniform(0.8, 4.0)), "concentration0": float(rng.uniform(0.8, 4.0))}


def scipy_beta(concentration1, concentration0):
    return stats.beta(concentration1, concentration0)


CASE = Case(two_shapes, scipy_beta)


def lbeta(a, b):
    return mp.log(mp.beta(a, b))


def neg_entropy_beta(a, b):
    s = a + b
    return -(lbeta(a, b) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b) + (s - 2) * mp.digamma(s))


def beta_moments(a, b):
    s = a + b
    return a / s, a * b / (s * s * (s + 1))


def ref_beta_beta(a, b, c, d):
    return (
        lbeta(c, d)
        - lbeta(a, b)
        + (a - c) * mp.digamma(a)
        + (b - d) * mp.digamma(b)
        + (c + d - a - b) * mp.digamma(a + b)
    )


def ref_beta_uniform(a, b, lo, hi):
    return neg_entropy_beta(a, b) + mp.log(hi - lo)


def ref_beta_continuous_bernoulli(a, b, lam):
    eta, big_a, _, _ = cb_natural(lam)
    return neg_entropy_beta(a, b) - eta * a / (a + b) + big_a


def ref_beta_gamma(a, b, k, r):
    s = a + b
    return (
        neg_entropy_beta(a, b) + mp.loggamma(k) - k * mp.log(r) - (k - 1) * (mp.digamma(a) - mp.digamma(s)) + r * a / s
    )


def ref_beta_exponential(a, b, r):
    return ref_beta_gamma(a, b, mp.mpf(1), r)


def ref_beta_normal(a, b, loc, scale):
    m, v = beta_moments(a, b)
    return neg_entropy_beta(a, b) + mp.log(2 * mp.pi * scale**2) / 2 + (v + (m - loc) ** 2) / (2 * scale**2)


PAIRS = [
    bounded_pair(
        Beta,
        Beta,
        ("concentration1", "concentration0"),
        ("concentration1", "concentration0"),
        ref_beta_beta,
        {
            "generic": [
                (2.0, 3.0, 1.5, 4.0),
                (0.5, 0.7, 3.0, 2.0),
            ],
            "near": [
                (2.0, 3.0, 2.02, 3.0),
                (2.0, 3.0, 2.0, 3.0003),
                (0.3, 5.0, 0.3000003, 4.999995),
            ],
            "extreme": [
                (100000.0, 100000.0, 100100.0, 100000.0),
                (100000.0, 30000.0, 90000.0, 31000.0),
                (100000.0, 100000.0, 2.0, 3.0),
                (2.0, 3.0, 100000.0, 100000.0),
                (0.01, 0.02, 0.011, 0.02),
            ],
        },
        quad_support,
        grads_at=[
            (2.0, 3.0, 2.0, 3.0),
            (100000.0, 100000.0, 100000.0, 100000.0),
        ],
    ),
    bounded_pair(
        Beta,
        Uniform,
        ("concentration1", "concentration0"),
        ("low", "high"),
        ref_beta_uniform,
        {
            "generic": [
                (2.0, 3.0, -1.0, 2.0),
                (0.5, 0.5, 0.0, 1.0),
            ],
            "near": [
                (1.000001, 0.999999, 0.0, 1.0),
                (1.0, 1.0, -1e-08, 1.0),
            ],
            "extreme": [
                (100000.0, 100000.0, 0.0, 1.0),
                (100000.0, 2.0, -3.0, 10000.0),
            ],
        },
        quad_support,
        grads_at=[
            (1.0, 1.0, 0.0, 1.0),
        ],
        inf_at=[
            (2.0, 3.0, 0.01, 1.0),
            (2.0, 3.0, 0.0, 0.99),
        ],
    ),
    bounded_pair(
        Beta,
        ContinuousBernoulli,
        ("concentration1", "concentration0"),
        ("probs",),
        ref_beta_continuous_bernoulli,
        {
            "generic": [
                (2.0, 3.0, 0.3),
                (0.5, 0.5, 0.8),
            ],
            "near": [
                (1.00001, 1.0, 0.500001),
                (1.0, 1.0, 0.5001),
            ],
            "extreme": [
                (100000.0, 100000.0, 0.5),
                (100000.0, 2.0, 0.99),
                (3.0, 4.0, 1e-06),
            ],
        },
        quad_support,
        grads_at=[
            (1.0, 1.0, 0.5),
        ],
    ),
    bounded_pair(
        Beta,
        Gamma,
        ("concentration1", "concentration0"),
        ("concentration", "rate"),
        ref_beta_gamma,
        {
            "generic": [
                (2.0, 3.0, 1.5, 2.0),
                (0.5, 0.7, 0.8, 3.0),
            ],
            "near": [
                (1.0, 100000.0, 1.0, 100100.0),
                (3.0, 100000.0, 3.0, 100003.0),
            ],
            "extreme": [
                (100000.0, 100000.0, 100000.0, 200000.0),
                (100000.0, 100000.0, 2.0, 3.0),
                (2.0, 100000.0, 2.0, 100000.0),
                (0.5, 100000.0, 0.5, 100000.0),
            ],
        },
        quad_support,
        grads_at=[
            (1.0, 100000.0, 1.0, 100001.0),
        ],
    ),
    bounded_pair(
        Beta,
        Exponential,
        ("concentration1", "concentration0"),
        ("rate",),
        ref_beta_exponential,
        {
            "generic": [
                (2.0, 3.0, 1.7),
                (0.5, 0.5, 0.2),
            ],
            "near": [
                (1.0, 100000.0, 100000.0),
                (1.0, 10000.0, 10001.0),
            ],
            "extreme": [
                (100000.0, 100000.0, 2.0),
                (3.0, 100000.0, 1000.0),
            ],
        },
        quad_support,
        grads_at=[
            (1.0, 100000.0, 100000.0),
        ],
    ),
    bounded_pair(
        Beta,
        Normal,
        ("concentration1", "concentration0"),
        ("loc", "scale"),
        ref_beta_normal,
        {
            "generic": [
                (2.0, 3.0, 0.3, 0.5),
                (0.5, 0.5, 0.0, 2.0),
            ],
            "near": [
                (100000.0, 100000.0, 0.5, 0.0011292115056121587),
                (100000.0, 30000.0, 0.7692307692307693, 0.0011697094701077092),
            ],
            "extreme": [
                (100000.0, 100000.0, 0.5, 0.1),
                (2.0, 100000.0, 0.0, 1.0),
                (100000.0, 100000.0, 0.0, 0.0001),
            ],
        },
        quad_support,
        grads_at=[
            (100000.0, 100000.0, 0.5, 0.0011180311936754045),
        ],
    ),
]


def test_kl_with_itself_is_zero(rng):
    d = Beta(jnp.asarray(rng.uniform(0.1, 1e4, 5)), jnp.asarray(rng.uniform(0.1, 1e4, 5)))
    np.testing.assert_array_equal(kl_divergence(d, d), 0.0)


def test_broadcasting_jit_vmap():
    p = Beta(jnp.array([[1.0], [2.0]]), 3.0)
    q = Beta(jnp.array([1.5, 2.5, 3.5]), 2.0)
    kl = kl_divergence(p, q)
    assert kl.shape == (2, 3)
    p1 = Beta(jnp.array([1.0, 2.0]), jnp.array([3.0, 3.0]))
    out = jax.vmap(lambda a, b: kl_divergence(Beta(a, b), Beta(2.0, 2.0)))(p1.concentration1, p1.concentration0)
    np.testing.assert_allclose(out, kl_divergence(p1, Beta(2.0, 2.0)), rtol=1e-14)
    f = jax.jit(lambda p, q: kl_divergence(p, q))
    u = Uniform(jnp.zeros(4), jnp.ones(4))
    np.testing.assert_allclose(f(u, Beta(2.0, 3.0)), kl_divergence(u, Beta(2.0, 3.0)), rtol=1e-14)
