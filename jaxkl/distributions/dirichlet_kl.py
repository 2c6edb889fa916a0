"""Closed-form KL(p ‖ q) for p a Dirichlet: q ∈ {Dirichlet, Beta (two categories)}. Each is
written as a sum of non-negative terms computed from exactly rounded differences (see
``jaxkl._special``), so the result keeps relative accuracy when p and q are close and at
large concentrations or degrees of freedom. Event-size mismatches are trace-time
``ValueError``s naming both shapes. Results have the broadcast batch shape of p and q and
their compute dtype (float32 for bfloat16/float16 parameters)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import checks
from .._math import compute_dtype
from .._special import beta_kl, log_beta_bregman
from ..registry import register_kl
from .beta import Beta
from .dirichlet import Dirichlet


def concentrations(a: jax.Array, b: jax.Array, fn: str, names=("p", "q")) -> tuple[jax.Array, jax.Array]:
    """Two concentration arrays ``[..., K]`` in one compute dtype, batch-broadcast, after the
    event-size check."""
    checks.assert_same_event_size(fn, a, b, -1, names)
    dt = compute_dtype(a.dtype, b.dtype)
    shape = jnp.broadcast_shapes(a.shape, b.shape)
    return jnp.broadcast_to(a.astype(dt), shape), jnp.broadcast_to(b.astype(dt), shape)


def beta_vector(d: Beta) -> jax.Array:
    """Beta(a, b) as the Dirichlet concentration [a, b] (X ↔ (X, 1 − X))."""
    a, b = d.broadcast_params("concentration1", "concentration0")
    return jnp.stack([a, b], axis=-1)


@register_kl(Dirichlet, Dirichlet, jit=True, cpu_chunked=True)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> jax.Array:
    """KL(p ‖ q) between two Dirichlet distributions.

    KL = log B(β) − log B(α) + Σ_i (α_i − β_i)(ψ(α_i) − ψ(S_α)), α, β the concentrations of
    p and q, S_α = Σ α_i: the Bregman divergence of the log-partition
    A(α) = Σ lgamma(α_i) − lgamma(S_α). It is evaluated by ``log_beta_bregman`` as
    S_β·KL(β/S_β ‖ α/S_α) (between the normalized concentrations, term by term, each
    β_i·(w_i − 1 − log w_i) ≥ 0) + Σ_i R(α_i, β_i) − R(S_α, S_β), R = ``lgamma_remainder``, from the exact
    differences β_i − α_i: relative accuracy near p = q and for concentrations up to 1e6.

    Args:
        p, q: Dirichlet distributions with the same number of categories K.

    Returns:
        The KL, shape the broadcast batch shape, compute dtype.

    Raises:
        ValueError: the numbers of categories differ (at trace time, naming both shapes).

    Examples:
        >>> import jaxkl
        >>> from jaxkl.distributions import Dirichlet
        >>> round(float(jaxkl.kl_divergence(Dirichlet([1.0, 2.0, 3.0]), Dirichlet([2.0, 2.0, 2.0]))), 4)
        0.8069
    """
    a, b = concentrations(p.concentration, q.concentration, "KL(Dirichlet ‖ Dirichlet)")
    return log_beta_bregman(a, b)


@register_kl(Dirichlet, Beta, jit=True)
def _kl_dirichlet_beta(p: Dirichlet, q: Beta) -> jax.Array:
    """KL(p ‖ q) from a Dirichlet over two categories to Beta(a, b).

    Dirichlet([α1, α2]) is the law of (X, 1 − X) with X ~ Beta(α1, α2), so the KL is
    ``log_beta_bregman(α, [a, b])`` (``beta_kl``).

    Raises:
        ValueError: p does not have exactly two categories (at trace time, naming both shapes).
    """
    a, b = concentrations(p.concentration, beta_vector(q), "KL(Dirichlet ‖ Beta)", ("p", "q [a, b]"))
    return beta_kl(a[..., 0], a[..., 1], b[..., 0], b[..., 1])
