"""Closed-form KL divergences where p is a Weibull or a Pareto distribution.

Same family: Weibull ‖ Weibull, Pareto ‖ Pareto (+inf where p.scale < q.scale). Across
families: Weibull ‖ Gamma (and so Weibull ‖ Exponential and Weibull ‖ Chi2), Pareto ‖
Exponential, Pareto ‖ Gamma (and Chi2), Pareto ‖ Normal, which are +inf where p lacks the
moment that the log-density of q needs (α ≤ 1, or α ≤ 2 for the Normal). Support
mismatches give +inf: Weibull on (0, ∞) against a bounded q (Beta, ContinuousBernoulli,
Uniform) or Pareto, and Pareto on [m, ∞) against a bounded q.

As in ``closed_form.gamma``, every formula is a sum of non-negative terms (or of terms small
next to the total), built from exact differences, exact products and the Bregman divergence
B(d) = lgamma(1 + d) + γ·d of lgamma at 1, so that the results keep relative accuracy near
p = q, at the common member of Weibull and Gamma (the Exponential), and at extreme
parameters. Results have the broadcast batch shape of p and q and their compute dtype
(float32 for bfloat16/float16 parameters).

Examples:
    Checked against ``scipy.integrate.quad`` of p·(log p − log q) with scipy.stats'
    ``weibull_min``, ``pareto`` and ``gamma`` densities (0.4460512, 1.4584261, 0.1088816):

    >>> import jaxkl
    >>> from jaxkl.distributions import Gamma, Pareto, Weibull
    >>> round(float(jaxkl.kl_divergence(Weibull(2.0, 1.5), Weibull(1.5, 2.0))), 6)
    0.446051
    >>> round(float(jaxkl.kl_divergence(Pareto(1.0, 3.0), Pareto(0.5, 2.0))), 6)
    1.458426
    >>> round(float(jaxkl.kl_divergence(Weibull(2.0, 1.5), Gamma(2.0, 1.5))), 6)
    0.108882
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from scipy.special import zeta as _hurwitz_zeta

from .._math import EULER, HALF_LOG_2PI, log_near1, log_quotient, two_prod
from .._math import log1p as _log1p
from .._special import expm1mx, kl_div1p, phi1p, phi_quotient_logs
from ..distributions.beta import Beta
from ..distributions.gamma import Exponential, Gamma, gamma_stirling_mu
from ..distributions.normal import Normal
from ..distributions.positive import Pareto, Weibull
from ..distributions.uniform import ContinuousBernoulli, Uniform
from ._common import C_EXP_NORMAL, infinite_kl, pair_params
from .registry import register_kl

__all__: list[str] = []


# ------------------------------------------------------------------- building blocks


def _phi_neg_recip(alpha: jax.Array, c: float) -> jax.Array:
    """phi1p(−c/α) = −c/α − log(1 − c/α) ≥ 0 for α > c; log((α − c)/α) with α − c exact when α < 2c."""
    y = c / alpha
    near = y <= 0.5
    far = -y - jnp.log(jnp.where(near, 1.0, (alpha - c) / alpha))
    return jnp.where(near, phi1p(-jnp.where(near, y, 0.0)), far)


def _log_prod_ratio(a: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """log(a·b/c) for a, b, c > 0, with the product a·b exact: near 1 as log1p((a·b − c)/c)
    (the subtraction exact), so the result is accurate relative to its own size."""
    hi, lo = two_prod(a, b)
    d = ((hi - c) + lo) / c
    near = jnp.abs(d) <= 0.5
    return jnp.where(near, _log1p(jnp.where(near, d, 0.0)), jnp.log(jnp.where(near, 1.0, hi / c)))


# B(d) = phi1p(d) + phi1p(d/2) + Σ_{k≥2} c_k d^k with c_k = (−1)^k ζ(k, 3)/k (Hurwitz ζ).
_B_COEFFS = tuple(float((-1) ** k * _hurwitz_zeta(k, 3.0) / k) for k in range(2, 20))


def _lgamma1p_bregman(d: jax.Array) -> jax.Array:
    """B(d) = lgamma(1 + d) + γ·d = lgamma(1 + d) − lgamma(1) − ψ(1)·d ≥ 0 for d > −1.

    From the exact d, never from a rounded 1 + d. lgamma(1 + d) + γd = Σ_{k≥2} (−1)^k ζ(k) d^k/k;
    splitting ζ(k) = 1 + 2^(−k) + ζ(k, 3) gives B = φ(d) + φ(d/2) + Σ (−1)^k ζ(k, 3) d^k/k with
    φ(x) = x − log1p(x), whose remainder series shrinks like (d/3)^k: used for |d| ≤ 1/4 in
    float64 (16 terms) and |d| ≤ 1 in float32 (18 terms). Outside, lgamma(1 + d) + γd
    directly (relative error below 3e-14 / 2e-6 there).
    """
    is64 = d.dtype == np.float64
    window, terms = (0.25, 16) if is64 else (1.0, 18)
    near = jnp.abs(d) <= window
    ds = jnp.where(near, d, 0.0)
    acc = jnp.full_like(ds, _B_COEFFS[terms - 1])
    for c in reversed(_B_COEFFS[: terms - 1]):
        acc = acc * ds + c
    series = phi1p(ds) + phi1p(0.5 * ds) + ds * ds * acc
    df = jnp.where(near, 1.0, d)
    return jnp.where(near, series, gammaln(1.0 + df) + EULER * df)


# ------------------------------------------------------------------------ same family


@register_kl(Weibull, Weibull, jit=True)
def _kl_weibull_weibull(p, q):
    """KL(p ‖ q) between two Weibull distributions.

    With p = Weibull(λ1, k1), q = Weibull(λ2, k2), r = k2/k1 and L = log(λ1/λ2) the textbook
    form log(k1/k2) − k2·L + γ(r − 1) − 1 + e^(k2·L)·Γ(1 + r) (Bauckhage, 2013) is rewritten
    with u = k2·L + lgamma(1 + r) as

        KL = (e^u − 1 − u) + [lgamma(r) − lgamma(1) − ψ(1)(r − 1)],

    two non-negative terms (``expm1mx`` and the lgamma Bregman divergence at 1), evaluated
    from the exact differences r − 1 = (k2 − k1)/k1 and λ1 − λ2.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.

    References:
        C. Bauckhage, "Computing the Kullback-Leibler divergence between two Weibull
        distributions", arXiv:1310.3713, 2013.
    """
    l1, k1, l2, k2 = pair_params(p, q, ("scale", "concentration"), ("scale", "concentration"))
    d = (k2 - k1) / k1
    breg = _lgamma1p_bregman(d)
    near = jnp.abs(d) <= 0.5
    # lgamma(2 + d) = log1p(d) + lgamma(1 + d), exact in d near 0.
    lg_near = _log1p(jnp.where(near, d, 0.0)) + breg - EULER * d
    lg_far = gammaln(1.0 + jnp.where(near, 2.0, k2 / k1))
    u = k2 * log_quotient(l1, l2) + jnp.where(near, lg_near, lg_far)
    return expm1mx(u) + breg


@register_kl(Pareto, Pareto, jit=True)
def _kl_pareto_pareto(p, q):
    """KL(p ‖ q) between two Pareto distributions.

    For p = Pareto(m1, α1), q = Pareto(m2, α2): +inf where m1 < m2 (p has mass below q's
    support), else KL = (r − 1 − log r) + α2·log(m1/m2) with r = α2/α1, both terms ≥ 0 and
    formed from the exact differences α2 − α1 and m1 − m2.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``; gradient 0 where infinite.
    """
    m1, a1, m2, a2 = pair_params(p, q, ("scale", "alpha"), ("scale", "alpha"))
    inside = m1 >= m2
    kl = phi_quotient_logs(a2, a1) + a2 * log_quotient(m1, jnp.where(inside, m2, m1))
    return jnp.where(inside, kl, jnp.inf)


# ----------------------------------------------------------------------- across families


@register_kl(Weibull, Gamma, jit=True)
def _kl_weibull_gamma(p, q):
    """KL(p ‖ q) from a Weibull to a Gamma distribution (also to Exponential and Chi2).

    For p = Weibull(λ, k), q = Gamma(a, rate b), with s = 1/k and E_p[x] = λΓ(1 + s),
    E_p[log x] = log λ − γs:

        KL = log k − a·log(bλ) + lgamma(a) − 1 + γ(a − k)/k + bλΓ(1 + s)
           = a·(e^L − 1 − L) + F(a, k),   L = log(bλΓ(1 + s)/a),

    where F(a, k) ≥ 0 is the minimum over b. Near the common member (k = 1, a = 1, the
    Exponential) F is written as R(a) + a·B(1/k − 1) − (a − 1)·log k, with
    B(d) = lgamma(1 + d) + γd and R(a) = B(a − 1) − kl_div1p(a − 1) ≥ 0 the Bregman
    divergence of lgamma(x) − x·log x + x at 1 (terms that vanish to second order there;
    used for a < 2); for a ≥ 2 it is μ(a) + a·B(1/k) + log k − ½·log a + ½·log 2π − 1 − γ with μ
    Stirling's remainder, which keeps the a·log a parts of lgamma(a) out. log(bλ/a) is formed
    from the exact product bλ, as log1p((bλ − a)/a) when bλ ≈ a, so L keeps its accuracy
    there however large a is.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    lam, k, a, b = pair_params(p, q, ("scale", "concentration"), ("concentration", "rate"))
    g = (1.0 - k) / k  # 1/k − 1, exact difference near k = 1
    s = 1.0 / k
    pivot_one = a < 2.0
    breg = _lgamma1p_bregman(jnp.where(pivot_one, g, s))
    log_k = log_near1(k)
    # lgamma(1 + s) = lgamma(2 + g) = log1p(g) + lgamma(1 + g), or B(s) − γs.
    lg1s = jnp.where(pivot_one, -log_k + breg - EULER * g, breg - EULER * s)
    big_l = _log_prod_ratio(b, lam, a) + lg1s
    e = a - 1.0
    # lgamma_remainder(1, a) = lgamma(a) − a·log a + a − 1 + γ(a − 1) = B(a − 1) − kl_div1p(a − 1)
    f_one = (_lgamma1p_bregman(e) - kl_div1p(e)) + a * breg - e * log_k
    f_big = gamma_stirling_mu(a) + a * breg + log_k - 0.5 * jnp.log(a) + (HALF_LOG_2PI - 1.0 - EULER)
    return a * expm1mx(big_l) + jnp.where(pivot_one, f_one, f_big)


