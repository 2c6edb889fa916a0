"""Closed-form KL(p ‖ q) for p a Multinomial: q ∈ {Multinomial}.

``total_count`` times the Categorical KL of the probabilities; event-size mismatches are
trace-time ``ValueError``s naming both shapes.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..registry import register_kl
from .categorical_kl import categorical_params_kl
from .multinomial import Multinomial


@register_kl(Multinomial, Multinomial, jit=True)
def _kl_multinomial_multinomial(p: Multinomial, q: Multinomial) -> jax.Array:
    """KL(p ‖ q) between two Multinomial distributions.

    With equal total counts n: n·KL(Categorical(p) ‖ Categorical(q)), the Categorical KL
    computed as in the Categorical pair (Σ_k q_k·kl_div1p(p_k/q_k − 1) from exact
    differences of the probabilities, or of the logits), so it keeps relative accuracy near
    p = q. With different total counts the supports (count vectors summing to n_p and to
    n_q) are disjoint: +inf. (Unlike Binomial, whose success counts of n_p < n_q trials lie
    in the support of q, a Multinomial records every draw.) n = 0 on both sides gives 0.

    Args:
        p, q: Multinomial distributions with the same number of categories K.

    Returns:
        The KL, shape the broadcast batch shape, compute dtype.

    Raises:
        ValueError: the numbers of categories differ (at trace time, naming both shapes).
    """
    kl_cat = categorical_params_kl(p, q, "KL(Multinomial ‖ Multinomial)")
    dt = kl_cat.dtype
    n_p, n_q = p.broadcast_params("total_count")[0].astype(dt), q.broadcast_params("total_count")[0].astype(dt)
    n_p, n_q, kl_cat = jnp.broadcast_arrays(n_p, n_q, kl_cat)
    same = n_p == n_q
    # n = 0 is the point mass at the zero vector whatever the probabilities (also where kl_cat = inf)
    live = same & (n_p > 0)
    return jnp.where(live, n_p * jnp.where(live, kl_cat, 0.0), jnp.where(same, 0.0, jnp.inf))
