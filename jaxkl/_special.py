"""Cancellation-free special functions for the closed-form KL divergences.

Near p = q every closed-form KL is a sum of large terms that cancel. The functions here
return the small quantities directly, each as a sum of non-negative terms computed from
exactly rounded differences, so that they keep relative accuracy (a few ulp) however close
their arguments are:

* ``phi_ratio(r, r − 1) = r − 1 − log r`` (one polynomial, no ``log`` call, see its docstring),
  ``log1pmx(x) = log(1 + x) − x``, ``phi1p(x) = x − log(1 + x)``, ``expm1mx(y) = e^y − 1 − y``
  and ``kl_div1p(u) = (1 + u)·log(1 + u) − u``: the building blocks of every
  Bregman divergence of ``log`` and ``exp``.
* ``lgamma_bregman(x1, x2) = lgamma(x2) − lgamma(x1) − ψ(x1)(x2 − x1)``, the Bregman
  divergence of ``lgamma`` (the Gamma and Poisson-type log-partitions), and its remainder
  ``lgamma_remainder`` after the leading ``x·log x − x`` part is taken out.
* ``log_beta_bregman(a1, a2)``: KL between two Dirichlet (and Beta) distributions.
* ``gamma_kl(a1, b1, a2, b2)``: KL between two Gamma distributions.
* Stirling's remainder μ(x) = lgamma(x) − (x − ½)·log x + x − ½·log 2π: its series
  (``stirling_mu``, ``stirling_dmu``, x ≥ 4) and, for every x > 0, ``stirling_parts`` /
  ``gamma_stirling_mu``; ``betaln``; the harmonic numbers ``harmonic`` and ``harmonic_m1``.
* ``taylor_remainder_quad(f2, x, dx, n)``: the Bregman divergence of any f whose second
  derivative f2 is analytic near [x, x + dx], by an n-point Gauss–Legendre rule (used where
  f2 has no closed-form antiderivative that avoids cancellation).

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
normalized concentrations, which is computed term by term with ``phi_ratio`` (every term
≥ 0), so concentrations of 1e5 or more cost no accuracy; only the O(1) remainders are
added and subtracted.

All functions are element-wise (``log_beta_bregman`` reduces the last axis), accept float32
and float64, and have gradients that are finite wherever the value is.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import digamma, gammaln
from scipy.special import zetac

from ._math import EULER, HALF_LOG_2PI, LN2, materialize, sum_last

__all__ = [
    "expm1mx",
    "beta_kl",
    "betaln",
    "gamma_stirling_mu",
    "harmonic",
    "harmonic_m1",
    "stirling_parts",
    "gamma_kl",
    "kl_div1p",
    "lgamma_bregman",
    "lgamma_remainder",
    "log1pmx",
    "log_beta_bregman",
    "phi1p",
    "phi_ratio",
    "taylor_remainder_quad",
]

# Stirling coefficients c_j = B_2j / (2j (2j − 1)), j = 1, 2, ...
STIRLING = (
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


# Polynomials P with f − log(1 + f) = f²·(½ − f·P(f)) on [√½ − 1, √2 − 1], fitted at
# Chebyshev nodes (interpolation in 50-digit arithmetic): relative error of the result,
# evaluated in the dtype itself, below 2e-7 (float32, degree 8) and 5e-16 (float64, degree 18).
_PHI_POLY = {
    np.dtype(np.float32): (
        0.06971611471451178,
        -0.11479733846637635,
        0.1168541992348674,
        -0.12425687331451106,
        0.1424905764569748,
        -0.16667802319501254,
        0.200007157488921,
        -0.24999996957950882,
        0.33333331180030046,
    ),
    np.dtype(np.float64): (
        0.027053075892336406,
        -0.05959173018943104,
        0.06362025303018654,
        -0.05635857394607171,
        0.05706613674459082,
        -0.06213325491398715,
        0.06680348247882924,
        -0.07146922611081985,
        0.07691741139835176,
        -0.08333110642999564,
        0.09090921076038966,
        -0.10000006590426393,
        0.11111111008787179,
        -0.12499999898432576,
        0.14285714285634818,
        -0.16666666667365992,
        0.20000000000003482,
        -0.24999999999998596,
        0.3333333333333333,
    ),
}
# Bit layout per dtype: (integer type, mantissa bits, exponent offset so that r = m·2^e
# with m ∈ [½, 1), mantissa mask, bits of ½).
_BITS = {
    np.dtype(np.float32): (jnp.int32, 23, 126, 0x007FFFFF, 0x3F000000),
    np.dtype(np.float64): (jnp.int64, 52, 1022, 0x000FFFFFFFFFFFFF, 0x3FE0000000000000),
}
_SQRT_HALF = float(np.sqrt(0.5))


def _horner(x: jax.Array, coeffs) -> jax.Array:
    """Σ coeffs[k]·x^(n−1−k) (highest power first), started from x rather than a broadcast
    constant, so that no array of constants is materialized."""
    acc = coeffs[0] * x + coeffs[1]
    for c in coeffs[2:]:
        acc = acc * x + c
    return acc


def _mantissa_exponent(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x = m·2^e with m ∈ [½, 1), read from the bits (x a positive normal number)."""
    int_t, mant, offset, mask, half = _BITS[np.dtype(x.dtype)]
    bits = jax.lax.bitcast_convert_type(x, int_t)
    e = (bits >> mant) - offset
    return jax.lax.bitcast_convert_type((bits & mask) | half, x.dtype), e


