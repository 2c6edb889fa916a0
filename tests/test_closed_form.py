"""The checks every closed-form pair of the tables takes (the pairs, their references and
regimes are in tests/distributions/test_<family>.py; see tests/tables.py), and the properties
that relate several families.

Per pair: the value against an independent formula at 50 digits (mpmath) at the same
(dtype-rounded) inputs in every regime of the pair (≤ 1e-10 relative in float64, ≤ 1e-4 in
float32; values beyond the dtype's range must be +inf); the formula itself against numerical
integration of the scipy.stats densities; reverse-mode gradients against central
differences; finite values and gradients at p = q, near it and at extreme scales (zero
gradients at p = q); KL(p ‖ p) = 0 exactly; +inf with zero gradients where p has mass
outside q's support. Every program goes through the pair's shared ``kit`` (tests/kits.py).
"""

from __future__ import annotations

import importlib

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import tables
from hypothesis import given, settings
from hypothesis import strategies as st
from kits import check_gradients, kl_rows, kl_values, low_precision_gradients

from jaxkl.distributions import (
    Beta,
    Cauchy,
    Chi2,
    ContinuousBernoulli,
    Dirichlet,
    Exponential,
    Gamma,
    Gumbel,
    HalfCauchy,
    HalfNormal,
    InverseGamma,
    Kumaraswamy,
    Laplace,
    Logistic,
    LogNormal,
    Multinomial,
    Normal,
    Pareto,
    StudentT,
    Uniform,
    Weibull,
    _kl_common,
    exponential_kl,
    gamma_kl,
    pareto_kl,
    weibull_kl,
)
from jaxkl.registry import kl_divergence, lookup, registered_pairs

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
PAIRS = tables.pairs()
IDS = [pair.id for pair in PAIRS]
RTOL = {np.float64: 1e-10, np.float32: 1e-4}
MAX = {np.float64: float(np.finfo(np.float64).max), np.float32: float(np.finfo(np.float32).max)}
DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
# every pair's float32 gradients are checked (test_values_and_gradients_at_special_points): its
# float32 values then come from the same program
low_precision_gradients((pair.P, pair.Q) for pair in PAIRS)


def _by_regime():
    cases = [(pair, regime) for pair in PAIRS for regime in pair.regimes]
    return pytest.mark.parametrize("pair, regime", cases, ids=[f"{pair.id}-{regime}" for pair, regime in cases])


def _values(pair, x, dtype=np.float64):
    return kl_values(pair.P, pair.Q, x, pair.n_p, dtype, pair.names)


# --------------------------------------------------------------------------- values


@DTYPES
@_by_regime()
def test_value_vs_mpmath(pair, regime, dtype):
    x = tables.regime_rows(pair, regime).astype(dtype)
    got = _values(pair, x, dtype)
    assert got.dtype == dtype and got.shape == (len(x),)
    assert np.all(got >= 0.0), (x, got)
    worst, where = 0.0, None
    for row, g in zip(x.astype(np.float64), got):
        ref = pair.ref(*(mp.mpf(float(v)) for v in row))
        if ref > MAX[dtype]:  # a divergence beyond the dtype's range overflows to +inf
            assert np.isposinf(g), (row, g, ref)
        elif ref == 0:
            assert g == 0, (row, g)
        else:
            err = float(abs((mp.mpf(float(g)) - ref) / ref))
            if err > worst:
                worst, where = err, (row, g, float(ref))
    assert worst <= RTOL[dtype], f"rel err {worst:.2e} at {where}"


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_value_vs_quadrature(pair):
    """The formula itself: ∫ p (log p − log q) by scipy.integrate of the scipy.stats
    log-densities (``pair.quadrature``)."""
    x = tables.check_rows(pair, "quad")
    got = _values(pair, x)
    want = [pair.quadrature(pair.scipy_p(*row[: pair.n_p]), pair.scipy_q(*row[pair.n_p :])) for row in x]
    np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-11)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_gradients_vs_finite_differences(pair):
    """Reverse-mode gradients against central differences (float64)."""
    check_gradients(pair.P, pair.Q, tables.check_rows(pair, "fd"), pair.n_p, pair.names)


