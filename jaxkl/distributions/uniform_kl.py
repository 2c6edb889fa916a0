"""Closed-form KL(p ‖ q) for p an Uniform: q ∈ {Uniform, Beta, ContinuousBernoulli,
Exponential, Gamma, Gumbel, Normal, Pareto}. The ContinuousBernoulli pairs
(``continuous_bernoulli_kl``) use the same method. Where p puts mass outside q's support the
result is +inf (elementwise: Uniform(l, h) against Beta or ContinuousBernoulli needs 0 ≤ l
and h ≤ 1, against Exponential or Gamma l ≥ 0, against Pareto l ≥ scale; a [0, 1] family
against Uniform(l, h) needs l ≤ 0 and h ≥ 1), with zero gradients there.

Every formula is a sum of terms that are each ≥ 0 or of second order near the point where p
and q coincide (Uniform(0, 1) = Beta(1, 1) = ContinuousBernoulli(½)), computed from exactly
rounded differences, so the result keeps relative accuracy there; the continuous Bernoulli
quantities come from the helpers in ``jaxkl.distributions.continuous_bernoulli`` (S(u) =
log(sinh u/u), its derivatives and N(u), u = η/2). Results have the broadcast batch shape of
p and q and their compute dtype (float32 for bfloat16/float16 parameters)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln

from .._math import HALF_LOG_2PI
from .._math import log1p as _log1p
from .._special import beta_kl, expm1mx, phi_quotient, stirling_mu
from ..registry import register_kl
from ._kl_common import common, inf_where, normal_kl_moments
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli, cb_cross, cb_log_sinhc
from .exponential import Exponential
from .gamma import Gamma
from .gumbel import Gumbel
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform

# Minimum over q of KL(Uniform ‖ Normal q) = ½·log(2πe/12), the negentropy of a uniform law.
_UNIFORM_NEGENTROPY = 0.5 * math.log(2.0 * math.pi * math.e / 12.0)


def log_width_ratio(d: jax.Array, w: jax.Array) -> jax.Array:
    """log(1 + d/w) ≥ 0 for d ≥ 0, w > 0 (the log of a width ratio, exact as d → 0)."""
    return _log1p(d / w)


def _atanh_series(t: jax.Array) -> jax.Array:
    """B(t) = Σ_{j≥1} t^(j−1)/(2j + 1) (so atanh(r)/r = 1 + r²·B(r²)), for t ≤ 1/9."""
    n = 18 if t.dtype == np.float64 else 9
    acc = jnp.full_like(t, 1.0 / (2 * n + 1))
    for j in range(n - 1, 0, -1):
        acc = acc * t + 1.0 / (2 * j + 1)
    return acc


@jax.custom_jvp
def _xlogx(x: jax.Array) -> jax.Array:
    """x·log x with 0·log 0 = 0.

    The derivative log x + 1 is evaluated at max(x, tiny), so at x = 0 it is large and
    finite (about −744 in float64) rather than −inf: a zero cotangent (a Beta exponent of
    exactly 1, say) then gives a zero gradient instead of NaN.
    """
    pos = x > 0
    xs = jnp.where(pos, x, 1.0)
    return jnp.where(pos, xs * jnp.log(xs), 0.0)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    (x,), (dx,) = primals, tangents
    tiny = float(np.finfo(x.dtype).tiny)
    return _xlogx(x), (jnp.log(jnp.maximum(x, tiny)) + 1.0) * dx


def uniform_log_gap(r: jax.Array) -> jax.Array:
    """e(r) = E[log X] − log c ≤ 0 for X uniform on [c(1 − r), c(1 + r)], 0 < r ≤ 1.

    e(r) = ((1 + r)·log(1 + r) − (1 − r)·log(1 − r))/(2r) − 1; for r ≤ 1/3 it is
    (atanh(r)/r − 1) + ½·log1p(−r²) = r²·B(r²) + ½·log1p(−r²) ≈ −r²/6 (terms within a
    factor 5 of the result), else the direct form (log 2 − 1 at r = 1).
    """
    small = r <= 1.0 / 3.0
    rs = jnp.where(small, r, 0.0)
    t = rs * rs
    series = t * _atanh_series(t) + 0.5 * _log1p(-t)
    rf = jnp.where(small, 1.0, r)
    direct = (_xlogx(1.0 + rf) - _xlogx(1.0 - rf)) / (2.0 * rf) - 1.0
    return jnp.where(small, series, direct)


def uniform_mean_log(low: jax.Array, high: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(log c, e) with E[log X] = log c + e for X uniform on [low, high], 0 ≤ low < high.

    c = (low + high)/2 is the midpoint and e = ``uniform_log_gap((high − low)/(high + low))``.
    """
    c = 0.5 * (low + high)
    return jnp.log(c), uniform_log_gap((high - low) / (high + low))