@jax.custom_jvp
def phi_ratio(r: jax.Array, v: jax.Array) -> jax.Array:
    """r − 1 − log r ≥ 0 for r > 0, given ``v`` = r − 1 computed accurately.

    The log is evaluated here rather than by ``jnp.log``, so that one polynomial serves
    both regimes: r = 2^e·(1 + f) with 1 + f ∈ [√½, √2) (exponent and mantissa read from
    the bits) and r − 1 − log r = (r − 1 − f − e·log 2) + f²·(½ − f·P(f)), P a fitted
    polynomial (degree 8 in float32, 18 in float64). For e = 0, i.e. r ∈ [√½, √2), f is
    taken as ``v`` and the first bracket is dropped: the result is then f²·(½ − f·P(f))
    with no cancellation, however close r is to 1 (relative error a few ulp). Elsewhere
    the first bracket is at most a few times the result. Cost: one polynomial, no
    division, no branches: cheaper than ``jnp.log`` plus a series for the near case.

    r below the smallest normal number (~1.2e-38 in float32, 2.2e-308 in float64; XLA on
    CPU flushes subnormals to zero) is treated as that number; r = +inf gives +inf.
    Derivatives flow through ``r`` only (d/dr = (r − 1)/r, formed as v/r); ``v`` is used
    for the value.
    """
    dtype = np.dtype(r.dtype)
    r = jnp.maximum(r, np.finfo(dtype).tiny)
    m, e = _mantissa_exponent(r)
    low = m < _SQRT_HALF
    m = jnp.where(low, m + m, m)
    e = jnp.where(low, e - 1, e)
    center = e == 0
    f = jnp.where(center, v, m - 1.0)
    acc = _horner(f, _PHI_POLY[dtype])
    near_part = (f * f) * (0.5 - f * acc)
    far_part = jnp.where(center, 0.0, (r - m) - e.astype(dtype) * LN2)
    return far_part + near_part


@phi_ratio.defjvp
def _phi_ratio_jvp(primals, tangents):
    r, v = primals
    dr, _ = tangents
    return phi_ratio(r, v), (v / r) * dr


def log1pmx(x: jax.Array) -> jax.Array:
    """log(1 + x) − x ≤ 0 for x > −1, to a few ulp relative (= −``phi1p(x)``)."""
    return -phi1p(x)


def phi1p(x: jax.Array) -> jax.Array:
    """x − log(1 + x) ≥ 0 for x > −1 (so λ − 1 − log λ = ``phi1p(λ − 1)``).

    ``phi_ratio(1 + x, x)``: the near case (1 + x ∈ [√½, √2)) reads x itself; elsewhere
    the rounding of 1 + x moves the result by at most an ulp or two. x = −1 is treated as the smallest
    normal 1 + x (see ``phi_ratio``).
    """
    x = jnp.asarray(x)
    return phi_ratio(1.0 + x, x)


