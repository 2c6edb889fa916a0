"""Closed-form KL(p ‖ q) for p a Laplace: q ∈ {Laplace, Normal}.

Laplace puts mass on the whole real line, so KL(p ‖ q) is +inf for every q of the registered
half-line and interval families (zero gradients).

The method is that of ``normal_kl``.
"""

from __future__ import annotations

import math

import jax.numpy as jnp

from .._math import LOG_PI
from .._special import expm1mx, phi_quotient
from ..registry import register_kl
from ._kl_common import HALF_LINE_OR_INTERVAL, infinite_kl
from .laplace import Laplace
from .normal import Normal

# Minimum over q of KL(Laplace ‖ Normal q): (log π − 1)/2.
_C_LAPLACE_NORMAL = 0.5 * (LOG_PI - 1.0)


@register_kl(Laplace, Laplace, jit=True)
def _kl_laplace_laplace(p, q):
    """KL(p ‖ q) between two Laplace distributions.

    KL = log(bq/bp) + |μp − μq|/bq + (bp/bq)·exp(−|μp − μq|/bp) − 1, evaluated with
    r = bp/bq and t = |μp − μq|/bp as r·(e^(−t) − 1 + t) + (r − 1 − log r): two
    non-negative terms (``expm1mx(−t)`` and ``phi1p(r − 1)``).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    mp, bp = p.broadcast_params("loc", "scale")
    mq, bq = q.broadcast_params("loc", "scale")
    t = jnp.abs(mp - mq) / bp
    return (bp / bq) * expm1mx(-t) + phi_quotient(bp, bq)


@register_kl(Laplace, Normal, jit=True)
def _kl_laplace_normal(p, q):
    """KL(p ‖ q) from a Laplace p to a Normal q.

    KL = ½log(2πσ²) − log(2b) − 1 + (2b² + (μ − m)²)/(2σ²). With v = (√2·b − σ)/σ this is
        KL = ½v² + (v − log1p(v)) + ½((μ − m)/σ)² + (log π − 1)/2,
    non-negative terms plus the positive minimum (log π − 1)/2 ≈ 0.072.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    mp, bp = p.broadcast_params("loc", "scale")
    mq, sq = q.broadcast_params("loc", "scale")
    b2 = math.sqrt(2.0) * bp
    v = (b2 - sq) / sq
    z = (mp - mq) / sq
    return 0.5 * (v * v + z * z) + phi_quotient(b2, sq, v) + _C_LAPLACE_NORMAL


# +inf: Laplace puts mass on the whole real line, each of these q on a half-line or an interval.
for _q in HALF_LINE_OR_INTERVAL:
    register_kl(Laplace, _q, jit=True)(infinite_kl)
