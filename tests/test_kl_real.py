"""Closed-form KL for the real-line and location-scale families.

References: the textbook formulas evaluated with 50-digit mpmath at the same (rounded)
inputs, and numerical integration of scipy.stats densities (an independent check of the
formulas themselves).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kits import check_gradients, kl_values
from scipy import integrate, stats

from jaxkl.distributions import (
    Beta,
    Cauchy,
    Chi2,
    ContinuousBernoulli,
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
    Normal,
    Pareto,
    StudentT,
    Uniform,
    Weibull,
)
from jaxkl.registry import kl_divergence, registered_pairs

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
_E = mp.euler
_MAX = {np.float32: float(np.finfo(np.float32).max), np.float64: float(np.finfo(np.float64).max)}
_RTOL = {np.float32: 1e-4, np.float64: 1e-10}


# --------------------------------------------------------------------------- references
# Textbook formulas; a, b are p's (loc, scale), c, d are q's, all mpf.


def _ref_normal(a, b, c, d):
    return mp.log(d / b) + (b**2 + (a - c) ** 2) / (2 * d**2) - mp.mpf(1) / 2


def _ref_laplace(a, b, c, d):
    return mp.log(d / b) + abs(a - c) / d + b / d * mp.exp(-abs(a - c) / b) - 1


def _ref_cauchy(a, b, c, d):
    return mp.log((b + d) ** 2 + (a - c) ** 2) - mp.log(4 * b * d)


def _ref_gumbel(a, b, c, d):
    r = b / d
    return mp.log(d / b) + _E * (r - 1) + (a - c) / d + mp.exp((c - a) / d) * mp.gamma(1 + r) - 1


def _ref_normal_laplace(a, b, c, d):
    z = (a - c) / b
    mean_abs = b * mp.sqrt(2 / mp.pi) * mp.exp(-(z**2) / 2) + (a - c) * mp.erf(z / mp.sqrt(2))
    return mp.log(2 * d / b) - mp.log(2 * mp.pi * mp.e) / 2 + mean_abs / d


def _ref_laplace_normal(a, b, c, d):
    return mp.log(2 * mp.pi * d**2) / 2 - mp.log(2 * b) - 1 + (2 * b**2 + (a - c) ** 2) / (2 * d**2)


def _ref_gumbel_normal(a, b, c, d):
    second_moment = mp.pi**2 * b**2 / 6 + (a + _E * b - c) ** 2
    return mp.log(2 * mp.pi * d**2) / 2 - mp.log(b) - _E - 1 + second_moment / (2 * d**2)


def _ref_normal_gumbel(a, b, c, d):
    return mp.log(d / b) - mp.log(2 * mp.pi * mp.e) / 2 + (a - c) / d + mp.exp(-(a - c) / d + b**2 / (2 * d**2))


def _ref_halfnormal(b, d):
    return mp.log(d / b) + b**2 / (2 * d**2) - mp.mpf(1) / 2


def _ref_halfcauchy(b, d):
    # derived in the docstring of the closed form; checked against quadrature below
    return mp.log((b + d) ** 2) - mp.log(4 * b * d)


@dataclasses.dataclass
class Pair:
    P: type
    Q: type
    ref: Callable
    scipy_p: Callable
    scipy_q: Callable
    # q's (loc, scale) closest to p(loc, scale) (the minimizer of KL over q, or p itself)
    closest: Callable = lambda m, s: (m, s)
    loc_scale: bool = True


_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_G = float(_E)

PAIRS = {
    "Normal-Normal": Pair(Normal, Normal, _ref_normal, stats.norm, stats.norm),
    "LogNormal-LogNormal": Pair(
        LogNormal,
        LogNormal,
        _ref_normal,
        lambda m, s: stats.lognorm(s, scale=np.exp(m)),
        lambda m, s: stats.lognorm(s, scale=np.exp(m)),
    ),
    "Laplace-Laplace": Pair(Laplace, Laplace, _ref_laplace, stats.laplace, stats.laplace),
    "Cauchy-Cauchy": Pair(Cauchy, Cauchy, _ref_cauchy, stats.cauchy, stats.cauchy),
    "Gumbel-Gumbel": Pair(Gumbel, Gumbel, _ref_gumbel, stats.gumbel_r, stats.gumbel_r),
    "Normal-Laplace": Pair(
        Normal, Laplace, _ref_normal_laplace, stats.norm, stats.laplace, lambda m, s: (m, _SQRT_2_OVER_PI * s)
    ),
    "Laplace-Normal": Pair(
        Laplace, Normal, _ref_laplace_normal, stats.laplace, stats.norm, lambda m, s: (m, math.sqrt(2) * s)
    ),
    "Gumbel-Normal": Pair(
        Gumbel,
        Normal,
        _ref_gumbel_normal,
        stats.gumbel_r,
        stats.norm,
        lambda m, s: (m + _G * s, math.pi / math.sqrt(6) * s),
    ),
    "Normal-Gumbel": Pair(Normal, Gumbel, _ref_normal_gumbel, stats.norm, stats.gumbel_r, lambda m, s: (m - s / 2, s)),
    "HalfNormal-HalfNormal": Pair(
        HalfNormal,
        HalfNormal,
        _ref_halfnormal,
        lambda s: stats.halfnorm(scale=s),
        lambda s: stats.halfnorm(scale=s),
        loc_scale=False,
    ),
    "HalfCauchy-HalfCauchy": Pair(
        HalfCauchy,
        HalfCauchy,
        _ref_halfcauchy,
        lambda s: stats.halfcauchy(scale=s),
        lambda s: stats.halfcauchy(scale=s),
        loc_scale=False,
    ),
}
NAMES = list(PAIRS)
SAME_FAMILY = [n for n in NAMES if PAIRS[n].P is PAIRS[n].Q]
REGIMES = ["generic", "near1e-2", "near1e-4", "near1e-6", "small", "small-near", "large", "large-near", "mixed"]


def _draw(pair: Pair, regime: str, rng: np.random.Generator, n: int):
    """(p_args, q_args) as lists of float64 arrays for one regime."""
    if regime == "mixed":
        sp, sq = 10.0 ** rng.uniform(-4, 4, (2, n))
        mp_, mq = rng.normal(size=(2, n)) * 10.0 ** rng.uniform(-4, 4, (2, n))
    else:
        scale = {"small": 1e-4, "large": 1e4}.get(regime.split("-")[0], 1.0)
        sp = scale * rng.uniform(0.3, 3.0, n)
        # locations of order 1 at small scales (their differences are then exact only if p ≈ q)
        mp_ = rng.normal(size=n) * max(scale, 1.0)
        if regime == "generic":
            mq, sq = rng.normal(size=n), rng.uniform(0.3, 3.0, n)
        else:
            if regime.startswith("near"):
                eps = float(regime[4:])
            else:
                eps = 1e-4 if regime.endswith("-near") else 0.5
            m0, s0 = pair.closest(mp_, sp)
            mq = m0 + eps * s0 * rng.normal(size=n)
            sq = s0 * np.exp(eps * rng.normal(size=n))
    if pair.loc_scale:
        return [mp_, sp], [mq, sq]
    return [sp], [sq]


def _kl_fn(pair: Pair):
    k = len(_draw(pair, "generic", np.random.default_rng(0), 1)[0])

    def f(*args):
        return kl_divergence(pair.P(*args[:k]), pair.Q(*args[k:]))

    return f


def _reference(pair: Pair, args: list[np.ndarray]) -> list:
    return [pair.ref(*(mp.mpf(float(a[i])) for a in args)) for i in range(len(args[0]))]


# --------------------------------------------------------------------------- accuracy


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_matches_mpmath_in_every_regime(name, dtype, rng):
    """Relative error ≤ 1e-10 (float64) / 1e-4 (float32) against 50 digits at the same inputs,
    at generic points, near the closest q (relative differences 1e-2 … 1e-6), at scales
    1e-4 and 1e4, and with scales spread over 1e-4 … 1e4 (values beyond the dtype's range
    must be +inf)."""
    pair = PAIRS[name]
    n = 12
    draws = [_draw(pair, r, rng, n) for r in REGIMES]
    p_args = [np.concatenate([d[0][i] for d in draws]).astype(dtype) for i in range(len(draws[0][0]))]
    q_args = [np.concatenate([d[1][i] for d in draws]).astype(dtype) for i in range(len(draws[0][1]))]
    args = p_args + q_args
    got = kl_values(pair.P, pair.Q, np.stack(args, 1), len(p_args), dtype)
    assert got.dtype == dtype and got.shape == (n * len(REGIMES),)
    ref = _reference(pair, args)
    errors = {}
    for i, r in enumerate(ref):
        regime = REGIMES[i // n]
        if r > _MAX[dtype]:
            assert np.isposinf(got[i]), (regime, [a[i] for a in args], got[i], r)
            continue
        if r == 0:
            assert got[i] == 0, (regime, [a[i] for a in args], got[i])
            continue
        errors[regime] = max(errors.get(regime, 0.0), float(abs((mp.mpf(float(got[i])) - r) / r)))
    worst = max(errors.values())
    assert worst <= _RTOL[dtype], errors


@pytest.mark.parametrize("name", NAMES)
def test_matches_quadrature(name):
    """The formula itself: ∫ p (log p − log q) by scipy.integrate.quad of the scipy.stats
    log-densities (in quantile space) at generic points."""
    pair = PAIRS[name]
    rng = np.random.default_rng(7)
    for _ in range(3):
        p_args, q_args = _draw(pair, "generic", rng, 1)
        p_args = [float(a[0]) for a in p_args]
        q_args = [float(a[0]) for a in q_args]
        sp, sq = pair.scipy_p(*p_args), pair.scipy_q(*q_args)
        # in quantile space, KL = ∫₀¹ log(p/q)(x(u)) du; each half is mapped from its own
        # tail (ppf below the median, isf above) so that heavy tails cost nothing. Where
        # x(u) or scipy's logpdf is no longer finite (u within ~1e-300 of an end; scipy's
        # Laplace logpdf underflows in its far tail) the contribution is negligible.

        def integrand(u, quantile, sp=sp, sq=sq):
            x = quantile(u)
            value = sp.logpdf(x) - sq.logpdf(x) if np.isfinite(x) else 0.0
            return value if np.isfinite(value) else 0.0

        # q's median is where Laplace's log-density has its kink
        kinks = (sp.cdf(sq.median()), sp.sf(sq.median()))
        val = sum(
            integrate.quad(
                integrand,
                0.0,
                0.5,
                args=(qf,),
                points=[k] if 0 < k < 0.5 else None,
                epsabs=1e-14,
                epsrel=1e-12,
                limit=200,
            )[0]
            for qf, k in zip((sp.ppf, sp.isf), kinks)
        )
        got = kl_values(pair.P, pair.Q, [p_args + q_args], len(p_args))[0]
        np.testing.assert_allclose(got, val, rtol=1e-8, atol=1e-11)


# --------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    """Reverse-mode gradients at a generic point and one near the closest q against central
    differences (float64), through the pair's program shared with the registry table."""
    pair = PAIRS[name]
    rng = np.random.default_rng(11)
    draws = [_draw(pair, regime, rng, 1) for regime in ("generic", "near1e-2")]
    args = [np.concatenate([d[0][i] for d in draws]) for i in range(len(draws[0][0]))]
    n_p = len(args)
    args += [np.concatenate([d[1][i] for d in draws]) for i in range(len(draws[0][1]))]
    check_gradients(pair.P, pair.Q, np.stack(args, axis=1), n_p)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_gradients_finite_at_closest_q_and_extreme_scales(name, dtype):
    """Finite gradients (zero for p = q) at q = p (or the minimizing q of a cross pair), at
    relative differences below the dtype's resolution, and at scales 1e-4 and 1e4."""
    pair = PAIRS[name]
    f = _kl_fn(pair)
    points = []
    for m, s in ((0.3, 1.2), (5.0, 1e-4), (-3e4, 1e4)):
        m0, s0 = pair.closest(m, s)
        for rel in (0.0, 1e-9, 1e-3):
            q = (m0 + rel * s0, s0 * (1 + rel))
            points.append(((m, s), q) if pair.loc_scale else ((s,), (q[1],)))
    args = [np.array([p[i] for p, _ in points], dtype) for i in range(len(points[0][0]))]
    args += [np.array([q[i] for _, q in points], dtype) for i in range(len(points[0][1]))]
    grads = jax.jit(jax.grad(lambda *a: jnp.sum(f(*a)), argnums=tuple(range(len(args)))))(*args)
    for g in grads:
        assert g.dtype == dtype
        assert np.all(np.isfinite(g)), grads
    if pair.P is pair.Q:
        exact = np.arange(len(points)) % 3 == 0
        for g in grads:
            assert np.all(g[exact] == 0.0), grads