def _pareto_alpha(alpha: jax.Array, lower: float) -> tuple[jax.Array, jax.Array]:
    """(α > lower, α made safe for the finite branch)."""
    ok = alpha > lower
    return ok, jnp.where(ok, alpha, lower + 1.0)


@register_kl(Pareto, Exponential, jit=True)
def _kl_pareto_exponential(p, q):
    """KL(p ‖ q) from a Pareto to an Exponential distribution.

    For p = Pareto(m, α), q = Exponential(λ): +inf for α ≤ 1 (p has no mean), else
    KL = log(α/(mλ)) − 1 − 1/α + λ·αm/(α − 1) = (w − 1 − log w) + log α + φ(−1/α) with
    w = mλα/(α − 1) and φ(x) = x − log1p(x) (all terms ≥ 0).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``; gradient 0 where infinite.
    """
    m, alpha, lam = pair_params(p, q, ("scale", "alpha"), ("rate",))
    ok, al = _pareto_alpha(alpha, 1.0)
    w = m * lam * (al / (al - 1.0))
    kl = phi_quotient_logs(w, jnp.ones_like(w)) + jnp.log(al) + _phi_neg_recip(al, 1.0)
    return jnp.where(ok, kl, jnp.inf)


@register_kl(Pareto, Gamma, jit=True)
def _kl_pareto_gamma(p, q):
    """KL(p ‖ q) from a Pareto to a Gamma distribution (also to Chi2).

    For p = Pareto(m, α), q = Gamma(a, rate b): +inf for α ≤ 1, else with w = bmα/(α − 1)
    (= b·E_p[x]) and E_p[log x] = log m + 1/α,

        KL = log α − a·log(bm) − a/α + lgamma(a) − 1 + w
           = a·(w/a − 1 − log(w/a)) + μ(a) + a·φ(−1/α) + log α − ½·log a + ½·log 2π − 1,

    μ Stirling's remainder and φ(x) = x − log1p(x); the first three terms are ≥ 0 and the
    a·log a parts of lgamma(a) never appear.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``; gradient 0 where infinite.
    """
    m, alpha, a, b = pair_params(p, q, ("scale", "alpha"), ("concentration", "rate"))
    ok, al = _pareto_alpha(alpha, 1.0)
    w = b * m * (al / (al - 1.0))
    kl = (
        a * phi_quotient_logs(w, a)
        + gamma_stirling_mu(a)
        + a * _phi_neg_recip(al, 1.0)
        + (jnp.log(al) - 0.5 * jnp.log(a))
        + (HALF_LOG_2PI - 1.0)
    )
    return jnp.where(ok, kl, jnp.inf)


