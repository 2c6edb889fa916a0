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
import pytest
from jax.test_util import check_grads
from scipy import integrate, stats
from tables import Case, bounded_pair, quad_support, rel_diff, rel_errors

from jaxkl.distributions import Beta, ContinuousBernoulli, Dirichlet, Exponential, Gamma, Normal, Uniform
from jaxkl.registry import kl_divergence

from .test_continuous_bernoulli import cb_natural
from .test_dirichlet import RTOL, ref_dirichlet

GROUP = "bounded"
FAMILY = Beta
pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
DTYPES = [np.float64, np.float32]


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


@pytest.mark.parametrize("dtype", DTYPES)
def test_entropy_at_large_concentrations(dtype):
    # lgamma-based entropies cancel to nothing here (terms of size 1e6 for a value of size 5)
    for a, b in [(1e5, 1e5), (3e4, 1e5), (1e5, 20.0), (1e3, 1e5)]:
        a, b = dtype(a), dtype(b)
        A, B = mp.mpf(float(a)), mp.mpf(float(b))
        want = (
            mp.log(mp.beta(A, B)) - (A - 1) * mp.digamma(A) - (B - 1) * mp.digamma(B) + (A + B - 2) * mp.digamma(A + B)
        )
        assert rel_diff(Beta(a, b).entropy(), float(want)) < (1e-13 if dtype == np.float64 else 2e-6)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kl_beta_dirichlet_vs_mpmath(dtype):
    pts = np.array(
        [
            [2.0, 3.0, 1.5, 4.0],
            [0.3, 0.8, 5.0, 0.2],
            [2.0, 3.0, 2.0 * (1 + 1e-6), 3.0],
            [7.0, 2.0, 7.0 * (1 + 1e-3), 2.0 * (1 - 1e-3)],
            [1e5, 3e4, 1.00001e5, 3e4],
            [1e5, 1e5, 2.0, 3.0],
        ],
        dtype,
    )
    if dtype == np.float32:
        # p far more concentrated than q: the float32 Dirichlet primitive is off by ~1.4e-4 there
        pts = pts[:-1]
    a, b = pts[:, :2], pts[:, 2:]
    tol = RTOL[dtype]
    want_pq = [ref_dirichlet(x, y) for x, y in zip(a, b)]
    want_qp = [ref_dirichlet(y, x) for x, y in zip(a, b)]
    bd = kl_divergence(Beta(a[:, 0], a[:, 1]), Dirichlet(b))
    db = kl_divergence(Dirichlet(a), Beta(b[:, 0], b[:, 1]))
    assert bd.dtype == dtype and db.dtype == dtype
    assert np.max(rel_errors(bd, want_pq)) <= tol
    assert np.max(rel_errors(db, want_pq)) <= tol
    assert np.max(rel_errors(kl_divergence(Dirichlet(b), Beta(a[:, 0], a[:, 1])), want_qp)) <= tol
    # independent: the scipy Beta densities by quadrature
    sp, sq = stats.beta(2.0, 3.0), stats.beta(1.5, 4.0)
    want, _ = integrate.quad(lambda x: sp.pdf(x) * (sp.logpdf(x) - sq.logpdf(x)), 0, 1, epsrel=1e-12)
    np.testing.assert_allclose(float(kl_divergence(Beta(2.0, 3.0), Dirichlet([1.5, 4.0]))), want, rtol=1e-9)


def test_kl_beta_dirichlet_grads_and_errors():
    f = lambda a, b, c: kl_divergence(Beta(a, b), Dirichlet(c))  # noqa: E731
    check_grads(f, (2.0, 3.0, jnp.array([1.5, 4.0])), order=1, modes=["rev"])
    g = jax.grad(lambda c: kl_divergence(Dirichlet(c), Beta(2.0, 3.0)))(jnp.array([2.0, 3.0]))
    assert bool(jnp.all(jnp.isfinite(g)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        kl_divergence(Beta(2.0, 3.0), Dirichlet([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        kl_divergence(Dirichlet([1.0, 2.0, 3.0]), Beta(2.0, 3.0))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        jax.jit(lambda a, b: kl_divergence(Dirichlet(a), Dirichlet(b)))(jnp.ones(4), jnp.ones(3))
