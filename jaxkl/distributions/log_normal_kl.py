"""Closed-form KL(p ‖ q) for p a LogNormal: q ∈ {LogNormal}.

The method is that of ``normal_kl``.
"""

from __future__ import annotations

from ..registry import register_kl
from .log_normal import LogNormal
from .normal_kl import normal_params_kl


@register_kl(LogNormal, LogNormal, jit=True)
def _kl_lognormal_lognormal(p, q):
    """KL(p ‖ q) between two LogNormal distributions.

    KL is invariant under the map x ↦ log x, so it equals the Normal KL of the
    log-parameters: ½v² + (v − log1p(v)) + ½((μp − μq)/σq)², v = (σp − σq)/σq.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    mp, sp = p.broadcast_params("loc", "scale")
    mq, sq = q.broadcast_params("loc", "scale")
    return normal_params_kl(mp, sp, mq, sq)
