"""ContinuousBernoulli: the registry case, the pairs ContinuousBernoulli ‖ {ContinuousBernoulli,
Exponential, Normal, Uniform} and the family's own tests."""

from __future__ import annotations

import math

import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from kits import kl_rows
from tables import Case, bounded_pair, quad_support, rel_diff

from jaxkl import distributions
from jaxkl.distributions import ContinuousBernoulli, Exponential, Normal, Uniform
from jaxkl.distributions.continuous_bernoulli import cb_langevin, cb_langevin_prime, cb_log_sinhc, cb_neg_entropy
from jaxkl.registry import kl_divergence

GROUP = "bounded"
FAMILY = ContinuousBernoulli
pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
DTYPES = [np.float64, np.float32]


class ContinuousBernoulliScipy:
    """ContinuousBernoulli(λ) with scipy's frozen-distribution interface (logpdf, support)."""

    def __init__(self, probs):
        self.lam = probs

    def logpdf(self, x):
        x = np.asarray(x, float)
        lam = self.lam
        log_c = math.log(2.0) if lam == 0.5 else math.log(2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam))
        inside = (x >= 0) & (x <= 1)
        lp = log_c + x * math.log(lam) + (1 - x) * math.log1p(-lam)
        return np.where(inside, lp, -np.inf)

    def support(self):
        return 0.0, 1.0


CASE = Case(lambda rng: {"probs": float(rng.uniform(0.1, 0.9))}, ContinuousBernoulliScipy)


def cb_natural(lam):
    """(η, A(η), mean, variance) of ContinuousBernoulli(λ)."""
    eta = mp.log(lam / (1 - lam))
    if eta == 0:
        return eta, mp.mpf(0), mp.mpf(1) / 2, mp.mpf(1) / 12
    big_a = mp.log(mp.expm1(eta) / eta)
    m = mp.exp(eta) / mp.expm1(eta) - 1 / eta
    v = 1 / eta**2 - mp.exp(eta) / mp.expm1(eta) ** 2
    return eta, big_a, m, v


def neg_entropy_cb(lam):
    eta, big_a, m, _ = cb_natural(lam)
    return eta * m - big_a


def ref_continuous_bernoulli(l1, l2):
    e1, a1, m1, _ = cb_natural(l1)
    e2, a2, _, _ = cb_natural(l2)
    return (e1 - e2) * m1 - a1 + a2


def ref_continuous_bernoulli_exponential(lam, r):
    _, _, m, _ = cb_natural(lam)
    return neg_entropy_cb(lam) - mp.log(r) + r * m


def ref_continuous_bernoulli_normal(lam, loc, scale):
    _, _, m, v = cb_natural(lam)
    return neg_entropy_cb(lam) + mp.log(2 * mp.pi * scale**2) / 2 + (v + (m - loc) ** 2) / (2 * scale**2)


def ref_continuous_bernoulli_uniform(lam, lo, hi):
    return neg_entropy_cb(lam) + mp.log(hi - lo)


PAIRS = [
    bounded_pair(
        ContinuousBernoulli,
        ContinuousBernoulli,
        ("probs",),
        ("probs",),
        ref_continuous_bernoulli,
        {
            "generic": [
                (0.3, 0.6),
                (0.1, 0.95),
                (0.5, 0.2),
            ],
            "near": [
                (0.3, 0.3000003),
                (0.5, 0.5000001),
                (0.50001, 0.49999),
                (0.01, 0.0100001),
            ],
            "extreme": [
                (1e-06, 0.5),
                (1e-06, 1.1e-06),
                (0.999999, 0.2),
                (0.5, 1e-06),
                (0.3, 0.999),
            ],
        },
        quad_support,
        grads_at=[
            (0.3, 0.3),
            (0.5, 0.5),
            (1e-06, 1e-06),
        ],
    ),
    bounded_pair(
        ContinuousBernoulli,
        Exponential,
        ("probs",),
        ("rate",),
        ref_continuous_bernoulli_exponential,
        {
            "generic": [
                (0.3, 2.0),
                (0.8, 0.5),
            ],
            "near": [
                (1e-06, 13.81551),
                (0.0001, 9.2),
            ],
            "extreme": [
                (0.5, 10000.0),
                (0.999, 0.001),
            ],
        },
        quad_support,
        grads_at=[
            (1e-06, 13.81551),
        ],
    ),
    bounded_pair(
        ContinuousBernoulli,
        Normal,
        ("probs",),
        ("loc", "scale"),
        ref_continuous_bernoulli_normal,
        {
            "generic": [
                (0.3, 0.2, 1.0),
                (0.8, 0.0, 0.1),
            ],
            "near": [
                (0.5, 0.5, 0.2886751),
            ],
            "extreme": [
                (1e-06, 0.0, 1e-06),
                (0.5, 0.5, 0.0001),
                (0.5, 100.0, 1000.0),
            ],
        },
        quad_support,
        grads_at=[
            (0.5, 0.5, 0.2886751),
        ],
    ),
    bounded_pair(
        ContinuousBernoulli,
        Uniform,
        ("probs",),
        ("low", "high"),
        ref_continuous_bernoulli_uniform,
        {
            "generic": [
                (0.3, -1.0, 2.0),
            ],
            "near": [
                (0.5000001, 0.0, 1.0),
                (0.5, -1e-09, 1.0),
            ],
            "extreme": [
                (1e-06, 0.0, 1.0),
                (0.5, -10000.0, 10000.0),
            ],
        },
        quad_support,
        grads_at=[
            (0.5, 0.0, 1.0),
        ],
        inf_at=[
            (0.3, -1.0, 0.9),
        ],
    ),
]


