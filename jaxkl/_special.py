"""Cancellation-free special functions for the closed-form KL divergences.

Near p = q every closed-form KL is a sum of large terms that cancel. The functions here
return the small quantities directly, each as a sum of non-negative terms computed from
exactly rounded differences, so that they keep relative accuracy (a few ulp) however close
their arguments are:

* ``log1pmx(x) = log(1 + x) − x``, ``phi1p(x) = x − log(1 + x)``, ``expm1mx(y) = e^y − 1 − y``
  and ``kl_div1p(u) = (1 + u)·log(1 + u) − u``: the building blocks of every
  Bregman divergence of ``log`` and ``exp``.
* ``lgamma_bregman(x1, x2) = lgamma(x2) − lgamma(x1) − ψ(x1)(x2 − x1)``, the Bregman
  divergence of ``lgamma`` (the Gamma and Poisson-type log-partitions), and its remainder
  ``lgamma_remainder`` after the leading ``x·log x − x`` part is taken out.
* ``log_beta_bregman(a1, a2)``: KL between two Dirichlet (and Beta) distributions.
* ``gamma_kl(a1, b1, a2, b2)``: KL between two Gamma distributions.

How ``lgamma_bregman`` stays accurate. With g(x) = lgamma(x) − x·log x + x,
``lgamma_bregman = x1·kl_div1p(Δ/x1) + B_g(x1, x2)`` (Δ = x2 − x1), both terms ≥ 0 (g is
convex). B_g is evaluated by shifting both arguments up by the same n steps of the
recurrence lgamma(x) = lgamma(x + n) − Σ log(x + i), each step contributing the
non-negative ``phi1p(Δ/(x1 + i))``, until both are ≥ N0 (8 in float64, 4 in float32); there
Stirling's series g(X) = ½·log(2π) − ½·log X + μ(X), μ(X) = Σ_j B_2j / (2j(2j − 1) X^(2j−1)),
gives B_g = ½·phi1p(Δ/X1) + B_μ(X1, X2) plus the difference of the two x·log x Bregman
terms. B_μ is at most a few per cent of the total; it is summed by a Taylor series in
Δ/X1 when that is small and directly otherwise.

The Dirichlet case uses that Σ α_i·log α_i − S·log S is 1-homogeneous: the large
x·log x parts of Σ lgamma(α_i) − lgamma(S) combine into S2·KL(α2/S2 ‖ α1/S1) between the
normalized concentrations, which is computed term by term with ``kl_div1p`` (every term
≥ 0), so concentrations of 1e5 or more cost no accuracy; only the O(1) remainders are
added and subtracted.

All functions are element-wise (``log_beta_bregman`` reduces the last axis), accept float32
and float64, and have gradients that are finite wherever the value is.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from ._math import log1p as _log1p

__all__ = [
    "expm1mx",
    "gamma_kl",
    "kl_div1p",
    "lgamma_bregman",
    "lgamma_remainder",
    "log1pmx",
    "log_beta_bregman",
    "phi1p",
]

# Stirling coefficients c_j = B_2j / (2j (2j − 1)), j = 1, 2, ...
_STIRLING = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
    -3617.0 / 122400.0,
)


def _is64(x: jax.Array) -> bool:
    return x.dtype == np.float64


def _atanh_series(t: jax.Array, terms: int) -> jax.Array:
    """B(t) = Σ_{j≥1} t^(j−1) / (2j + 1) by Horner's rule."""
    b = jnp.full_like(t, 1.0 / (2 * terms + 1))
    for j in range(terms - 1, 0, -1):
        b = b * t + 1.0 / (2 * j + 1)
    return b


def _near_terms(x: jax.Array) -> int:
    """Terms of the atanh series for |x| ≤ 1/4 (s = x/(2 + x), |s| ≤ 1/7)."""
    return 10 if _is64(x) else 5


def _log1pmx_series(x: jax.Array) -> jax.Array:
    # 2t/(1 − s) = t·(2 + x), since 1 − s = 2/(2 + x): one division, not two.
    s = x / (2.0 + x)
    t = s * s
    return t * (2.0 * s * _atanh_series(t, _near_terms(x)) - (2.0 + x))


def log1pmx(x: jax.Array) -> jax.Array:
    """log(1 + x) − x ≤ 0 for x > −1, to a few ulp relative.

    For |x| ≤ 1/4, with s = x/(2 + x) and t = s², log(1 + x) = 2·atanh(s) gives
    log(1 + x) − x = −2t/(1 − s) + 2·s·t·B(t), B(t) = Σ_{j≥1} t^(j−1)/(2j + 1); outside,
    the direct difference loses at most three bits.
    """
    x = jnp.asarray(x)
    near = jnp.abs(x) <= 0.25
    series = _log1pmx_series(jnp.where(near, x, 0.0))
    xf = jnp.where(near, 1.0, x)
    return jnp.where(near, series, _log1p(xf) - xf)