def expm1mx_series(y: jax.Array) -> jax.Array:
    """(e^y − 1 − y)/y² = Σ_{k≥0} y^k/(k + 2)! for |y| ≤ 1 (to 1/19! in float64, 1/11! in
    float32): no transcendental call, a few ulp relative."""
    terms = 18 if _is64(y) else 10
    return _horner(y, [1.0 / math.factorial(k + 2) for k in range(terms - 1, -1, -1)])


def expm1mx(y: jax.Array) -> jax.Array:
    """e^y − 1 − y ≥ 0, to a few ulp relative.

    For |y| ≤ 1 y²·``expm1mx_series(y)``; outside, ``expm1(y) − y``, which loses at most
    two bits.
    """
    y = jnp.asarray(y)
    near = jnp.abs(y) <= 1.0
    ys = jnp.where(near, y, 0.0)
    yf = jnp.where(near, 0.0, y)
    return jnp.where(near, ys * ys * expm1mx_series(ys), jnp.expm1(yf) - yf)


def kl_div1p(u: jax.Array) -> jax.Array:
    """(1 + u)·log(1 + u) − u ≥ 0 for u ≥ −1 (= ``kl_div(1 + u, 1)``; 1 at u = −1).

    Equals (1 + u)·phi(1/(1 + u)) with phi(r) = r − 1 − log r and 1/(1 + u) − 1 = −u/(1 + u)
    (``phi_ratio``): one division, a few ulp relative for every u.
    """
    u = jnp.asarray(u)
    a = 1.0 + u
    alive = a > 0.0
    a_safe = jnp.where(alive, a, 1.0)
    inv = 1.0 / a_safe
    return jnp.where(alive, a_safe * phi_ratio(inv, -u * inv), 1.0)


# ------------------------------------------------------------------ lgamma Bregman


def phi_step(y1: jax.Array, y2: jax.Array, dy: jax.Array) -> jax.Array:
    """u − log(1 + u) with u = dy/y1 = (y2 − y1)/y1 (y1, y2 > 0): ``phi_ratio(y2/y1, u)``."""
    inv1 = 1.0 / y1
    return phi_ratio(y2 * inv1, dy * inv1)


@jax.custom_jvp
def phi_quotient(a: jax.Array, b: jax.Array, v: jax.Array | None = None) -> jax.Array:
    """r − 1 − log r ≥ 0 for r = a/b (a, b > 0), to a few ulp relative for all a, b.

    ``phi_ratio`` with the quotient split as r = m·2^e, m ∈ [√½, √2), where m = m_a/m_b
    and e = e_a − e_b come from the mantissas and exponents of a and b themselves (not of
    the rounded quotient): r − 1 − log r = (m·2^e − m − e·log 2) + ((m − 1) − log m), the
    second bracket by ``phi_ratio``'s polynomial. For e = 0 (r ∈ [√½, √2)) m − 1 is taken
    as v = (a − b)/b (the caller's, if it has it) and the first bracket dropped, so nothing
    cancels however close a is to b; elsewhere the first bracket is at most a few times the
    result. Where a/b underflows (2^e = 0) the result keeps its accuracy (−1 − log r, up to
    ~1490 in float64); where it overflows, and for a = 0 or b = 0, it is +inf. One division
    and no ``log`` call.
    Derivatives: ∂/∂a = (a − b)/(a·b) and ∂/∂b = −(a − b)/b², finite wherever they are
    representable (``v`` is not differentiated).
    """
    a, b = jnp.asarray(a), jnp.asarray(b)
    dtype = np.dtype(jnp.result_type(a, b))
    a, b = a.astype(dtype), b.astype(dtype)
    int_t, mant, offset, _, _ = _BITS[dtype]
    ma, ea = _mantissa_exponent(a)
    mb, eb = _mantissa_exponent(b)
    m = ma / mb  # ∈ (½, 2)
    low, high = m < _SQRT_HALF, m >= 2.0 * _SQRT_HALF
    m = jnp.where(low, m + m, jnp.where(high, 0.5 * m, m))
    e = ea - eb + jnp.where(low, -1, jnp.where(high, 1, 0)).astype(ea.dtype)
    center = e == 0
    if v is None:
        v = (a - b) / b
    f = jnp.where(center, v, m - 1.0)
    near_part = (f * f) * (0.5 - f * _horner(f, _PHI_POLY[dtype]))
    # r = (2m)·2^(e−1), 2^(e−1) from its bits: the biased exponent clipped to [0, max] gives
    # 0 below the normal range and +inf above it (r itself overflows only if 2m·2^(e−1) does)
    top = 2 * (offset + 1) + 1
    pow2 = jax.lax.bitcast_convert_type(jnp.clip(e + offset, 0, top).astype(int_t) << mant, dtype)
    far_part = jnp.where(center, 0.0, ((m + m) * pow2 - m) - e.astype(dtype) * LN2)
    return jnp.where((a > 0.0) & (b > 0.0), far_part + near_part, jnp.inf)


