"""Closed-form KL(p ‖ q) for p a MultivariateNormalDiag: q ∈ {MultivariateNormalDiag,
MultivariateNormal, LowRankMultivariateNormal, Independent(Normal, 1)}.

The formulas are in ``multivariate_normal_kl``.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._math import promoted_dtype
from ..registry import register_kl
from .independent import Independent
from .independent_kl import kl_mvn_independent
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .low_rank_multivariate_normal_kl import kl_lowrank
from .multivariate_normal import MultivariateNormal
from .multivariate_normal_diag import MultivariateNormalDiag
from .multivariate_normal_kl import check_same_event, kl_mvn_structured
from .normal_kl import normal_params_kl


@register_kl(MultivariateNormalDiag, MultivariateNormalDiag, jit=True)
def _kl_diag_diag(p, q):
    """KL(p ‖ q) between two MultivariateNormalDiag: the sum over the event axis of the
    univariate Normal KL ½v² + φ(v) + ½((μp − μq)/σq)², v = (σp − σq)/σq.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    check_same_event(p, q)
    dt = promoted_dtype(p.dtype, q.dtype)
    mp_, sp = (a.astype(dt) for a in p.broadcast_params("loc", "scale_diag"))
    mq_, sq = (a.astype(dt) for a in q.broadcast_params("loc", "scale_diag"))
    return jnp.sum(normal_params_kl(mp_, sp, mq_, sq), -1)


register_kl(MultivariateNormalDiag, MultivariateNormal, jit=True)(kl_mvn_structured)
register_kl(MultivariateNormalDiag, LowRankMultivariateNormal, jit=True)(kl_lowrank)

register_kl(MultivariateNormalDiag, Independent, jit=True)(kl_mvn_independent)