def phi1p(x: jax.Array) -> jax.Array:
    """x − log(1 + x) ≥ 0 for x > −1 (so λ − 1 − log λ = ``phi1p(λ − 1)``)."""
    return -log1pmx(x)


def expm1mx(y: jax.Array) -> jax.Array:
    """e^y − 1 − y ≥ 0, to a few ulp relative.

    For |y| ≤ 1 the series y²·Σ_{k≥0} y^k/(k + 2)! (to 1/19! in float64, 1/11! in float32);
    outside, ``expm1(y) − y``, which loses at most two bits.
    """
    y = jnp.asarray(y)
    near = jnp.abs(y) <= 1.0
    ys = jnp.where(near, y, 0.0)
    terms = 18 if _is64(y) else 10
    acc = jnp.full_like(ys, 1.0 / float(np.prod(np.arange(1, terms + 2, dtype=np.float64))))
    for k in range(terms - 2, -1, -1):
        acc = acc * ys + 1.0 / float(np.prod(np.arange(1, k + 3, dtype=np.float64)))
    yf = jnp.where(near, 0.0, y)
    return jnp.where(near, ys * ys * acc, jnp.expm1(yf) - yf)


def kl_div1p(u: jax.Array) -> jax.Array:
    """(1 + u)·log(1 + u) − u ≥ 0 for u ≥ −1 (= ``kl_div(1 + u, 1)``; 1 at u = −1).

    For |u| ≤ 1/4: with s = u/(2 + u), t = s², the value is
    2t/(1 − s)·[1 + (s + t)·B(t)] = t·(2 + u)·[1 + (s + t)·B(t)] (every term positive);
    outside, the direct formula.
    """
    u = jnp.asarray(u)
    near = jnp.abs(u) <= 0.25
    us = jnp.where(near, u, 0.0)
    s = us / (2.0 + us)
    t = s * s
    series = t * (2.0 + us) * (1.0 + (s + t) * _atanh_series(t, _near_terms(u)))
    alive = u > -1.0
    uf = jnp.where(near | ~alive, 1.0, u)
    direct = (1.0 + uf) * _log1p(uf) - uf
    return jnp.where(near, series, jnp.where(alive, direct, 1.0))


# ------------------------------------------------------------------ lgamma Bregman


def _phi(y1: jax.Array, y2: jax.Array, dy: jax.Array) -> jax.Array:
    """u − log(1 + u) with u = dy/y1 = (y2 − y1)/y1 (y1, y2 > 0), one logarithm.

    When y2 < y1/2 the log is −log1p(y1/y2 − 1), so that 1 + u is never formed by
    rounding u (y2 ≪ y1 is allowed)."""
    inv1 = 1.0 / y1
    u = dy * inv1
    near = jnp.abs(u) <= 0.25
    low = y2 < 0.5 * y1
    w = jnp.where(low, y1 / jnp.where(low, y2, 1.0) - 1.0, jnp.where(near, 0.0, u))
    lg = _log1p(w)
    return jnp.where(near, -_log1pmx_series(jnp.where(near, u, 0.0)), u + jnp.where(low, lg, -lg))


def _mu(x: jax.Array, terms: int) -> jax.Array:
    """Stirling's remainder μ(x) = lgamma(x) − (x − ½)·log x + x − ½·log 2π, for x ≥ 4."""
    w = 1.0 / (x * x)
    acc = jnp.full_like(x, _STIRLING[terms - 1])
    for c in reversed(_STIRLING[: terms - 1]):
        acc = acc * w + c
    return acc / x


def _dmu(x: jax.Array, terms: int) -> jax.Array:
    """μ'(x) = −Σ_j (2j − 1)·c_j / x^(2j)."""
    w = 1.0 / (x * x)
    acc = jnp.full_like(x, (2 * terms - 1) * _STIRLING[terms - 1])
    for j in range(terms - 1, 0, -1):
        acc = acc * w + (2 * j - 1) * _STIRLING[j - 1]
    return -acc * w


def _binom_neg(m: int, k: int) -> float:
    """Coefficient of u^k in (1 + u)^(−m)."""
    out = 1.0
    for i in range(k):
        out *= -(m + i) / (i + 1)
    return out