@phi_quotient.defjvp
def _phi_quotient_jvp(primals, tangents):
    a, b, v_given = primals
    da, db, _ = tangents
    # ∂/∂a = (a − b)/(a·b), ∂/∂b = −(a − b)/b²: by v = (a − b)/b near a = b (no cancellation),
    # by 1/b − 1/a and (1 − a/b)/b where a/b is far from 1 (v itself may overflow there).
    # Products with the reciprocals, not nested divisions: XLA rewrites (x/y)/z as x/(y·z),
    # and y·z underflows for small parameters.
    inv_a, inv_b = 1.0 / a, 1.0 / b
    v = (a - b) * inv_b
    near = jnp.abs(v) <= 1.0
    d_a = jnp.where(near, v * inv_a, inv_b - inv_a)
    d_b = jnp.where(near, -v * inv_b, (1.0 - a * inv_b) * inv_b)
    return phi_quotient(a, b, v_given), d_a * da + d_b * db


def _xlogx_bregman(y1: jax.Array, y2: jax.Array, dy: jax.Array) -> jax.Array:
    """y2·log(y2/y1) − dy = y1·kl_div1p(dy/y1) ≥ 0 (dy = y2 − y1), as y2·phi(y1/y2)."""
    inv2 = 1.0 / y2
    return y2 * phi_ratio(y1 * inv2, -dy * inv2)


def stirling_mu(x: jax.Array, terms: int) -> jax.Array:
    """Stirling's remainder μ(x) = lgamma(x) − (x − ½)·log x + x − ½·log 2π, for x ≥ 4."""
    w = 1.0 / (x * x)
    return _horner(w, STIRLING[:terms][::-1]) / x


def stirling_dmu(x: jax.Array, terms: int) -> jax.Array:
    """μ'(x) = −Σ_j (2j − 1)·c_j / x^(2j)."""
    w = 1.0 / (x * x)
    return -_horner(w, [(2 * j - 1) * STIRLING[j - 1] for j in range(terms, 0, -1)]) * w


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
        dk = _horner(w, [STIRLING[j - 1] * _binom_neg(2 * j - 1, k) for j in range(terms, 0, -1)])
        series = (series + dk / x1) * us
    series = series * us
    x2 = x1 + jnp.where(near, 0.0, dx)
    direct = stirling_mu(x2, terms) - stirling_mu(x1, terms) - stirling_dmu(x1, terms) * jnp.where(near, 0.0, dx)
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
        return shift_sum + jnp.where(active, phi_step(x1 + fi, x2 + fi, dx), 0.0), n + active.astype(x1.dtype)

    # A loop rather than n0 unrolled copies: the same arithmetic, a much smaller graph to compile.
    shift_sum, n = jax.lax.fori_loop(0, n0, step, (jnp.zeros_like(x1), jnp.zeros_like(x1)), unroll=True)
    big1 = x1 + n
    big2 = x2 + n
    inv_b = 1.0 / big1
    inv2 = 1.0 / x2
    sb = dx * inv_b
    # phi(big2/big1): both the ½·log X term of Stirling's series and part of the x·log x
    # difference below (the ratio is formed directly, since 1 + sb rounds when big2 ≪ big1).
    ph_b = phi_ratio(big2 * inv_b, sb)
    # Difference of the x·log x Bregman terms D(y1, y2) = y2·log(y2/y1) − (y2 − y1) at the
    # shifted and the original point: x2·log1p(t) + n·log1p(sb) with 1 + t = x1·big2/(x2·big1),
    # t = −n·sb/x2; since x2·t = −n·sb it equals −x2·phi(1 + t) − n·phi(1 + sb) ≤ 0 (0 without
    # a shift), both terms formed from the exact dx without cancellation, near or far apart.
    ph_t = phi_ratio(x1 * big2 * inv_b * inv2, -(n * sb) * inv2)
    total = shift_sum - x2 * ph_t + (0.5 - n) * ph_b + _mu_bregman(big1, dx, terms, small)
    # ~900 cheap operations per element in float64: computed once, not in every consumer.
    return materialize(jnp.maximum(total, 0.0))


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
    return _xlogx_bregman(x1, x2, dx) + _lgamma_remainder(x1, x2, dx)