@register_kl(Pareto, Normal, jit=True)
def _kl_pareto_normal(p, q):
    """KL(p ‖ q) from a Pareto to a Normal distribution.

    For p = Pareto(m, α), q = Normal(μ, σ): +inf for α ≤ 2 (p has no variance), else with
    p's mean m_p = αm/(α − 1) and variance v_p = m²α/((α − 1)²(α − 2)),

        KL = ½·(ρ − 1 − log ρ) + ½·z² + φ(−1/α) + ½·φ(−2/α) + 1/α + ½·log 2π − ½,

    ρ = v_p/σ², z = (m_p − μ)/σ = ((m − μ) + m/(α − 1))/σ, φ(x) = x − log1p(x); the last
    four terms are the KL from p to the Normal of its own mean and variance, every term is ≥ 0.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``; gradient 0 where infinite.
    """
    m, alpha, mu, sigma = pair_params(p, q, ("scale", "alpha"), ("loc", "scale"))
    ok, al = _pareto_alpha(alpha, 2.0)
    m_am1 = m / (al - 1.0)
    var_p = m_am1 * m_am1 * (al / (al - 2.0))
    z = ((m - mu) + m_am1) / sigma  # (m_p − μ)/σ with m − μ exact when μ ≈ m
    gap = _phi_neg_recip(al, 1.0) + 0.5 * _phi_neg_recip(al, 2.0) + 1.0 / al + C_EXP_NORMAL
    kl = 0.5 * phi_quotient_logs(var_p, sigma * sigma) + 0.5 * z * z + gap
    return jnp.where(ok, kl, jnp.inf)


# --------------------------------------------------------------------- support mismatch


@register_kl(Weibull, Beta, jit=True)
@register_kl(Weibull, ContinuousBernoulli, jit=True)
@register_kl(Weibull, Uniform, jit=True)
@register_kl(Weibull, Pareto, jit=True)
@register_kl(Pareto, Beta, jit=True)
@register_kl(Pareto, ContinuousBernoulli, jit=True)
@register_kl(Pareto, Uniform, jit=True)
def _kl_positive_infinity(p, q):
    """KL(p ‖ q) = +inf: p puts mass outside q's support.

    Weibull lives on (0, ∞) and Pareto on [m, ∞); q on a bounded interval (Beta,
    ContinuousBernoulli, Uniform), or on [m, ∞) with m > 0 (Pareto, for a Weibull p).

    Returns:
        +inf of shape ``broadcast(p.batch_shape, q.batch_shape)``, gradient 0.
    """
    return infinite_kl(p, q)