def lgamma_stirling_rest(k: jax.Array) -> jax.Array:
    """lgamma(k) − k·log k + k = ½·log(2π/k) + μ(k), without the O(k log k) cancellation.

    Stirling's series for μ for k ≥ 8 (float64) / 4 (float32), the direct difference below.
    """
    n0, terms = (8.0, 8) if k.dtype == np.float64 else (4.0, 4)
    big = k >= n0
    kb = jnp.where(big, k, n0)
    ks = jnp.where(big, 1.0, k)
    return jnp.where(
        big, HALF_LOG_2PI - 0.5 * jnp.log(kb) + stirling_mu(kb, terms), gammaln(ks) - ks * jnp.log(ks) + ks
    )


def _beta_log_mode_density(a: jax.Array, b: jax.Array, terms: int) -> jax.Array:
    """log of the Beta(a, b) density at its mode (a − 1)/(a + b − 2), for a, b ≥ N0 ≥ 4.

    −½·log(2π) − ½·log a − ½·log b + (3/2)·log s + (a − 1)·log1p(−1/a) + (b − 1)·log1p(−1/b)
    − (s − 2)·log1p(−2/s) − μ(a) − μ(b) + μ(s) by Stirling's series: no term of size s·log s.
    """
    s = a + b
    return (
        -HALF_LOG_2PI
        - 0.5 * (jnp.log(a) + jnp.log(b))
        + 1.5 * jnp.log(s)
        + (a - 1.0) * _log1p(-1.0 / a)
        + (b - 1.0) * _log1p(-1.0 / b)
        - (s - 2.0) * _log1p(-2.0 / s)
        - stirling_mu(a, terms)
        - stirling_mu(b, terms)
        + stirling_mu(s, terms)
    )


@register_kl(Uniform, Uniform, jit=True)
def _kl_uniform_uniform(p, q):
    """KL(p ‖ q) between two Uniform distributions.

    log((hq − lq)/(hp − lp)) when [lp, hp] ⊆ [lq, hq], +inf otherwise; evaluated as
    log1p(((hq − hp) + (lp − lq))/(hp − lp)), which is exact as q → p.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.

    Examples:
        >>> import jaxkl
        >>> from jaxkl.distributions import Uniform
        >>> round(float(jaxkl.kl_divergence(Uniform(0.0, 1.0), Uniform(-1.0, 2.0))), 4)
        1.0986
    """
    lp, hp = p.broadcast_params("low", "high")
    lq, hq = q.broadcast_params("low", "high")
    lp, hp, lq, hq = common(lp, hp, lq, hq)
    ok = (lq <= lp) & (hp <= hq)
    d = jnp.where(ok, (hq - hp) + (lp - lq), 0.0)
    return inf_where(ok, log_width_ratio(d, hp - lp))


def _neg_log_width(low: jax.Array, high: jax.Array) -> jax.Array:
    """−log(high − low) for 0 ≤ low < high ≤ 1 (≥ 0), exact as the interval tends to [0, 1]."""
    w = high - low
    near = w >= 0.5
    return jnp.where(near, -_log1p(jnp.where(near, (high - 1.0) - low, 0.0)), -jnp.log(jnp.where(near, 1.0, w)))


def _unit_interval_args(low: jax.Array, high: jax.Array):
    """(ok, low, high) for Uniform(low, high) tested against a [0, 1] family; safe values where not ok."""
    ok = (low >= 0) & (high <= 1)
    return ok, jnp.where(ok, low, 0.25), jnp.where(ok, high, 0.75)