def _mu_bregman(x1: jax.Array, dx: jax.Array, terms: int, small: float) -> jax.Array:
    """μ(x1 + dx) − μ(x1) − μ'(x1)·dx ≥ 0 for x1, x1 + dx ≥ N0."""
    u = dx / x1
    near = jnp.abs(u) < small
    us = jnp.where(near, u, 0.0)
    w = 1.0 / (x1 * x1)
    # Σ_j c_j x1^(−m_j) Σ_{k=2..4} binom(−m_j, k) u^k, m_j = 2j − 1
    series = jnp.zeros_like(x1)
    for k in (4, 3, 2):
        dk = jnp.full_like(x1, _STIRLING[terms - 1] * _binom_neg(2 * terms - 1, k))
        for j in range(terms - 1, 0, -1):
            dk = dk * w + _STIRLING[j - 1] * _binom_neg(2 * j - 1, k)
        series = (series + dk / x1) * us
    series = series * us
    x2 = x1 + jnp.where(near, 0.0, dx)
    direct = _mu(x2, terms) - _mu(x1, terms) - _dmu(x1, terms) * jnp.where(near, 0.0, dx)
    return jnp.maximum(jnp.where(near, series, direct), 0.0)


def _constants(x: jax.Array) -> tuple[int, int, float]:
    """(N0, Stirling terms, switch of the μ-Bregman series) for the dtype."""
    return (8, 8, 1e-3) if _is64(x) else (4, 4, 3e-2)


@jax.custom_jvp
def _lgamma_remainder(x1: jax.Array, x2: jax.Array, dx: jax.Array) -> jax.Array:
    """B_g(x1, x2), dx = x2 − x1 exact, for g(x) = lgamma(x) − x·log x + x (see the module docstring)."""
    n0, terms, small = _constants(x1)
    lo = jnp.minimum(x1, x1 + dx)

    def step(i, carry):
        shift_sum, n = carry
        active = lo + i < n0
        fi = i.astype(x1.dtype)
        return shift_sum + jnp.where(active, _phi(x1 + fi, x2 + fi, dx), 0.0), n + active.astype(x1.dtype)

    # A loop rather than n0 unrolled copies: the same arithmetic, a much smaller graph to compile.
    shift_sum, n = jax.lax.fori_loop(0, n0, step, (jnp.zeros_like(x1), jnp.zeros_like(x1)), unroll=True)
    big1 = x1 + n
    # Difference of the x·log x Bregman terms at the shifted and the original point; exactly 0
    # without a shift (selected, so that a fused multiply-add cannot leave a rounding residue).
    shifted = n > 0
    # Near (|dx| ≤ x1/2) both are O(x·u²) and their difference is benign; far apart each is
    # O(x1) while the difference is O(n), so it is formed from logs instead:
    # x2·[log1p(n/x2) − log1p(n/x1)] + n·log((x2 + n)/(x1 + n)).
    near = jnp.abs(dx) <= 0.5 * x1
    x1n, x2n = jnp.where(near, 1.0, x1), jnp.where(near, 1.0, x2)
    far_diff = x2n * (_log1p(n / x2n) - _log1p(n / x1n)) + n * (jnp.log(x2n + n) - jnp.log(x1n + n))
    near_diff = big1 * kl_div1p(jnp.where(near, dx / big1, 0.0)) - x1 * kl_div1p(jnp.where(near, dx / x1, 0.0))
    xlogx_diff = jnp.where(shifted, jnp.where(near, near_diff, far_diff), 0.0)
    total = shift_sum + xlogx_diff + 0.5 * _phi(big1, x2 + n, dx) + _mu_bregman(big1, dx, terms, small)
    return jnp.maximum(total, 0.0)


@_lgamma_remainder.defjvp
def _lgamma_remainder_jvp(primals, tangents):
    """∂R/∂x2 = ψ(x2) − ψ(x1) − log(x2/x1), ∂R/∂x1 = (x2 − x1)(1/x1 − ψ'(x1)).

    Written with the library digamma/trigamma: the same gradients as differentiating the
    series, at a fraction of the compile time. ``dx`` is x2 − x1 by contract, so its
    tangent is not used.
    """
    x1, x2, dx = primals
    t1, t2, _ = tangents
    value = _lgamma_remainder(x1, x2, dx)
    g2 = jax.scipy.special.digamma(x2) - jax.scipy.special.digamma(x1) - (jnp.log(x2) - jnp.log(x1))
    g1 = dx * (1.0 / x1 - jax.scipy.special.polygamma(1, x1))
    return value, g1 * t1 + g2 * t2


