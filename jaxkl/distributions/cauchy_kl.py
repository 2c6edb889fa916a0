"""Closed-form KL(p ‖ q) for p a Cauchy: q ∈ {Cauchy}.

Cauchy puts mass on the whole real line, so KL(p ‖ q) is +inf for every q of the registered
half-line and interval families (zero gradients).

The method is that of ``normal_kl``.
"""

from __future__ import annotations

import jax.numpy as jnp

from .._math import log1p
from ..registry import register_kl
from ._kl_common import HALF_LINE_OR_INTERVAL, infinite_kl
from .cauchy import Cauchy


@register_kl(Cauchy, Cauchy, jit=True)
def _kl_cauchy_cauchy(p, q):
    """KL(p ‖ q) between two Cauchy distributions.

    KL = log((γp + γq)² + (x₀p − x₀q)²) − log(4γpγq)
       = log1p(((γp − γq)² + (x₀p − x₀q)²) / (4γpγq)),
    the second form free of cancellation when p ≈ q (both differences exact); it is
    symmetric in p and q.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.

    References:
        Chyzak, Nielsen, "A closed-form formula for the Kullback-Leibler divergence
        between Cauchy distributions", 2019.
    """
    mp, sp = p.broadcast_params("loc", "scale")
    mq, sq = q.broadcast_params("loc", "scale")
    g = 2.0 * jnp.sqrt(sp) * jnp.sqrt(sq)
    h = (sp - sq) / g
    m = (mp - mq) / g
    return log1p(h * h + m * m)


# +inf: Cauchy puts mass on the whole real line, each of these q on a half-line or an interval.
for _q in HALF_LINE_OR_INTERVAL:
    register_kl(Cauchy, _q, jit=True)(infinite_kl)
