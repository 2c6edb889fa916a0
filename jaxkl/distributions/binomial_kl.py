"""Closed-form KL(p ‖ q) for p a Binomial: q ∈ {Binomial}.

The method is that of ``bernoulli_kl``; counts must be equal (checked eagerly on concrete
counts, so the pair is registered without ``jit``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln

from .._math import xmul
from ..registry import register_kl
from ._kl_common import cast_all, pair_dtype
from .bernoulli_kl import bernoulli_params_kl
from .binomial import Binomial


def _is_concrete(*arrays) -> bool:
    return not any(isinstance(a, jax.core.Tracer) for a in arrays)


# Not jit=True: with concrete total counts it raises eagerly where no closed form exists.
@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> jax.Array:
    """KL(p ‖ q) between two Binomial distributions.

    With equal total counts n: n·KL(Bernoulli(p) ‖ Bernoulli(q)), accurate as the
    Bernoulli pair. With n_p > n_q, p puts mass on counts q cannot reach: +inf (unless
    p's success probability is 0, when p is the point mass at 0 and KL = −n_q·log(1 − q)).
    With n_p < n_q the KL is finite but has no closed form (E_p[log((n_q − k)!/(n_p − k)!)]
    remains); it is given where p is a point mass (success probability 0 or 1:
    −log Q(0) or −log Q(n_p)) and NaN elsewhere; eagerly (concrete parameters) a NaN of
    that kind raises instead.

    Raises:
        NotImplementedError: eagerly, where n_p < n_q and p is not a point mass; estimate
            such pairs with ``jaxkl.monte_carlo_kl``.
    """
    dt = pair_dtype(p, q)
    n_p, n_q = cast_all(dt, p.broadcast_params("total_count")[0], q.broadcast_params("total_count")[0])
    n_p, n_q = jnp.broadcast_arrays(n_p, n_q)
    _, _, lp1, lp0 = cast_all(dt, *p.probability_parts())
    _, _, lq1, lq0 = cast_all(dt, *q.probability_parts())
    same = n_p == n_q
    kl_same = jnp.where(n_p == 0, 0.0, bernoulli_params_kl(p, q, weight=jnp.where(same, n_p, 1.0)))
    p_zero, p_one = lp1 == -jnp.inf, lp0 == -jnp.inf
    # p = point mass at 0: −log Q(0) = −n_q·log(1 − q).
    kl_at0 = -xmul(n_q, lq0)
    # p = point mass at n_p ≤ n_q: −log Q(n_p).
    fits = n_p <= n_q
    k = jnp.where(fits, n_p, 0.0)
    log_comb = gammaln(n_q + 1.0) - gammaln(k + 1.0) - gammaln(n_q - k + 1.0)
    kl_atn = -(log_comb + xmul(k, lq1) + xmul(n_q - k, lq0))
    kl_over = jnp.where(p_zero, kl_at0, jnp.inf)
    kl_under = jnp.where(p_zero, kl_at0, jnp.where(p_one, kl_atn, jnp.nan))
    out = jnp.where(same, kl_same, jnp.where(n_p > n_q, kl_over, kl_under))
    if _is_concrete(out) and bool(jnp.any(jnp.isnan(out) & (n_p < n_q))):
        raise NotImplementedError(
            "KL(Binomial ‖ Binomial) with p.total_count < q.total_count has no closed form; "
            "estimate it with jaxkl.monte_carlo_kl(p, q, key=..., num_samples=...)"
        )
    return out