def gamma_kl(a1: jax.Array, b1: jax.Array, a2: jax.Array, b2: jax.Array) -> jax.Array:
    """KL(Gamma(a1, rate=b1) ‖ Gamma(a2, rate=b2)).

    The textbook form (a1 − a2)ψ(a1) − lgamma(a1) + lgamma(a2) + a2·log(b1/b2) + a1(b2 − b1)/b1
    is rewritten as ``lgamma_remainder(a1, a2) + a2·(w − 1 − log w)`` with
    w = (a1/b1)/(a2/b2) the ratio of the means, w − 1 = (a1·(b2 − b1) − (a2 − a1)·b1)/(a2·b1)
    (``phi_ratio``): two non-negative terms, so the result keeps relative accuracy near p = q and at large
    concentrations, where the textbook form cancels to nothing.
    """
    a1, b1, a2, b2 = jnp.broadcast_arrays(*(jnp.asarray(v) for v in (a1, b1, a2, b2)))
    da = a2 - a1
    db = b2 - b1
    # a2·phi(w), w = 1/s = (a1·b2)/(a2·b1), with w − 1 = (a1·db − da·b1)/(a2·b1) from the
    # exact differences when both are close (accurate as w → 1), from w otherwise (where the
    # two products would cancel).
    inv = 1.0 / (a2 * b1)
    w = a1 * b2 * inv
    close = (jnp.abs(da) <= 0.5 * a1) & (jnp.abs(db) <= 0.5 * b1)
    wm1 = jnp.where(close, (a1 * db - da * b1) * inv, w - 1.0)
    return _lgamma_remainder(a1, a2, da) + a2 * phi_ratio(w, wm1)


def _cat_term(a1, a2, da, s1, s2, ds):
    """a2·phi(w), w = (a1·S2)/(a2·S1): one term of S2·KL(a2/S2 ‖ a1/S1) (≥ 0).

    w − 1 = (a1·dS − da·S1)/(a2·S1) from the exact differences when both are close (accurate
    as the normalized concentrations meet), from w otherwise (where the products cancel).
    """
    inv = 1.0 / (a2 * s1)
    w = a1 * s2 * inv
    close = (jnp.abs(da) <= 0.5 * a1) & (jnp.abs(ds) <= 0.5 * s1)
    return a2 * phi_ratio(w, jnp.where(close, (a1 * ds - da * s1) * inv, w - 1.0))


def beta_kl(a1: jax.Array, b1: jax.Array, a2: jax.Array, b2: jax.Array) -> jax.Array:
    """KL(Beta(a1, b1) ‖ Beta(a2, b2)): ``log_beta_bregman`` on the pairs, written out
    element-wise (no trailing axis of two, which vectorizes poorly)."""
    a1, b1, a2, b2 = jnp.broadcast_arrays(*(jnp.asarray(v) for v in (a1, b1, a2, b2)))
    da, db = a2 - a1, b2 - b1
    s1 = a1 + b1
    ds = da + db
    s2 = s1 + ds
    cat = _cat_term(a1, a2, da, s1, s2, ds) + _cat_term(b1, b2, db, s1, s2, ds)
    rem = _lgamma_remainder(a1, a2, da) + _lgamma_remainder(b1, b2, db) - _lgamma_remainder(s1, a2 + b2, ds)
    return jnp.maximum(cat + rem, 0.0)


