"""Closed-form KL(p ‖ q) for p a Geometric: q ∈ {Geometric}.

The method is that of ``bernoulli_kl``.
"""

from __future__ import annotations

import jax

from ..registry import register_kl
from .bernoulli_kl import bernoulli_params_kl
from .geometric import Geometric


@register_kl(Geometric, Geometric, jit=True)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> jax.Array:
    """KL(p ‖ q) between two Geometric distributions (failures before the first success).

    KL = log(p/q) + ((1 − p)/p)·log((1 − p)/(1 − q)) = KL(Bernoulli(p) ‖ Bernoulli(q)) / p:
    the Geometric family is the Bernoulli one observed until the first success, and the
    expected number of trials is 1/p. The Bernoulli KL is computed accurately (see the
    Bernoulli pair). q = 1 > p gives +inf.
    """
    return bernoulli_params_kl(p, q, per_success=True)