@DTYPES
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_values_and_gradients_at_special_points(pair, dtype):
    """Finite values and gradients at ``grads_at`` (p = q, or q the closest to p, at distances
    below the dtype's resolution, at extreme scales, at the edges of the domain); zero
    gradients (exactly) at p = q of a same-family pair (except ``boundary`` parameters); +inf and zero
    gradients at ``inf_at``."""
    special = tables.rows(pair, pair.grads_at, "grads") if callable(pair.grads_at) or len(pair.grads_at) else None
    infinite = tables.rows(pair, pair.inf_at, "inf") if len(pair.inf_at) else None
    generic = tables.check_rows(pair, "fd")
    x = np.concatenate([r for r in (generic, special, infinite) if r is not None]).astype(dtype)
    vals, grads = kl_rows(pair.P, pair.Q, x, pair.n_p, dtype, pair.names)
    k = len(x) - (0 if infinite is None else len(infinite))
    assert grads.dtype == dtype
    assert np.all(np.isfinite(vals[:k])) and np.all(vals[:k] >= 0), (x[:k], vals[:k])
    assert np.all(np.isfinite(grads[:k])), (x[:k], grads[:k])
    assert np.all(np.isposinf(vals[k:])), (x[k:], vals[k:])
    np.testing.assert_array_equal(grads[k:], 0.0)
    if pair.P is pair.Q:
        free = np.array([name not in pair.boundary for name in pair.names])
        at_p = np.array([np.array_equal(row[: pair.n_p], row[pair.n_p :]) for row in x[:k]])
        np.testing.assert_array_equal(grads[:k][at_p][:, free], 0.0)


@DTYPES
@pytest.mark.parametrize("pair", [p for p in PAIRS if p.P is p.Q], ids=[p.id for p in PAIRS if p.P is p.Q])
def test_kl_with_itself_is_zero(pair, dtype):
    """KL(p ‖ p) = 0 exactly, at p's parameters of every regime."""
    p = np.concatenate([tables.regime_rows(pair, regime)[:, : pair.n_p] for regime in pair.regimes])
    x = np.concatenate([p, p], axis=1).astype(dtype)
    out = _values(pair, x, dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, 0.0)


# --------------------------------------------------------------------------- several families


def _kl_of(P, Q):
    def f(a, b, c, d):
        return kl_divergence(P(a, b), Q(c, d))

    return jax.jit(f)


_AFFINE = {
    name: _kl_of(P, Q)
    for name, (P, Q) in {
        "Normal-Normal": (Normal, Normal),
        "Laplace-Laplace": (Laplace, Laplace),
        "Cauchy-Cauchy": (Cauchy, Cauchy),
        "Gumbel-Gumbel": (Gumbel, Gumbel),
        "Normal-Laplace": (Normal, Laplace),
        "Gumbel-Normal": (Gumbel, Normal),
    }.items()
}
_scales = st.floats(1e-3, 1e3)
_locs = st.floats(-100.0, 100.0)


@settings(max_examples=30, deadline=None)
@given(_locs, _scales, _locs, _scales, _locs, st.floats(1e-2, 1e2))
def test_affine_invariance_and_non_negativity(m1, s1, m2, s2, shift, factor):
    """KL(p ‖ q) ≥ 0 and is unchanged when both are moved by x ↦ shift + factor·x."""
    for name, f in _AFFINE.items():
        base = float(f(m1, s1, m2, s2))
        moved = float(f(shift + factor * m1, factor * s1, shift + factor * m2, factor * s2))
        assert base >= 0.0
        if np.isfinite(base):
            # rounding the moved inputs perturbs the standardized differences by
            # ~eps·(|shift|/factor + |m1| + |m2|)/scale, and the scale ratio by ~eps
            c = 1 + (abs(shift) / factor + abs(m1) + abs(m2)) / min(s1, s2) + max(s1, s2) / min(s1, s2)
            assert abs(moved - base) <= 1e-13 * c * (1 + base), (name, base, moved)