_GUMBEL_GRAD = jax.jit(jax.grad(lambda *a: jnp.sum(_kl_fn(PAIRS["Gumbel-Gumbel"])(*a)), argnums=(0, 1, 2, 3)))


@pytest.mark.parametrize("dtype, radius", [(np.float64, 0.125), (np.float32, 0.5)], ids=["float64", "float32"])
def test_gumbel_series_switch_is_smooth(dtype, radius):
    """The Taylor branch (|βp/βq − 1| ≤ radius) and the lgamma branch agree in value and slope."""
    f = _JITTED["Gumbel-Gumbel"]
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    for r in (1 + radius, 1 - radius):
        xs = np.array([r * (1 - 1e-9), r, r * (1 + 1e-9), r * (1 - 1e-6), r * (1 + 1e-6)], dtype)
        one = np.ones_like(xs)
        vals = np.asarray(f(0.2 * one, xs, 0.0 * one, one))
        ref = [float(_ref_gumbel(mp.mpf(0.2), mp.mpf(float(x)), mp.mpf(0), mp.mpf(1))) for x in xs]
        np.testing.assert_allclose(vals, ref, rtol=rtol)
        grads = _GUMBEL_GRAD(0.2 * one, xs, 0.0 * one, one)
        for g in grads:  # the slope is continuous across the switch
            np.testing.assert_allclose(g[0], g[2], rtol=1e-6 if dtype == np.float64 else 1e-3, atol=1e-9)


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", SAME_FAMILY)
def test_kl_of_p_with_itself_is_zero(name, dtype, rng):
    pair = PAIRS[name]
    p_args, _ = _draw(pair, "mixed", rng, 16)
    p_args = [a.astype(dtype) for a in p_args]
    out = kl_values(pair.P, pair.P, np.stack(p_args + p_args, 1), len(p_args), dtype)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, 0.0)