@register_kl(Uniform, Beta, jit=True)
def _kl_uniform_beta(p, q):
    """KL(p ‖ q) for p = Uniform(l, h) and q = Beta(a, b).

    KL = −log w + log B(a, b) − (a − 1)·E[log X] − (b − 1)·E[log(1 − X)] for 0 ≤ l < h ≤ 1
    (+inf otherwise), with w = h − l. For a, b < N0 (8 in float64, 4 in float32) it is
    written around Uniform(0, 1) = Beta(1, 1) as
    −log w + D(1, 1 → a, b) − (a − 1)(E[log X] + 1) − (b − 1)(E[log(1 − X)] + 1), where
    D is ``beta_kl`` (≥ 0), −log w ≥ 0 and the last two terms are products of
    small factors near p = q. For a, b ≥ N0 (q concentrated, terms of size a·log a) it is
    −log w − log q(c) − (a − 1)·e1 − (b − 1)·e0 with c the midpoint, e1, e0 ≤ 0 the gaps
    E[log X] − log c and E[log(1 − X)] − log(1 − c) (``uniform_log_gap``), and
    log q(c) = log q(mode) − (a + b − 2)·KL(mode ‖ c) with log q(mode) from Stirling's series
    and the Bernoulli KL as two ``phi1p`` terms.

    The one-sided derivative with respect to l at l = 0 (h at h = 1) of the exact KL is
    infinite when a ≠ 1 (b ≠ 1); there the gradient is large and finite (log 0 is replaced
    by the log of the smallest normal number), and exactly the finite limit when a = 1.
    """
    low, high = p.broadcast_params("low", "high")
    a, b = q.broadcast_params("concentration1", "concentration0")
    low, high, a, b = common(low, high, a, b)
    ok, low, high = _unit_interval_args(low, high)
    lc1, e1 = uniform_mean_log(low, high)
    lc0, e0 = uniform_mean_log(1.0 - high, 1.0 - low)
    n0, terms = (8.0, 8) if a.dtype == np.float64 else (4.0, 4)
    conc = (a >= n0) & (b >= n0)
    # Around Uniform(0, 1) = Beta(1, 1).
    ones = jnp.ones_like(a)
    asm, bsm = jnp.where(conc, 1.0, a), jnp.where(conc, 1.0, b)
    breg = beta_kl(ones, ones, asm, bsm)
    kl_flat = _neg_log_width(low, high) + breg - (asm - 1.0) * (lc1 + e1 + 1.0) - (bsm - 1.0) * (lc0 + e0 + 1.0)
    # Concentrated q: around the Beta density at the midpoint c, log q(c) = log q(mode) − s'·KL(mode ‖ c).
    ab, bb = jnp.where(conc, a, n0), jnp.where(conc, b, n0)
    s2 = ab + bb - 2.0
    mode, one_m_mode = (ab - 1.0) / s2, (bb - 1.0) / s2
    c = 0.5 * (low + high)
    one_m_c = 0.5 * ((1.0 - low) + (1.0 - high))
    kl_mode = mode * phi_quotient(c, mode) + one_m_mode * phi_quotient(one_m_c, one_m_mode)
    log_qc = _beta_log_mode_density(ab, bb, terms) - s2 * kl_mode
    kl_conc = -jnp.log(high - low) - log_qc - (ab - 1.0) * e1 - (bb - 1.0) * e0
    return inf_where(ok, jnp.maximum(jnp.where(conc, kl_conc, kl_flat), 0.0))


@register_kl(Uniform, ContinuousBernoulli, jit=True)
def _kl_uniform_continuous_bernoulli(p, q):
    """KL(p ‖ q) for p = Uniform(l, h) and q = ContinuousBernoulli(λ), η = logit λ.

    KL = −log w − η·(l + h)/2 + A(η) for 0 ≤ l < h ≤ 1 (+inf otherwise), A(η) = η/2 + S(η/2),
    evaluated as −log w + S(u) + u·((1 − h) − l) with u = η/2 (``cb_cross``): −log w ≥ 0 and
    S(u) ≥ 0, the last term of second order near p = q = Uniform(0, 1); for |u| > 1 the
    terms of size |u| are combined analytically.
    """
    low, high = p.broadcast_params("low", "high")
    low, high, u = common(low, high, 0.5 * q.logits)
    ok, low, high = _unit_interval_args(low, high)
    m = 0.5 * (low + high)
    one_m = 0.5 * ((1.0 - low) + (1.0 - high))
    kl = _neg_log_width(low, high) + cb_cross(u, m, one_m)
    return inf_where(ok, jnp.maximum(kl, 0.0))


