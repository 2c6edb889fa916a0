"""Closed-form KL divergences from a point mass: Delta ‖ anything, Delta ‖ Delta.

Examples:
    A point mass at 1 against N(0, 1) gives −log q(1) = ½ + ½·log 2π
    (``-scipy.stats.norm.logpdf(1.0)`` = 1.4189385); two point masses are 0 apart at the
    same point and +inf apart elsewhere:

    >>> import jaxkl
    >>> from jaxkl.distributions import Delta, Normal
    >>> round(float(jaxkl.kl_divergence(Delta(1.0), Normal(0.0, 1.0))), 6)
    1.418939
    >>> float(jaxkl.kl_divergence(Delta(1.0), Delta(1.0))), float(jaxkl.kl_divergence(Delta(1.0), Delta(2.0)))
    (0.0, inf)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..registry import register_kl
from ._base import Distribution
from ._kl_common import pair_dtype
from .delta import Delta


def _check_event_shapes(p: Delta, q: Distribution, fn: str) -> None:
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError(
            f"{fn}: event shapes differ: `p` ({type(p).__name__}) has event shape {tuple(p.event_shape)}, "
            f"`q` ({type(q).__name__}) has event shape {tuple(q.event_shape)}"
        )


@register_kl(Delta, Distribution, jit=True)
def _kl_delta_distribution(p: Delta, q: Distribution) -> jax.Array:
    """KL(p ‖ q) from a point mass p = Delta(v, log_density) to any distribution q.

    KL = E_p[log p(X) − log q(X)] = log_density − q.log_prob(v), numpyro's convention. For
    a discrete q (and the default log_density = 0) this is exactly −log q(v): +inf where
    v is outside q's support. For a continuous q a point mass has no density, and the
    true KL is +inf; the value returned is the standard surrogate −log q(v) + log_density
    that treats the point as carrying density exp(log_density) (the cross-entropy term
    of a MAP/``AutoDelta`` guide), which is what a variational objective needs and is
    differentiable in v and in q's parameters.

    Raises:
        ValueError: the event shapes of p and q differ.
    """
    _check_event_shapes(p, q, "KL(Delta ‖ Distribution)")
    dt = pair_dtype(p, q)
    (ld,) = p.broadcast_params("log_density")
    (v,) = p.broadcast_params("v")
    return ld.astype(dt) - q.log_prob(v.astype(dt)).astype(dt)


@register_kl(Delta, Delta, jit=True)
def _kl_delta_delta(p: Delta, q: Delta) -> jax.Array:
    """KL(p ‖ q) between two point masses: 0 where they sit at the same point, +inf elsewhere.

    The log-densities do not enter: identical point masses are the same distribution.

    Raises:
        ValueError: the event shapes of p and q differ.
    """
    _check_event_shapes(p, q, "KL(Delta ‖ Delta)")
    dt = pair_dtype(p, q)
    (vp,) = p.broadcast_params("v")
    (vq,) = q.broadcast_params("v")
    same = vp.astype(dt) == vq.astype(dt)
    if p.event_dim:
        same = jnp.all(same, axis=tuple(range(-p.event_dim, 0)))
    return jnp.where(same, 0.0, jnp.inf).astype(dt)