def log_beta_bregman(a1: jax.Array, a2: jax.Array) -> jax.Array:
    """KL(Dirichlet(a1) ‖ Dirichlet(a2)) along the last axis (Beta(a, b) is [a, b]).

    The Bregman divergence of the log-partition A(α) = Σ lgamma(α_i) − lgamma(Σ α_i):
    Σ lgamma(a2_i) − lgamma(S2) − Σ lgamma(a1_i) + lgamma(S1) − Σ (ψ(a1_i) − ψ(S1))(a2_i − a1_i),
    computed as S2·KL(a2/S2 ‖ a1/S1) (term by term, a2_i·(w_i − 1 − log w_i) with
    w_i = (a1_i/S1)/(a2_i/S2), ``phi_ratio``) + Σ_i R(a1_i, a2_i) −
    R(S1, S2), R = ``lgamma_remainder``; the differences S2 − S1 are summed from the
    component differences, never from the rounded sums.
    """
    a1, a2 = jnp.broadcast_arrays(jnp.asarray(a1), jnp.asarray(a2))
    da = a2 - a1
    s1 = jnp.sum(a1, axis=-1, keepdims=True)
    ds = jnp.sum(da, axis=-1, keepdims=True)
    s2 = s1 + ds
    cat = sum_last(_cat_term(a1, a2, da, s1, s2, ds))
    s2 = jnp.sum(a2, axis=-1)
    rem = sum_last(_lgamma_remainder(a1, a2, da)) - _lgamma_remainder(s1[..., 0], s2, ds[..., 0])
    return jnp.maximum(cat + rem, 0.0)