@register_kl(Uniform, Exponential, jit=True)
@register_kl(Uniform, Gamma, jit=True)
def _kl_uniform_gamma(p, q):
    """KL(p ‖ q) for p = Uniform(l, h) and q = Gamma(k, rate b) (Exponential: k = 1).

    KL = −log w + lgamma(k) − k·log b − (k − 1)·E[log X] + b·c for l ≥ 0 (+inf otherwise),
    c = (l + h)/2 the mean of p. With θ = b·c/k and E[log X] = log c + e (e ≤ 0, see
    ``uniform_log_gap``) it is rewritten as
    [lgamma(k) − k·log k + k] + k·phi1p(θ − 1) + log(c/w) − (k − 1)·e,
    whose first bracket is ½·log(2π/k) + μ(k) by Stirling's series, so no term of size
    k·log k is formed and large shapes (1e5) and rates keep full accuracy.
    """
    low, high = p.broadcast_params("low", "high")
    k, rate = q.broadcast_params("concentration", "rate")
    low, high, k, rate = common(low, high, k, rate)
    ok = low >= 0
    low = jnp.where(ok, low, 0.0)
    high = jnp.where(ok, high, 1.0)
    c = 0.5 * (low + high)
    w = high - low
    _, e = uniform_mean_log(low, high)
    kl = lgamma_stirling_rest(k) + k * phi_quotient(rate * c, k) + jnp.log(c / w) - (k - 1.0) * e
    return inf_where(ok, jnp.maximum(kl, 0.0))


@register_kl(Uniform, Normal, jit=True)
def _kl_uniform_normal(p, q):
    """KL(p ‖ q) for p = Uniform(l, h) and q = Normal(μ, σ).

    KL = −log w + ½·log(2πσ²) + (w²/12 + (c − μ)²)/(2σ²), c the midpoint, evaluated as
    ½·log(2πe/12) + KL(N(c, w²/12) ‖ N(μ, σ²)): the negentropy of the uniform law plus a
    Normal–Normal KL written as a sum of non-negative terms.
    """
    low, high = p.broadcast_params("low", "high")
    loc, scale = q.broadcast_params("loc", "scale")
    low, high, loc, scale = common(low, high, loc, scale)
    w = high - low
    return _UNIFORM_NEGENTROPY + normal_kl_moments(0.5 * (low + high), w * w / 12.0, loc, scale)


@register_kl(Uniform, Gumbel, jit=True)
def _kl_uniform_gumbel(p, q):
    """KL(p ‖ q) for p = Uniform(l, h) and q = Gumbel(μ, β).

    KL = −log w + log β + (c − μ)/β + (β/w)·(e^(−(l−μ)/β) − e^(−(h−μ)/β)). With a = w/(2β),
    z = (c − μ)/β and S(a) = log(sinh a / a) it equals
    expm1mx(S(a) − z) + [S(a) + 1 − log(2a)]:
    the first term is ≥ 0 and vanishes for the best location, the bracket (≥ 0.2) is the
    KL to the best Gumbel of that scale; nothing overflows for wide intervals.
    """
    low, high = p.broadcast_params("low", "high")
    loc, scale = q.broadcast_params("loc", "scale")
    low, high, loc, scale = common(low, high, loc, scale)
    a = (high - low) / (2.0 * scale)
    z = (0.5 * (low + high) - loc) / scale
    s = cb_log_sinhc(a)
    return expm1mx(s - z) + (s + 1.0 - jnp.log(2.0 * a))


@register_kl(Uniform, Pareto, jit=True)
def _kl_uniform_pareto(p, q):
    """KL(p ‖ q) for p = Uniform(l, h) and q = Pareto(m, α).

    KL = −log w − log α − α·log m + (α + 1)·E[log X] for l ≥ m (+inf otherwise), evaluated
    as log(c/(w·α)) + α·log1p((c − m)/m) + (α + 1)·e with c the midpoint and
    e = E[log X] − log c ≤ 0 (``uniform_log_gap``), c − m = (l − m) + w/2 exact.
    """
    low, high = p.broadcast_params("low", "high")
    m, alpha = q.broadcast_params("scale", "alpha")
    low, high, m, alpha = common(low, high, m, alpha)
    ok = low >= m
    low = jnp.where(ok, low, m)
    high = jnp.where(ok, high, m + 1.0)
    w = high - low
    c = 0.5 * (low + high)
    _, e = uniform_mean_log(low, high)
    kl = jnp.log(c / (w * alpha)) + alpha * _log1p(((low - m) + 0.5 * w) / m) + (alpha + 1.0) * e
    return inf_where(ok, jnp.maximum(kl, 0.0))