_JITTED = {name: jax.jit(_kl_fn(PAIRS[name])) for name in NAMES}
_scales = st.floats(1e-3, 1e3)
_locs = st.floats(-100.0, 100.0)


@settings(max_examples=30, deadline=None)
@given(_locs, _scales, _locs, _scales, _locs, st.floats(1e-2, 1e2))
def test_affine_invariance_and_non_negativity(m1, s1, m2, s2, shift, factor):
    """KL(p ‖ q) ≥ 0 and is unchanged when both are moved by x ↦ shift + factor·x."""
    for name in (
        "Normal-Normal",
        "Laplace-Laplace",
        "Cauchy-Cauchy",
        "Gumbel-Gumbel",
        "Normal-Laplace",
        "Gumbel-Normal",
    ):
        f = _JITTED[name]
        base = float(f(m1, s1, m2, s2))
        moved = float(f(shift + factor * m1, factor * s1, shift + factor * m2, factor * s2))
        assert base >= 0.0
        if np.isfinite(base):
            # rounding the moved inputs perturbs the standardized differences by
            # ~eps·(|shift|/factor + |m1| + |m2|)/scale, and the scale ratio by ~eps
            c = 1 + (abs(shift) / factor + abs(m1) + abs(m2)) / min(s1, s2) + max(s1, s2) / min(s1, s2)
            assert abs(moved - base) <= 1e-13 * c * (1 + base), (name, base, moved)


