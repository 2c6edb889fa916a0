"""Pareto: the registry case, the pairs Pareto ‖ {Pareto, Exponential, Gamma, Normal} and
Pareto's own tests."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from tables import Case, perturb, take

from jaxkl.distributions import Chi2, Exponential, Gamma, Normal, Pareto
from jaxkl.registry import kl_divergence

from .test_exponential import RATE
from .test_gamma import GAMMA, LOC_SCALE, N, lu, positive_pair

GROUP = "positive"
FAMILY = Pareto
CASE = Case(
    lambda rng: {"scale": float(rng.uniform(0.5, 2.0)), "alpha": float(rng.uniform(2.5, 6.0))},
    lambda scale, alpha: stats.pareto(alpha, scale=scale),
)


def ref_pareto(m1, a1, m2, a2):
    return a2 * mp.log(m1 / m2) + mp.log(a1 / a2) + a2 / a1 - 1


def ref_pareto_exponential(m, al, lam):
    return mp.log(al / (m * lam)) - 1 / al + lam * al * m / (al - 1) - 1


def ref_pareto_gamma(m, al, a, b):
    common = mp.log(m) + 1 / al
    return mp.log(al) - common + mp.loggamma(a) - a * mp.log(b) + (1 - a) * common + b * al * m / (al - 1) - 1


def ref_pareto_normal(m, al, mu, sigma):
    c = m / (al - 1)
    return (
        mp.log(mp.sqrt(2 * mp.pi) * sigma * al / m)
        - 1 / al
        + (al * c**2 / (al - 2) + (al * c - mu) ** 2) / (2 * sigma**2)
        - 1
    )


def _pareto_pair(r, m_lo, m_hi, a_lo, a_hi):
    m1, a1, a2 = lu(r, m_lo, m_hi), lu(r, a_lo, a_hi), lu(r, a_lo, a_hi)
    m2 = m1 * (1.0 - lu(r, 1e-6, 0.9) / np.maximum(a2, 1.0))
    return m1, a1, m2, a2


def _pareto_near(r, m_lo, m_hi, a_lo, a_hi):
    m1, a1 = lu(r, m_lo, m_hi), lu(r, a_lo, a_hi)
    m2 = m1 * (1.0 - np.where(r.random(N) < 0.25, 0.0, 10.0 ** r.uniform(-6, -2, N)))
    return m1, a1, m2, perturb(r, a1)


def pareto_regimes():
    return {
        "generic": lambda r: _pareto_pair(r, 0.2, 5, 0.3, 10),
        "near": lambda r: _pareto_near(r, 0.2, 5, 0.3, 10),
        "extreme": lambda r: _pareto_pair(r, 1e-4, 1e4, 1e-2, 1e5),
        "extreme_near": lambda r: _pareto_near(r, 1e-4, 1e4, 1e-2, 1e5),
    }


def pareto_cross_regimes(kind: str):
    def draw(r, lo_m, hi_m, lo_al, hi_al, near):
        low = 2.0 if kind == "normal" else 1.0
        m, al = lu(r, lo_m, hi_m), low + lu(r, lo_al, hi_al)
        mean = m * al / (al - 1.0)
        spread = perturb(r, np.ones(N)) if near else lu(r, 0.3, 3.0)
        if kind == "exponential":
            return m, al, spread / mean
        if kind == "gamma":
            a = lu(r, 1e-3, 1e5) if hi_al > 100 else lu(r, 0.3, 10)
            return m, al, a, a / mean * spread
        sd = m / (al - 1.0) * np.sqrt(al / (al - 2.0))
        if near:
            mu = mean + sd * 10.0 ** r.uniform(-6, -1, N) * r.choice([-1.0, 1.0], N)
        else:
            mu = mean + sd * r.normal(scale=2.0, size=N)
        return m, al, mu, sd * spread

    return {
        "generic": lambda r: draw(r, 0.2, 5, 0.3, 10, False),
        "near": lambda r: draw(r, 0.2, 5, 1e-3, 10, True),
        "extreme": lambda r: draw(r, 1e-4, 1e4, 1e-3, 1e5, False),
        "extreme_near": lambda r: draw(r, 1e-4, 1e4, 1e-3, 1e5, True),
    }


def _quad_at(regimes):
    """Two generic points with α ≥ 2.5: quadrature over a tail heavier than x^-3.5 is unreliable."""

    def draw(rng):
        columns = take(regimes["generic"], 2)(rng)
        columns[1] = np.maximum(columns[1], 2.5)
        return columns

    return draw


def _fd_at(regimes):
    """Three generic points with q's scale at least 1e-3 (relative) below p's: the finite
    differences must not step over the edge m1 = m2 of the support."""

    def draw(rng):
        columns = take(regimes["generic"], 3)(rng)
        columns[2] = np.minimum(columns[2], columns[0] * (1.0 - 1e-3))
        return columns

    return draw


def pareto_pair(Q, q_names, ref, regimes, **kw):
    return positive_pair(Pareto, Q, PARETO, q_names, ref, regimes, quad_at=_quad_at(regimes), **kw)


PARETO = ("scale", "alpha")
PAIRS = [
    # p = q sits on the edge of the scale's domain (m1 ≥ m2): its gradient there is not zero
    pareto_pair(Pareto, PARETO, ref_pareto, pareto_regimes(), fd_at=_fd_at(pareto_regimes()), boundary=("scale",)),
    pareto_pair(
        Exponential,
        RATE,
        ref_pareto_exponential,
        pareto_cross_regimes("exponential"),
    ),
    pareto_pair(
        Gamma,
        GAMMA,
        ref_pareto_gamma,
        pareto_cross_regimes("gamma"),
    ),
    pareto_pair(
        Normal,
        LOC_SCALE,
        ref_pareto_normal,
        pareto_cross_regimes("normal"),
    ),
]


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda al: kl_divergence(Pareto(1.3, al), Normal(1.0, 2.0)), 4.0),  # φ(−2/α) branches
        (lambda al: kl_divergence(Pareto(1.3, al), Exponential(0.5)), 2.0),  # φ(−1/α) branches
        (lambda m: kl_divergence(Pareto(m, 3.0), Pareto(1.0, 2.0)), 1.5),  # log-ratio branches
    ],
    ids=["Pareto-Normal", "Pareto-Exponential", "Pareto-Pareto-log"],
)
def test_continuous_across_internal_switches(fn, x):
    """Values and gradients agree on both sides of every switch between two evaluations."""
    lo, hi = x * (1.0 - 1e-11), x * (1.0 + 1e-11)
    np.testing.assert_allclose(float(fn(lo)), float(fn(hi)), rtol=1e-9)
    np.testing.assert_allclose(float(jax.grad(fn)(lo)), float(jax.grad(fn)(hi)), rtol=1e-7)


@pytest.mark.parametrize(
    "p, q, where_inf",
    [
        (Pareto(jnp.array([1.0, 2.0, 0.5]), 3.0), Pareto(1.0, 2.0), [False, False, True]),
        (Pareto(1.0, jnp.array([0.5, 1.0, 1.5])), Exponential(2.0), [True, True, False]),
        (Pareto(1.0, jnp.array([0.5, 1.0, 1.5])), Gamma(2.0, 1.0), [True, True, False]),
        (Pareto(1.0, jnp.array([0.5, 2.0, 2.5])), Normal(0.0, 1.0), [True, True, False]),
        (Pareto(1.0, jnp.array([0.5, 2.0, 2.5])), Chi2(3.0), [True, False, False]),
    ],
    ids=["Pareto-Pareto-scale", "Pareto-Exponential", "Pareto-Gamma", "Pareto-Normal", "Pareto-Chi2"],
)
def test_parameter_dependent_infinity(p, q, where_inf):
    kl = np.asarray(kl_divergence(p, q))
    np.testing.assert_array_equal(np.isposinf(kl), where_inf)
    assert np.all(np.isfinite(kl[~np.asarray(where_inf)]))
    leaves_p, tree_p = jax.tree_util.tree_flatten(p)
    leaves_q, tree_q = jax.tree_util.tree_flatten(q)
    k = len(leaves_p)

    def total(*leaves):
        pp = jax.tree_util.tree_unflatten(tree_p, leaves[:k])
        qq = jax.tree_util.tree_unflatten(tree_q, leaves[k:])
        v = kl_divergence(pp, qq)
        return jnp.sum(jnp.where(jnp.isfinite(v), v, 0.0))

    for g in jax.grad(total, argnums=tuple(range(len(leaves_p) + len(leaves_q))))(*leaves_p, *leaves_q):
        assert np.all(np.isfinite(np.asarray(g)))


def test_low_precision_inputs_compute_in_float32():
    bf = jnp.bfloat16
    kl = kl_divergence(
        Pareto(jnp.asarray(1.0, bf), jnp.asarray(3.0, bf)), Normal(jnp.asarray(1.0, bf), jnp.asarray(2.0, bf))
    )
    assert kl.dtype == np.float32


def test_log_prob_at_scale():
    np.testing.assert_allclose(float(Pareto(2.0, 3.0).log_prob(2.0)), np.log(3.0 / 2.0), rtol=1e-14)
    assert float(Pareto(2.0, 3.0).log_prob(np.nextafter(2.0, 0.0))) == -np.inf