def gauss_legendre01(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights of the n-point Gauss–Legendre rule on [0, 1]."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


def taylor_remainder_quad(f2, x, dx, n: int) -> jax.Array:
    """∫₀¹ (1 − s)·f2(x + s·dx) ds by the n-point Gauss–Legendre rule (times dx² this is the
    Bregman divergence of an f with f'' = f2, between x and x + dx).

    ``f2`` is evaluated once, on the n nodes stacked along a new trailing axis (one copy of
    its program, not n), and the weighted terms are added node by node in order.
    """
    nodes, weights = gauss_legendre01(n)
    vals = f2(x[..., None] + nodes.astype(x.dtype) * dx[..., None])
    acc = jnp.zeros_like(x)
    for i, (s, w) in enumerate(zip(nodes, weights)):
        acc = acc + float(w * (1.0 - s)) * vals[..., i]
    return acc


def betaln(a: jax.Array, b: jax.Array) -> jax.Array:
    """log B(a, b), accurate to a few ulp (``jax.scipy.special.betaln`` is off by up to 1e-6
    relative in float64 once max(a, b) ≥ 8).

    With x = min(a, b), y = max(a, b): lgamma(x) + lgamma(y) − lgamma(x + y) for y < 8, else
    lgamma(x) − x·ψ(y) − ``lgamma_bregman``(y, x + y), which forms no large difference of
    lgamma values.
    """
    x, y = jnp.minimum(a, b), jnp.maximum(a, b)
    big = y >= 8.0
    yb = jnp.where(big, y, 8.0)
    xb = jnp.where(big, x, 1.0)
    ys = jnp.where(big, 1.0, y)
    small = gammaln(x) + gammaln(ys) - gammaln(x + ys)
    large = gammaln(xb) - xb * digamma(yb) - lgamma_bregman(yb, xb + yb)
    return jnp.where(big, large, small)


# H_{1+h} − 1 = ψ(2 + h) − ψ(2) = Σ_{k≥1} (−1)^(k+1) (ζ(k+1) − 1) h^k, for |h| ≤ 1/4.
_HARMONIC_SERIES = tuple(float((-1) ** (k + 1) * zetac(k + 1)) for k in range(1, 20))


def harmonic(x: jax.Array) -> jax.Array:
    """The harmonic number H_x = ψ(x + 1) + γ for real x > −1 (H_0 = 0, H_1 = 1)."""
    return digamma(x + 1.0) + EULER


@jax.jit
def harmonic_m1(x: jax.Array) -> jax.Array:
    """H_x − 1 = ψ(x + 1) − ψ(2), with full relative accuracy near x = 1.

    For |x − 1| ≤ 1/4 the Taylor series Σ (−1)^(k+1) (ζ(k+1) − 1)(x − 1)^k (19 terms in
    float64, 9 in float32); elsewhere ψ(x + 1) + γ − 1, which then loses at most two bits.
    """
    h = x - 1.0
    near = jnp.abs(h) <= 0.25
    hs = jnp.where(near, h, 0.0)
    n = 19 if x.dtype == np.float64 else 9
    acc = jnp.full_like(hs, _HARMONIC_SERIES[n - 1])
    for c in reversed(_HARMONIC_SERIES[: n - 1]):
        acc = acc * hs + c
    xf = jnp.where(near, 2.0, x)
    return jnp.where(near, acc * hs, digamma(xf + 1.0) + (EULER - 1.0))


_STIRLING_TERMS = 8


def _shift_terms(y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """φ(y) = μ(y) − μ(y + 1) = (y + ½)·log1p(1/y) − 1 and its derivative φ'(y), for y ≥ 1.

    With x = 1/(2y + 1) and t = x²: φ = atanh(x)/x − 1 = t·Σ_{j≥1} t^(j−1)/(2j + 1) and
    φ' = −2x³·Σ_{j≥1} 2j/(2j + 1)·t^(j−1), both free of cancellation (t ≤ 1/9; 9 terms).
    """
    x = 1.0 / (2.0 * y + 1.0)
    t = x * x
    s1 = jnp.full_like(t, 1.0 / 19.0)
    s2 = jnp.full_like(t, 18.0 / 19.0)
    for j in range(8, 0, -1):
        s1 = s1 * t + 1.0 / (2 * j + 1)
        s2 = s2 * t + 2.0 * j / (2 * j + 1)
    return t * s1, -2.0 * x * t * s2


def stirling_parts(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Stirling's remainder μ(a) = lgamma(a) − (a − ½)·log a + a − ½·log 2π (≈ 1/(12a)) and
    μ'(a) = ψ(a) − log a + 1/(2a), to a few ulp relative for a ≥ 1.

    Asymptotic series (8 terms) for a ≥ 8 in float64 and a ≥ 3 in float32 (truncation below
    1e-16 / 1e-7 relative). Below that, float64 uses the defining formulas (terms ≤ 20 that
    cancel to ≥ 0.01: about 1e-13 relative); float32 moves a ∈ [1, 3) up by the recurrence
    μ(y) = μ(y + 1) + φ(y) (see ``_shift_terms``), since there lgamma and ψ in float32 would
    leave errors of 1e-5 relative. a < 1 uses the defining formulas (no cancellation there).
    """
    if a.dtype == np.float64:
        big = a >= 8.0
        ab = jnp.where(big, a, 8.0)
        asm = jnp.where(big, 1.0, a)
        mu_direct = gammaln(asm) - (asm - 0.5) * jnp.log(asm) + asm - HALF_LOG_2PI
        dmu_direct = digamma(asm) - jnp.log(asm) + 0.5 / asm
        return (
            jnp.where(big, stirling_mu(ab, _STIRLING_TERMS), mu_direct),
            jnp.where(big, stirling_dmu(ab, _STIRLING_TERMS), dmu_direct),
        )
    small = a < 1.0
    big = jnp.where(small, 3.0, a)
    mu_shift = jnp.zeros_like(a)
    dmu_shift = jnp.zeros_like(a)
    for _ in range(2):
        active = big < 3.0
        phi, dphi = _shift_terms(jnp.where(active, big, 3.0))
        mu_shift = mu_shift + jnp.where(active, phi, 0.0)
        dmu_shift = dmu_shift + jnp.where(active, dphi, 0.0)
        big = jnp.where(active, big + 1.0, big)
    mu_series = stirling_mu(big, _STIRLING_TERMS) + mu_shift
    dmu_series = stirling_dmu(big, _STIRLING_TERMS) + dmu_shift
    asm = jnp.where(small, a, 0.5)
    mu_direct = gammaln(asm) - (asm - 0.5) * jnp.log(asm) + asm - HALF_LOG_2PI
    dmu_direct = digamma(asm) - jnp.log(asm) + 0.5 / asm
    return jnp.where(small, mu_direct, mu_series), jnp.where(small, dmu_direct, dmu_series)


def gamma_stirling_mu(a: jax.Array) -> jax.Array:
    """μ(a) = lgamma(a) − (a − ½)·log a + a − ½·log 2π, Stirling's remainder (≈ 1/(12a))."""
    return stirling_parts(a)[0]
