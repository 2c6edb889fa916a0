"""Uniform: the registry case, the pairs Uniform ‖ {Uniform, Beta, ContinuousBernoulli, Gamma,
Exponential, Gumbel, Normal, Pareto} and Uniform's own tests."""

from __future__ import annotations

import jax.numpy as jnp
import mpmath as mp
import numpy as np
from scipy import stats
from tables import Case, bounded_pair, quad_support

from jaxkl.distributions import Beta, ContinuousBernoulli, Exponential, Gamma, Gumbel, Normal, Pareto, Uniform
from jaxkl.registry import kl_divergence

from .test_beta import lbeta
from .test_continuous_bernoulli import cb_natural

GROUP = "bounded"
FAMILY = Uniform


def scipy_uniform(low, high):
    return stats.uniform(low, high - low)


CASE = Case(lambda rng: {"low": float(rng.uniform(-1.0, 0.0)), "high": float(rng.uniform(0.5, 2.0))}, scipy_uniform)
DOMAIN_RELATIONS = [{"low": 1.0, "high": 0.5}, {"low": 0.5, "high": 0.5}]  # low < high


def xlogx(x):
    return x * mp.log(x) if x > 0 else mp.mpf(0)


def uniform_elog(lo, hi):
    """E[log X] for X uniform on [lo, hi], 0 ≤ lo."""
    return (xlogx(hi) - hi - xlogx(lo) + lo) / (hi - lo)


def ref_uniform_uniform(l1, h1, l2, h2):
    return mp.log((h2 - l2) / (h1 - l1))


def ref_uniform_beta(lo, hi, a, b):
    e1 = uniform_elog(lo, hi)
    e0 = uniform_elog(1 - hi, 1 - lo)
    return -mp.log(hi - lo) + lbeta(a, b) - (a - 1) * e1 - (b - 1) * e0


def ref_uniform_continuous_bernoulli(lo, hi, lam):
    eta, big_a, _, _ = cb_natural(lam)
    return -mp.log(hi - lo) - eta * (lo + hi) / 2 + big_a


def ref_uniform_gamma(lo, hi, k, r):
    return -mp.log(hi - lo) + mp.loggamma(k) - k * mp.log(r) - (k - 1) * uniform_elog(lo, hi) + r * (lo + hi) / 2


def ref_uniform_exponential(lo, hi, r):
    return ref_uniform_gamma(lo, hi, mp.mpf(1), r)


def ref_uniform_gumbel(lo, hi, loc, scale):
    w = hi - lo
    tail = scale / w * (mp.exp(-(lo - loc) / scale) - mp.exp(-(hi - loc) / scale))
    return -mp.log(w) + mp.log(scale) + ((lo + hi) / 2 - loc) / scale + tail


def ref_uniform_normal(lo, hi, loc, scale):
    w = hi - lo
    return -mp.log(w) + mp.log(2 * mp.pi * scale**2) / 2 + (w**2 / 12 + ((lo + hi) / 2 - loc) ** 2) / (2 * scale**2)


def ref_uniform_pareto(lo, hi, m, alpha):
    return -mp.log(hi - lo) - mp.log(alpha) - alpha * mp.log(m) + (alpha + 1) * uniform_elog(lo, hi)