_REAL_LINE = {
    "Normal": Normal(jnp.zeros((2, 1)), 1.0),
    "Laplace": Laplace(jnp.zeros((2, 1)), 1.0),
    "Gumbel": Gumbel(jnp.zeros((2, 1)), 1.0),
    "Cauchy": Cauchy(jnp.zeros((2, 1)), 1.0),
    "Logistic": Logistic(jnp.zeros((2, 1)), 1.0),
    "StudentT": StudentT(3.0, jnp.zeros((2, 1)), 1.0),
}
_ONE3 = jnp.ones(3)
_HALF_LINE_OR_INTERVAL = {
    "LogNormal": LogNormal(0.0, _ONE3),
    "HalfNormal": HalfNormal(_ONE3),
    "HalfCauchy": HalfCauchy(_ONE3),
    "Exponential": Exponential(_ONE3),
    "Gamma": Gamma(2.0, _ONE3),
    "Chi2": Chi2(3.0 * _ONE3),
    "InverseGamma": InverseGamma(2.0, _ONE3),
    "Weibull": Weibull(_ONE3, 1.5),
    "Pareto": Pareto(_ONE3, 2.0),
    "Beta": Beta(2.0, 3.0 * _ONE3),
    "Kumaraswamy": Kumaraswamy(2.0, 3.0 * _ONE3),
    "Uniform": Uniform(-10.0 * _ONE3, 10.0),
    "ContinuousBernoulli": ContinuousBernoulli(probs=0.3 * _ONE3),
}
_POSITIVE = [
    Gamma(2.0, jnp.ones((2, 1))),
    Exponential(jnp.ones((2, 1))),
    Chi2(jnp.full((2, 1), 3.0)),
    InverseGamma(3.0, jnp.ones((2, 1))),
    Weibull(1.0, jnp.full((2, 1), 2.0)),
    Pareto(1.0, jnp.full((2, 1), 3.0)),
]
_BOUNDED = [
    Beta(jnp.ones(3), 2.0),
    ContinuousBernoulli(probs=jnp.full(3, 0.3)),
    Uniform(jnp.zeros(3), 1.0),
    Pareto(jnp.ones(3), 2.0),
]
MISMATCHED = [(p, _HALF_LINE_OR_INTERVAL[q]) for p in _REAL_LINE.values() for q in _HALF_LINE_OR_INTERVAL]
MISMATCHED += [(p, q) for p in _POSITIVE for q in _BOUNDED if not (isinstance(p, Pareto) and isinstance(q, Pareto))]
MISMATCHED += [(Beta(2.0, jnp.full((2, 1), 3.0)), Pareto(0.5, _ONE3))]
MISMATCHED += [(ContinuousBernoulli(probs=jnp.full((2, 1), 0.3)), Pareto(0.5, _ONE3))]


@pytest.mark.parametrize("p, q", MISMATCHED, ids=[f"{type(p).__name__}-{type(q).__name__}" for p, q in MISMATCHED])
def test_support_mismatch_is_infinite_with_zero_gradients(p, q):
    """p has mass outside q's support: +inf, with zero gradients, in the promoted dtype."""
    kl = kl_divergence(p, q)
    assert kl.shape == (2, 3) and kl.dtype == np.float64
    assert np.all(np.isposinf(np.asarray(kl)))
    gp, gq = jax.grad(lambda p, q: jnp.sum(kl_divergence(p, q)), argnums=(0, 1))(p, q)
    for leaf in jax.tree_util.tree_leaves((gp, gq)):
        np.testing.assert_array_equal(np.asarray(leaf), 0.0)


@pytest.mark.parametrize("q", list(_HALF_LINE_OR_INTERVAL.values()), ids=list(_HALF_LINE_OR_INTERVAL))
def test_support_mismatch_promotes_like_the_pairs(q):
    assert kl_divergence(Normal(np.float32(0.0), np.float32(1.0)), q).dtype == np.float64


@pytest.mark.parametrize(
    "tp, tq, fn",
    [
        (Gamma, Gamma, gamma_kl.kl_gamma_gamma),
        (Chi2, Chi2, gamma_kl.kl_gamma_gamma),
        (Chi2, Gamma, gamma_kl.kl_gamma_gamma),
        (Gamma, Chi2, gamma_kl.kl_gamma_gamma),
        (Exponential, Gamma, gamma_kl.kl_gamma_gamma),
        (Gamma, Exponential, gamma_kl.kl_gamma_gamma),
        (Exponential, Chi2, gamma_kl.kl_gamma_gamma),
        (Exponential, Exponential, exponential_kl._kl_exponential_exponential),
        (Exponential, Normal, exponential_kl._kl_exponential_normal),
        (Chi2, Normal, gamma_kl._kl_gamma_normal),
        (Exponential, Gumbel, exponential_kl._kl_exponential_gumbel),
        (Chi2, Gumbel, gamma_kl._kl_gamma_gumbel),
        (Weibull, Exponential, weibull_kl._kl_weibull_gamma),
        (Weibull, Chi2, weibull_kl._kl_weibull_gamma),
        (Pareto, Exponential, pareto_kl._kl_pareto_exponential),
        (Pareto, Chi2, pareto_kl._kl_pareto_gamma),
        (Exponential, Pareto, _kl_common.infinite_kl),
        (Weibull, Pareto, _kl_common.infinite_kl),
        (Chi2, Uniform, _kl_common.infinite_kl),
        (Pareto, ContinuousBernoulli, _kl_common.infinite_kl),
    ],
    ids=lambda x: getattr(x, "__name__", None),
)
def test_dispatch_through_subclasses(tp, tq, fn):
    assert lookup(tp, tq).fn is fn


