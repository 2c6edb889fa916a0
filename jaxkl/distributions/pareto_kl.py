"""Closed-form KL(p ‖ q) for p a Pareto: q ∈ {Pareto (+inf where p.scale < q.scale),
Exponential, Gamma (and Chi2), Normal}.

The cross-family pairs are +inf where p lacks the moment that the log-density of q needs
(α ≤ 1, or α ≤ 2 for the Normal); against a bounded q (Beta, ContinuousBernoulli, Uniform)
the result is +inf. The method is that of ``weibull_kl``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._math import HALF_LOG_2PI, log_quotient
from .._special import gamma_stirling_mu, phi1p, phi_quotient
from ..registry import register_kl
from ._kl_common import C_EXP_NORMAL, infinite_kl, pair_params
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .exponential import Exponential
from .gamma import Gamma
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform


def _phi_neg_recip(alpha: jax.Array, c: float) -> jax.Array:
    """phi1p(−c/α) = −c/α − log(1 − c/α) ≥ 0 for α > c; log((α − c)/α) with α − c exact when α < 2c."""
    y = c / alpha
    near = y <= 0.5
    far = -y - jnp.log(jnp.where(near, 1.0, (alpha - c) / alpha))
    return jnp.where(near, phi1p(-jnp.where(near, y, 0.0)), far)


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
    kl = phi_quotient(a2, a1) + a2 * log_quotient(m1, jnp.where(inside, m2, m1))
    return jnp.where(inside, kl, jnp.inf)


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
    kl = phi_quotient(w, jnp.ones_like(w)) + jnp.log(al) + _phi_neg_recip(al, 1.0)
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
        a * phi_quotient(w, a)
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
    kl = 0.5 * phi_quotient(var_p, sigma * sigma) + 0.5 * z * z + gap
    return jnp.where(ok, kl, jnp.inf)


# +inf: a Pareto puts mass on all of [m, ∞); each of these q lives on a bounded interval.
for _q in (Beta, ContinuousBernoulli, Uniform):
    register_kl(Pareto, _q, jit=True)(infinite_kl)