def test_kl_with_itself_is_zero(rng):
    for d in [
        ContinuousBernoulli(probs=jnp.asarray(rng.uniform(0.0, 1.0, 5))),
        ContinuousBernoulli(logits=jnp.asarray(rng.normal(0.0, 30.0, 5))),
    ]:
        np.testing.assert_array_equal(kl_divergence(d, d), 0.0)


def _extreme_rows(lams):
    """Points with ContinuousBernoulli(λ) on either side of every pair that has one."""
    return {
        "ContinuousBernoulli-ContinuousBernoulli": [
            pt for lam in lams for pt in ((lam, 0.3), (0.3, lam), (lam, lam), (lam, lam + 1e-3 * min(lam, 1 - lam)))
        ],
        "Uniform-ContinuousBernoulli": [(0.0, 1.0, lam) for lam in lams],
        "Beta-ContinuousBernoulli": [(2.0, 3.0, lam) for lam in lams],
        "ContinuousBernoulli-Normal": [(lam, 0.0, 1.0) for lam in lams],
        "ContinuousBernoulli-Exponential": [(lam, 2.0) for lam in lams],
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(_extreme_rows([])))
def test_extreme_probs(name, dtype):
    # Values and gradients stay finite down to the smallest normal numbers (through the
    # pair's shared program); λ = 0 and 1 lie outside the domain (NaN: tests/test_domain.py).
    tiny = float(np.finfo(dtype).tiny)
    pts = _extreme_rows([tiny, 1e-30, 0.5, 1 - 1e-7])[name]
    p_name, q_name = name.split("-")
    P, Q = getattr(distributions, p_name), getattr(distributions, q_name)
    n_p = {"ContinuousBernoulli": 1, "Uniform": 2, "Beta": 2}[p_name]
    vals, grads = kl_rows(P, Q, pts, n_p, dtype)
    assert np.all(np.isfinite(vals)) and np.all(vals >= 0), (name, vals)
    assert np.all(np.isfinite(grads)), (name, grads)


@pytest.mark.parametrize("dtype", DTYPES)
def test_helpers(dtype):
    # near λ = ½ (u = 0) every textbook form is 0/0; far out they overflow
    us = np.array([1e-7, -3e-4, 0.02, -0.5, 0.999, 1.001, -3.0, 17.0, -250.0], dtype)
    got = [np.asarray(f(jnp.asarray(us))) for f in (cb_log_sinhc, cb_langevin, cb_langevin_prime, cb_neg_entropy)]
    for i, u in enumerate(us):
        U = mp.mpf(float(u))
        s, ell = mp.log(mp.sinh(U) / U), mp.coth(U) - 1 / U
        want = [s, ell, 1 / U**2 - 1 / mp.sinh(U) ** 2, U * ell - s]
        for g, w in zip(got, want):
            assert rel_diff(g[i], float(w)) < (1e-14 if dtype == np.float64 else 6e-7), (u, g[i], w)


def test_parameterizations():
    for lam in [0.5, 0.5 + 2**-30, 0.2, 1e-9, 1 - 1e-9]:
        a = ContinuousBernoulli(probs=lam)
        eta = float(mp.log(mp.mpf(lam) / (1 - mp.mpf(lam))))
        assert abs(float(a.logits) - eta) <= 1e-15 * max(abs(eta), 1e-300) + 1e-300
        b = ContinuousBernoulli(logits=a.logits)
        np.testing.assert_allclose(b.probs, lam, rtol=1e-14)
        np.testing.assert_allclose([b.mean, b.entropy()], [a.mean, a.entropy()], rtol=1e-13, atol=1e-300)
    with pytest.raises(ValueError, match="exactly one"):
        ContinuousBernoulli()
    with pytest.raises(ValueError, match="exactly one"):
        ContinuousBernoulli(probs=0.3, logits=0.1)


def test_names_the_stored_parameter():
    for name, v in (("probs", jnp.array([0.2, 0.6])), ("logits", jnp.array([-1.0, 2.0]))):
        d = ContinuousBernoulli(**{name: v})
        assert d.parameterization == name
        np.testing.assert_array_equal(d.given_param(), v)