def _ref(module, name):
    return getattr(importlib.import_module(f"distributions.test_{module}"), name)


@pytest.mark.parametrize(
    "p, q, ref, args",
    [
        (Chi2(3.0), Chi2(5.0), ("gamma", "ref_gamma_gamma"), (1.5, 0.5, 2.5, 0.5)),
        (Chi2(3.0), Gamma(2.0, 0.7), ("gamma", "ref_gamma_gamma"), (1.5, 0.5, 2, 0.7)),
        (Gamma(2.0, 0.7), Chi2(3.0), ("gamma", "ref_gamma_gamma"), (2, 0.7, 1.5, 0.5)),
        (Exponential(1.3), Gamma(2.0, 0.7), ("gamma", "ref_gamma_gamma"), (1, 1.3, 2, 0.7)),
        (Gamma(2.0, 0.7), Exponential(1.3), ("gamma", "ref_gamma_gamma"), (2, 0.7, 1, 1.3)),
        (Weibull(1.5, 2.0), Exponential(1.3), ("weibull", "ref_weibull_gamma"), (1.5, 2, 1, 1.3)),
        (Weibull(1.5, 2.0), Chi2(3.0), ("weibull", "ref_weibull_gamma"), (1.5, 2, 1.5, 0.5)),
        (Pareto(1.5, 3.0), Chi2(3.0), ("pareto", "ref_pareto_gamma"), (1.5, 3, 1.5, 0.5)),
        (Chi2(3.0), Normal(2.0, 1.5), ("gamma", "ref_gamma_normal"), (1.5, 0.5, 2, 1.5)),
        (Chi2(3.0), Gumbel(2.0, 1.5), ("gamma", "ref_gamma_gumbel"), (1.5, 0.5, 2, 1.5)),
    ],
    ids=lambda x: type(x).__name__,
)
def test_subclass_pairs_values(p, q, ref, args):
    """A pair reached through a subclass (Chi2 and Exponential are Gammas) against the formula
    of the parent pair at the subclass's parameters."""
    want = float(_ref(*ref)(*(mp.mpf(a) for a in args)))
    np.testing.assert_allclose(float(kl_divergence(p, q)), want, rtol=1e-13)


def test_registered_pairs_cover_the_tables():
    """Every pair of the tables is registered, and so are the +inf pairs of the real-line
    families against the half-line and interval families."""
    pairs = set(registered_pairs())
    for pair in PAIRS:
        assert (pair.P, pair.Q) in pairs, pair.id
    for P in (Normal, Laplace, Gumbel):
        for Q in (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform):
            assert (P, Q) in pairs
    for P, Q in [(Beta, Pareto), (ContinuousBernoulli, Pareto)]:
        assert (P, Q) in pairs
    for P, Q in [(Dirichlet, Dirichlet), (Beta, Dirichlet), (Dirichlet, Beta), (Multinomial, Multinomial)]:
        assert (P, Q) in pairs


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("P", [Normal, Laplace, Gumbel, HalfNormal], ids=lambda c: c.__name__)
def test_scale_ratio_beyond_the_float_range(P, dtype):
    """KL between scales whose ratio under- or overflows the dtype (1e-200 against 1e200
    in float64): the log of the ratio still counts in full (scale-only families: −log r
    plus terms that vanish)."""
    s = 1e-200 if dtype == np.float64 else 1e-30
    lo, hi = np.asarray(s, dtype), np.asarray(1 / s, dtype)
    make = (lambda sc: P(sc)) if P is HalfNormal else (lambda sc: P(np.zeros((), dtype), sc))
    got = float(kl_divergence(make(lo), make(hi)))
    rho = mp.mpf(float(lo)) / mp.mpf(float(hi))
    # the leading terms of each family at loc 0 and scale ratio ρ ≪ 1: −log ρ − 1/2 (Normal,
    # HalfNormal), −log ρ − 1 (Laplace), −log ρ − γ − 1 + Γ(1 + ρ) (Gumbel); ρ is negligible
    want = -mp.log(rho) + {Normal: -0.5, HalfNormal: -0.5, Laplace: -1, Gumbel: -mp.euler}[P]
    rtol = 1e-15 if dtype == np.float64 else 1e-6  # the result's own rounding, a few ulp
    assert abs(got - float(want)) <= rtol * float(want), (got, want)
