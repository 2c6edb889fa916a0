"""Helpers shared by the pair modules: parameters in a common dtype and shape, +inf of the
batch shape, and small formula pieces used by pairs of several families."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._math import HALF_LOG_2PI, compute_dtype
from .._special import phi_quotient

__all__ = ["C_EXP_NORMAL", "common", "infinite_kl", "normal_kl_moments", "pair_params"]

# c(1) = KL(Exponential ‖ Normal of the same mean and variance) = ½·log 2π − ½.
C_EXP_NORMAL = HALF_LOG_2PI - 0.5


def common(*arrays: jax.Array) -> list[jax.Array]:
    """The arrays in their common compute dtype, broadcast to a common shape."""
    dt = compute_dtype(*(jnp.asarray(a).dtype for a in arrays))
    return list(jnp.broadcast_arrays(*(jnp.asarray(a, dt) for a in arrays)))


def pair_params(p, q, p_names, q_names) -> list[jax.Array]:
    """The named parameters of p and q in their common compute dtype, broadcast together."""
    dt = compute_dtype(p.dtype, q.dtype)
    shape = jnp.broadcast_shapes(p.batch_shape, q.batch_shape)
    return [
        jnp.broadcast_to(v.astype(dt), shape) for v in (*p.broadcast_params(*p_names), *q.broadcast_params(*q_names))
    ]


def infinite_kl(p, q) -> jax.Array:
    """+inf of the broadcast batch shape of p and q (gradient 0 with respect to both)."""
    shape = jnp.broadcast_shapes(p.batch_shape, q.batch_shape)
    return jnp.full(shape, jnp.inf, compute_dtype(p.dtype, q.dtype))


def normal_kl_moments(m: jax.Array, v: jax.Array, loc: jax.Array, scale: jax.Array) -> jax.Array:
    """KL(N(m, v) ‖ N(loc, scale²)) = ½·(v/σ² − 1 − log(v/σ²)) + ½·((m − loc)/σ)², both ≥ 0."""
    z = (m - loc) / scale
    return 0.5 * phi_quotient(v, scale * scale) + 0.5 * z * z
