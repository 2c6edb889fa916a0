"""Closed-form KL(p ‖ q) for p a Poisson: q ∈ {Poisson, Bernoulli (+inf unless the rate is 0),
Binomial (+inf unless the rate is 0)}.

The method is that of ``bernoulli_kl``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._math import safe_log, xmul
from ..registry import register_kl
from ._kl_common import cast_all, kl_term, pair_dtype
from .bernoulli import Bernoulli
from .binomial import Binomial
from .poisson import Poisson


def _poisson_rates(p, q, dt):
    return cast_all(dt, *jnp.broadcast_arrays(p.broadcast_params("rate")[0], q.broadcast_params("rate")[0]))


@register_kl(Poisson, Poisson, jit=True)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> jax.Array:
    """KL(p ‖ q) between two Poisson distributions.

    KL = λp·log(λp/λq) − λp + λq = λq·kl_div1p((λp − λq)/λq), with λp − λq exact when the
    rates are close; for rates far apart the log form, so rates from 1e-30 to 1e30 need
    no overflow. λp = 0 gives λq; λq = 0 < λp gives +inf.
    """
    lp, lq = _poisson_rates(p, q, pair_dtype(p, q))
    zp, zq = lp == 0, lq == 0
    r = safe_log(jnp.where(zp | zq, 1.0, lp)) - safe_log(jnp.where(zp | zq, 1.0, lq))
    return kl_term(lp, lq, lp - lq, r, zp, zq)


@register_kl(Poisson, Bernoulli, jit=True)
def _kl_poisson_bernoulli(p: Poisson, q: Bernoulli) -> jax.Array:
    """KL(p ‖ q) from a Poisson to a Bernoulli distribution.

    +inf for λ > 0 (p puts mass on every count ≥ 2); for λ = 0, p is the point mass at 0
    and KL = −log(1 − q).
    """
    dt = pair_dtype(p, q)
    (lam,) = cast_all(dt, p.broadcast_params("rate")[0])
    lq0 = q.probability_parts()[3].astype(dt)
    return jnp.where(lam > 0, jnp.inf, -lq0 + jnp.zeros_like(lam))


@register_kl(Poisson, Binomial, jit=True)
def _kl_poisson_binomial(p: Poisson, q: Binomial) -> jax.Array:
    """KL(p ‖ q) from a Poisson to a Binomial distribution.

    +inf for λ > 0 (p puts mass on counts above q's total count); for λ = 0, p is the
    point mass at 0 and KL = −n·log(1 − q).
    """
    dt = pair_dtype(p, q)
    (lam,) = cast_all(dt, p.broadcast_params("rate")[0])
    (n,) = cast_all(dt, q.broadcast_params("total_count")[0])
    lq0 = q.probability_parts()[3].astype(dt)
    return jnp.where(lam > 0, jnp.inf, -xmul(n, lq0) + jnp.zeros_like(lam))