PAIRS = [
    bounded_pair(
        Uniform,
        Uniform,
        ("low", "high"),
        ("low", "high"),
        ref_uniform_uniform,
        {
            "generic": [
                (0.0, 1.0, -1.0, 2.0),
            ],
            "near": [
                (0.0, 1.0, -1e-09, 1.0),
                (-3.0, 5.0, -3.0, 5.000001),
            ],
            "extreme": [
                (0.0, 0.0001, -10000.0, 10000.0),
                (10000.0, 10001.0, 9999.999, 10001.0),
            ],
        },
        quad_support,
        grads_at=[
            (0.0, 1.0, 0.0, 1.0),
        ],
        inf_at=[
            (0.0, 1.0, 0.1, 2.0),
            (0.0, 1.0, -1.0, 0.9),
        ],
        boundary=("low", "high"),  # p = q is a corner of Uniform ‖ Uniform
    ),
    bounded_pair(
        Uniform,
        Beta,
        ("low", "high"),
        ("concentration1", "concentration0"),
        ref_uniform_beta,
        {
            "generic": [
                (0.1, 0.7, 2.0, 3.0),
                (0.0, 0.5, 0.5, 2.0),
                (0.3, 0.31, 2.0, 5.0),
            ],
            "near": [
                (0.0, 1.0, 1.000001, 1.0),
                (1e-07, 1.0, 1.0, 1.0),
                (0.0, 0.9999999, 1.00001, 0.99999),
            ],
            "extreme": [
                (0.4, 0.6, 100000.0, 100000.0),
                (0.0, 1.0, 100000.0, 100000.0),
                (0.49995, 0.50005, 100000.0, 100000.0),
            ],
        },
        quad_support,
        grads_at=[
            (0.0, 1.0, 1.0, 1.0),
            (0.0, 0.5, 2.0, 3.0),
        ],
        inf_at=[
            (-1.0, 1.0, 2.0, 3.0),
        ],
    ),
    bounded_pair(
        Uniform,
        ContinuousBernoulli,
        ("low", "high"),
        ("probs",),
        ref_uniform_continuous_bernoulli,
        {
            "generic": [
                (0.1, 0.7, 0.3),
            ],
            "near": [
                (0.0, 1.0, 0.500001),
                (1e-08, 1.0, 0.5),
            ],
            "extreme": [
                (0.2, 0.9, 1e-06),
                (0.0, 0.0001, 0.999999),
            ],
        },
        quad_support,
        grads_at=[
            (0.0, 1.0, 0.5),
        ],
        inf_at=[
            (0.0, 1.5, 0.3),
        ],
    ),
    bounded_pair(
        Uniform,
        Gamma,
        ("low", "high"),
        ("concentration", "rate"),
        ref_uniform_gamma,
        {
            "generic": [
                (0.5, 2.0, 2.0, 3.0),
                (0.0, 1.0, 0.5, 2.0),
            ],
            "extreme": [
                (0.99, 1.01, 100000.0, 100000.0),
                (0.0001, 0.0002, 100000.0, 660000000.0),
                (0.0, 10000.0, 0.01, 0.0001),
            ],
        },
        quad_support,
        grads_at=[
            (0.0, 1.0, 2.0, 3.0),
        ],
        inf_at=[
            (-1.0, 1.0, 2.0, 3.0),
        ],
    ),
    bounded_pair(
        Uniform,
        Exponential,
        ("low", "high"),
        ("rate",),
        ref_uniform_exponential,
        {
            "generic": [
                (0.2, 1.0, 1.3),
                (0.0, 1.0, 1.3),
            ],
            "extreme": [
                (1.0, 3.0, 100000.0),
                (0.0, 0.0001, 10000.0),
            ],
        },
        quad_support,
        inf_at=[
            (-1.0, 1.0, 3.0),
        ],
    ),
    bounded_pair(
        Uniform,
        Gumbel,
        ("low", "high"),
        ("loc", "scale"),
        ref_uniform_gumbel,
        {
            "generic": [
                (-1.0, 2.0, 0.3, 1.5),
            ],
            "extreme": [
                (-1000.0, 1000.0, 0.0, 50.0),
                (0.0, 0.0001, 0.0, 1.0),
                (5.0, 6.0, -1000.0, 10000.0),
            ],
        },
        quad_support,
    ),
    bounded_pair(
        Uniform,
        Normal,
        ("low", "high"),
        ("loc", "scale"),
        ref_uniform_normal,
        {
            "generic": [
                (-1.0, 2.0, 0.3, 1.5),
            ],
            "near": [
                (0.0, 1.0, 0.5, 0.2886751),
            ],
            "extreme": [
                (0.0, 0.0001, 0.0, 10000.0),
                (-10000.0, 10000.0, 3.0, 0.0001),
            ],
        },
        quad_support,
    ),
    bounded_pair(
        Uniform,
        Pareto,
        ("low", "high"),
        ("scale", "alpha"),
        ref_uniform_pareto,
        {
            "generic": [
                (1.0, 3.0, 0.5, 2.0),
                (2.0, 2.5, 2.0, 0.5),
            ],
            "extreme": [
                (1.0, 1.0001, 1.0, 100000.0),
                (10000.0, 20000.0, 0.0001, 3.0),
            ],
        },
        quad_support,
        inf_at=[
            (0.4, 1.0, 0.5, 2.0),
        ],
    ),
]


def test_kl_with_itself_is_zero(rng):
    d = Uniform(jnp.asarray(rng.normal(size=5)), jnp.asarray(rng.uniform(1.0, 2.0, 5)))
    np.testing.assert_array_equal(kl_divergence(d, d), 0.0)


def test_support_is_elementwise():
    p = Uniform(jnp.array([0.0, -0.5, 0.2]), jnp.array([1.0, 0.5, 0.9]))
    kl = kl_divergence(p, Beta(2.0, 3.0))
    assert np.isfinite(kl[0]) and kl[1] == np.inf and np.isfinite(kl[2])
    kl = kl_divergence(Uniform(0.0, 1.0), Uniform(jnp.array([0.0, 0.1]), 1.0))
    np.testing.assert_array_equal(kl, [0.0, np.inf])
