"""Closed-form KL(p ‖ q) for p an Exponential: q ∈ {Exponential, Gamma, Gumbel, Normal}.

Exponential ‖ Gamma is the Gamma formula; the method is that of ``gamma_kl``.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._math import log_prod
from .._special import expm1mx, phi1p, phi_quotient
from ..registry import register_kl
from ._kl_common import C_EXP_NORMAL, pair_params
from .exponential import Exponential
from .gamma import Gamma
from .gamma_kl import gamma_normal, gumbel_exponent, kl_gamma_gamma
from .gumbel import Gumbel
from .normal import Normal


@register_kl(Exponential, Exponential, jit=True)
def _kl_exponential_exponential(p, q):
    """KL(p ‖ q) between two Exponential distributions.

    KL = r − 1 − log r with r = λq/λp, evaluated as ``phi1p((λq − λp)/λp)`` (the difference
    exact near p = q), or from log λq − log λp when r is far from 1.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    lp, lq = pair_params(p, q, ("rate",), ("rate",))
    return phi_quotient(lq, lp)


@register_kl(Exponential, Gumbel, jit=True)
def _kl_exponential_gumbel(p, q):
    """KL(p ‖ q) from an Exponential to a Gumbel distribution.

    The Gamma ‖ Gumbel form with a = 1: with t = 1/(λβ),
    KL = log(λβ) + (t − log1p(t)) + (e^x − 1 − x), x = μ/β − log1p(t) = (λμ − 1)/(λβ) + φ(t)
    with φ(t) = t − log1p(t) and λ·μ formed exactly. The first two terms
    add up to at least 0.17 (at t = golden ratio), so they need no further splitting.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    lam, mu, beta = pair_params(p, q, ("rate",), ("loc", "scale"))
    t = 1.0 / (lam * beta)
    return log_prod(lam, beta) + phi1p(t) + expm1mx(gumbel_exponent(jnp.ones_like(lam), lam, mu, beta, t))


@register_kl(Exponential, Normal, jit=True)
def _kl_exponential_normal(p, q):
    """KL(p ‖ q) from an Exponential to a Normal distribution.

    The Gamma ‖ Normal form with a = 1: KL = (½·log 2π − ½) + ½·(ρ − 1 − log ρ) + ½·z²,
    ρ = 1/(λσ)², z = (1 − λμ)/(λσ).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    lam, mu, sigma = pair_params(p, q, ("rate",), ("loc", "scale"))
    return gamma_normal(jnp.ones_like(lam), lam, mu, sigma, C_EXP_NORMAL)


register_kl(Exponential, Gamma, jit=True)(kl_gamma_gamma)