def lgamma_remainder(x1: jax.Array, x2: jax.Array) -> jax.Array:
    """Bregman divergence of g(x) = lgamma(x) − x·log x + x between x1 and x2 (both > 0).

    Equals ``lgamma_bregman(x1, x2) − x1·kl_div1p((x2 − x1)/x1)`` ≥ 0; O(1) rather than
    O(x) at large x (about ¼((x2 − x1)/x1)² near x1).
    """
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    return _lgamma_remainder(x1, x2, x2 - x1)


def lgamma_bregman(x1: jax.Array, x2: jax.Array) -> jax.Array:
    """lgamma(x2) − lgamma(x1) − ψ(x1)·(x2 − x1) ≥ 0 for x1, x2 > 0, to a few ulp relative.

    The Bregman divergence of ``lgamma``; about ψ'(x1)·(x2 − x1)²/2 when x2 ≈ x1.
    """
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    dx = x2 - x1
    return x1 * kl_div1p(dx / x1) + _lgamma_remainder(x1, x2, dx)


def gamma_kl(a1: jax.Array, b1: jax.Array, a2: jax.Array, b2: jax.Array) -> jax.Array:
    """KL(Gamma(a1, rate=b1) ‖ Gamma(a2, rate=b2)).

    The textbook form (a1 − a2)ψ(a1) − lgamma(a1) + lgamma(a2) + a2·log(b1/b2) + a1(b2 − b1)/b1
    is rewritten as ``lgamma_remainder(a1, a2) + a1·r·kl_div1p(s − 1)`` with r = b2/b1 and
    s = (a2/b2)/(a1/b1) the ratio of the means, s − 1 = ((a2 − a1)·b1 − a1·(b2 − b1))/(a1·b2):
    two non-negative terms, so the result keeps relative accuracy near p = q and at large
    concentrations, where the textbook form cancels to nothing.
    """
    a1, b1, a2, b2 = jnp.broadcast_arrays(*(jnp.asarray(v) for v in (a1, b1, a2, b2)))
    da = a2 - a1
    db = b2 - b1
    # From the exact differences when both are close (so u keeps its relative accuracy as
    # s → 1), from the ratio otherwise (where the two products would cancel).
    close = (jnp.abs(da) <= 0.5 * a1) & (jnp.abs(db) <= 0.5 * b1)
    u = jnp.where(close, (da * b1 - a1 * db) / (a1 * b2), (a2 * b1) / (a1 * b2) - 1.0)
    return _lgamma_remainder(a1, a2, da) + (a1 * b2 / b1) * kl_div1p(u)


def log_beta_bregman(a1: jax.Array, a2: jax.Array) -> jax.Array:
    """KL(Dirichlet(a1) ‖ Dirichlet(a2)) along the last axis (Beta(a, b) is [a, b]).

    The Bregman divergence of the log-partition A(α) = Σ lgamma(α_i) − lgamma(Σ α_i):
    Σ lgamma(a2_i) − lgamma(S2) − Σ lgamma(a1_i) + lgamma(S1) − Σ (ψ(a1_i) − ψ(S1))(a2_i − a1_i),
    computed as S2·KL(a2/S2 ‖ a1/S1) (term by term with ``kl_div1p``) + Σ_i R(a1_i, a2_i) −
    R(S1, S2), R = ``lgamma_remainder``; the differences S2 − S1 are summed from the
    component differences, never from the rounded sums.
    """
    a1, a2 = jnp.broadcast_arrays(jnp.asarray(a1), jnp.asarray(a2))
    da = a2 - a1
    s1 = jnp.sum(a1, axis=-1, keepdims=True)
    ds = jnp.sum(da, axis=-1, keepdims=True)
    s2 = s1 + ds
    # From the exact differences when close (u keeps its relative accuracy as the normalized
    # concentrations meet), from the ratios otherwise (where the two products cancel).
    close = jnp.all(jnp.abs(da) <= 0.5 * a1, axis=-1, keepdims=True) & (jnp.abs(ds) <= 0.5 * s1)
    u = jnp.where(close, (da * s1 - a1 * ds) / (a1 * s2), (a2 / a1) * (s1 / s2) - 1.0)
    cat = jnp.sum((a1 * s2 / s1) * kl_div1p(u), axis=-1)
    s2 = jnp.sum(a2, axis=-1)
    rem = jnp.sum(_lgamma_remainder(a1, a2, da), axis=-1) - _lgamma_remainder(s1[..., 0], s2, ds[..., 0])
    return jnp.maximum(cat + rem, 0.0)
