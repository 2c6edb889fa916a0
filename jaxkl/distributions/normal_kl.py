"""Closed-form KL(p ‖ q) for p a Normal: q ∈ {Normal, Gumbel, Laplace}.

Normal puts mass on the whole real line, so KL(p ‖ q) is +inf for every q of the registered
half-line and interval families (zero gradients).

Every finite formula is written as a sum of non-negative terms, each computed from exactly
rounded differences (p.loc − q.loc and p.scale − q.scale are exact when p ≈ q), so the
result keeps relative accuracy when p and q are close, where the textbook forms cancel
to nothing, and over scales from 1e-4 to 1e4. Results have the broadcast batch shape of
p and q and their compute dtype (float32 for bfloat16/float16 parameters).
"""

from __future__ import annotations

import math

import jax.numpy as jnp
from jax.scipy.special import erf

from .._math import HALF_LOG_2PI
from .._special import expm1mx, phi_quotient
from ..registry import register_kl
from ._kl_common import HALF_LINE_OR_INTERVAL, infinite_kl
from .gumbel import Gumbel
from .laplace import Laplace
from .normal import Normal

# sqrt(2/π): the mean absolute deviation of a standard normal.
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


# Minimum over q of KL(Normal ‖ Laplace q): log(2/π) + 1/2.
_C_NORMAL_LAPLACE = math.log(2.0 / math.pi) + 0.5


# Minimum over q of KL(Normal ‖ Gumbel q): 1 − log(2π)/2.
_C_NORMAL_GUMBEL = 1.0 - HALF_LOG_2PI


def normal_params_kl(mp, sp, mq, sq):
    """KL(N(mp, sp²) ‖ N(mq, sq²)) = ½v² + (r − 1 − log r) + ½z², r = 1 + v = sp/sq, z = Δμ/sq.

    The middle term is ``phi_quotient(sp, sq, v)``: a few ulp relative as r → 1 and for scale
    ratios beyond the float range. No ``log`` call: this is the hot path of every Gaussian KL.
    """
    inv = 1.0 / sq
    v = (sp - sq) * inv
    z = (mp - mq) * inv
    return 0.5 * (v * v + z * z) + phi_quotient(sp, sq, v)


@register_kl(Normal, Normal, jit=True)
def _kl_normal_normal(p, q):
    """KL(p ‖ q) between two Normal distributions.

    KL = log(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½, evaluated as
    ½v² + (v − log1p(v)) + ½((μp − μq)/σq)² with v = (σp − σq)/σq (every term ≥ 0; the
    middle one is ``phi1p(v)``, or r − 1 − log r from r = σp/σq directly when r is far
    from 1).

    Args:
        p, q: ``Normal`` distributions with broadcastable batch shapes.

    Returns:
        The KL divergence, shape ``broadcast(p.batch_shape, q.batch_shape)``.

    Examples:
        >>> import jaxkl
        >>> from jaxkl.distributions import Normal
        >>> round(float(jaxkl.kl_divergence(Normal(0.0, 1.0), Normal(1.0, 2.0))), 4)
        0.4431
    """
    mp, sp = p.broadcast_params("loc", "scale")
    mq, sq = q.broadcast_params("loc", "scale")
    return normal_params_kl(mp, sp, mq, sq)


@register_kl(Normal, Laplace, jit=True)
def _kl_normal_laplace(p, q):
    """KL(p ‖ q) from a Normal p to a Laplace q.

    KL = log(2b/σ) − ½log(2πe) + E|X − m|/b with E|X − m| = σ·c·e^(−z²/2) + (μ − m)·erf(z/√2),
    z = (μ − m)/σ, c = √(2/π). With w = cσ/b this is
        KL = (w − 1 − log w) + w·g(z) + log(2/π) + ½,
    g(z) = e^(−z²/2) − 1 + z·erf(z/√2)/c ≥ 0 (convex, g(0) = 0, g ≈ z²/2): non-negative
    terms plus the positive minimum log(2/π) + ½ ≈ 0.048.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    mp, sp = p.broadcast_params("loc", "scale")
    mq, bq = q.broadcast_params("loc", "scale")
    cs = _SQRT_2_OVER_PI * sp
    z = (mp - mq) / sp
    g = jnp.expm1(-0.5 * z * z) + z * erf(z * (1.0 / math.sqrt(2.0))) * (1.0 / _SQRT_2_OVER_PI)
    return phi_quotient(cs, bq) + (cs / bq) * g + _C_NORMAL_LAPLACE


@register_kl(Normal, Gumbel, jit=True)
def _kl_normal_gumbel(p, q):
    """KL(p ‖ q) from a Normal p to a Gumbel q.

    KL = log(β/σ) − ½log(2πe) + a + exp(s²/2 − a) with s = σ/β, a = (μ − m)/β. With
    x = s²/2 − a and v = (σ − β)/β this is
        KL = expm1mx(x) + ½v² + (v − log1p(v)) + 1 − ½log(2π),
    non-negative terms plus the positive minimum 1 − ½log(2π) ≈ 0.081.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``; +inf where exp(x) overflows.
    """
    mp, sp = p.broadcast_params("loc", "scale")
    mq, bq = q.broadcast_params("loc", "scale")
    s = sp / bq
    v = (sp - bq) / bq
    a = (mp - mq) / bq
    return expm1mx(0.5 * s * s - a) + 0.5 * v * v + phi_quotient(sp, bq, v) + _C_NORMAL_GUMBEL


# +inf: Normal puts mass on the whole real line, each of these q on a half-line or an interval.
for _q in HALF_LINE_OR_INTERVAL:
    register_kl(Normal, _q, jit=True)(infinite_kl)