def test_cauchy_kl_is_symmetric(rng):
    p_args, q_args = _draw(PAIRS["Cauchy-Cauchy"], "mixed", rng, 32)
    f = _JITTED["Cauchy-Cauchy"]
    np.testing.assert_allclose(f(*p_args, *q_args), f(*q_args, *p_args), rtol=1e-14)


def test_lognormal_equals_normal_of_the_logs(rng):
    p_args, q_args = _draw(PAIRS["Normal-Normal"], "generic", rng, 8)
    np.testing.assert_array_equal(
        _JITTED["LogNormal-LogNormal"](*p_args, *q_args), _JITTED["Normal-Normal"](*p_args, *q_args)
    )


# --------------------------------------------------------------------------- shapes and dtypes


def test_broadcast_batch_shapes():
    p = Normal(jnp.zeros((3, 1)), 1.0)
    q = Laplace(jnp.linspace(-1, 1, 4), 2.0)
    f = jax.jit(kl_divergence)
    out = f(p, q)
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out[1], f(Normal(jnp.zeros(4), 1.0), q), rtol=1e-15)


def test_half_precision_returns_float32():
    out = kl_divergence(Gumbel(jnp.bfloat16(0.5), jnp.bfloat16(1.0)), Gumbel(jnp.float16(0.0), jnp.float16(2.0)))
    assert out.dtype == np.float32
    ref = float(_ref_gumbel(mp.mpf(0.5), mp.mpf(1), mp.mpf(0), mp.mpf(2)))
    np.testing.assert_allclose(float(out), ref, rtol=1e-5)


