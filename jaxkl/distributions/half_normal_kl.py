"""Closed-form KL(p ‖ q) for p a HalfNormal: q ∈ {HalfNormal}.

The method is that of ``normal_kl``.
"""

from __future__ import annotations

from .._special import phi_quotient
from ..registry import register_kl
from .half_normal import HalfNormal


@register_kl(HalfNormal, HalfNormal, jit=True)
def _kl_halfnormal_halfnormal(p, q):
    """KL(p ‖ q) between two HalfNormal distributions.

    Folding both at 0 does not change the log density ratio, so KL equals the Normal KL
    with equal locations: log(σq/σp) + σp²/(2σq²) − ½ = ½v² + (v − log1p(v)),
    v = (σp − σq)/σq.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    (sp,) = p.broadcast_params("scale")
    (sq,) = q.broadcast_params("scale")
    v = (sp - sq) / sq
    return 0.5 * v * v + phi_quotient(sp, sq, v)
