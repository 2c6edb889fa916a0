"""Closed-form KL(p ‖ q) for p a HalfCauchy: q ∈ {HalfCauchy}.

The method is that of ``normal_kl``.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._math import log1p
from ..registry import register_kl
from .half_cauchy import HalfCauchy


@register_kl(HalfCauchy, HalfCauchy, jit=True)
def _kl_halfcauchy_halfcauchy(p, q):
    """KL(p ‖ q) between two HalfCauchy distributions.

    The log density ratio log(γq/γp) + log(1 + x²/γq²) − log(1 + x²/γp²) is even in x, so
    its mean under the half-Cauchy equals that under Cauchy(0, γp): the Cauchy formula
    with equal locations, KL = 2·log((γp + γq)/(2√(γpγq))) = log1p((γp − γq)²/(4γpγq)).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    (sp,) = p.broadcast_params("scale")
    (sq,) = q.broadcast_params("scale")
    h = (sp - sq) / (2.0 * jnp.sqrt(sp) * jnp.sqrt(sq))
    return log1p(h * h)