def test_mixed_dtypes_promote():
    out = jax.eval_shape(kl_divergence, Normal(np.float32(0.5), np.float32(1.0)), Normal(0.0, 2.0))
    assert out.dtype == np.float64


def test_vmap_over_distributions(rng):
    p_args, q_args = _draw(PAIRS["Laplace-Laplace"], "generic", rng, 5)
    p, q = Laplace(*p_args), Laplace(*q_args)
    np.testing.assert_allclose(jax.jit(jax.vmap(kl_divergence))(p, q), jax.jit(kl_divergence)(p, q), rtol=1e-15)


# --------------------------------------------------------------------------- +inf and missing pairs

_REAL_LINE = {
    "Normal": Normal(jnp.zeros((2, 1)), 1.0),
    "Laplace": Laplace(jnp.zeros((2, 1)), 1.0),
    "Gumbel": Gumbel(jnp.zeros((2, 1)), 1.0),
    "Cauchy": Cauchy(jnp.zeros((2, 1)), 1.0),
    "Logistic": Logistic(jnp.zeros((2, 1)), 1.0),
    "StudentT": StudentT(3.0, jnp.zeros((2, 1)), 1.0),
}
_ONE3 = jnp.ones(3)
_BOUNDED = {
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


@pytest.mark.parametrize("qname", list(_BOUNDED))
@pytest.mark.parametrize("pname", list(_REAL_LINE))
def test_support_mismatch_is_infinite_with_zero_gradient(pname, qname):
    p, q = _REAL_LINE[pname], _BOUNDED[qname]
    out = kl_divergence(p, q)
    assert out.shape == (2, 3) and out.dtype == np.float64
    assert np.all(np.isposinf(out))
    grads = jax.grad(lambda p, q: jnp.sum(kl_divergence(p, q)), argnums=(0, 1))(p, q)
    for g in jax.tree_util.tree_leaves(grads):
        np.testing.assert_array_equal(g, 0.0)
    assert kl_divergence(Normal(np.float32(0.0), np.float32(1.0)), q).dtype == np.float64


def test_registered_pairs_listed():
    pairs = set(registered_pairs())
    for pair in PAIRS.values():
        assert (pair.P, pair.Q) in pairs
    for P in (Normal, Laplace, Gumbel):
        for Q in (Beta, ContinuousBernoulli, Exponential, Gamma, Pareto, Uniform):
            assert (P, Q) in pairs


@pytest.mark.parametrize("P, args", [(StudentT, (3.0, 0.0, 1.0)), (Logistic, (0.0, 1.0))], ids=["StudentT", "Logistic"])
def test_no_closed_form_for_student_t_and_logistic(P, args):
    with pytest.raises(NotImplementedError, match=P.__name__):
        kl_divergence(P(*args), P(*args))
