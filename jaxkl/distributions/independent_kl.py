"""Closed-form KL(p ‖ q) for p an Independent: q ∈ {Independent, MultivariateNormal,
LowRankMultivariateNormal, MultivariateNormalDiag}.

Independent ‖ Independent sums the base KL over the reinterpreted axes; against a
multivariate normal, Independent(Normal, 1) is read as MultivariateNormalDiag (any other
base raises ``NotImplementedError`` at trace time). The reverse pairs (a multivariate
normal ‖ Independent) use ``kl_mvn_independent`` from here and are registered by the
multivariate normals' modules.
"""

from __future__ import annotations

import jax.numpy as jnp

from ..registry import kl_divergence, register_kl
from .independent import Independent
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from .multivariate_normal_diag import MultivariateNormalDiag
from .normal import Normal


def _check_normal_base(d, p, q) -> None:
    """NotImplementedError unless ``d`` (p or q) is Independent(Normal, 1), decided at trace time."""
    if isinstance(d.base_dist, Normal) and d.reinterpreted_batch_ndims == 1:
        return
    raise NotImplementedError(
        f"no closed-form KL is registered for KL({_name(p)} ‖ {_name(q)}): only Independent(Normal, 1) has one "
        "with the multivariate normals; estimate it with jaxkl.monte_carlo_kl(p, q, key=..., num_samples=...)"
    )


def _name(d) -> str:
    if isinstance(d, Independent):
        return f"Independent({_name(d.base_dist)}, {d.reinterpreted_batch_ndims})"
    return type(d).__name__


def _indep_normal_diag(d):
    base = d.base_dist
    loc, scale = base.broadcast_params("loc", "scale")
    return MultivariateNormalDiag(loc, scale)


def kl_independent_mvn(p, q):
    """KL(p ‖ q) from Independent(Normal, 1) to a multivariate normal: p as
    MultivariateNormalDiag(loc, scale), then that pair's formula."""
    _check_normal_base(p, p, q)
    return kl_divergence(_indep_normal_diag(p), q)


def kl_mvn_independent(p, q):
    """KL(p ‖ q) from a multivariate normal to Independent(Normal, 1): q as
    MultivariateNormalDiag(loc, scale), then that pair's formula (registered by the
    multivariate normals' pair modules)."""
    _check_normal_base(q, p, q)
    return kl_divergence(p, _indep_normal_diag(q))


for _q in (MultivariateNormal, LowRankMultivariateNormal, MultivariateNormalDiag):
    register_kl(Independent, _q, jit=True)(kl_independent_mvn)


@register_kl(Independent, Independent, jit=True)
def _kl_independent_independent(p, q):
    """KL(p ‖ q) between two Independent distributions: the base KL summed over the
    reinterpreted axes.

    As numpyro: with n = min of the two ``reinterpreted_batch_ndims``, each side keeps the
    excess as an Independent wrapper (or is its base when none is left), the KL of those
    is taken, and its n rightmost axes are summed.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    n = min(p.reinterpreted_batch_ndims, q.reinterpreted_batch_ndims)
    pn = p.reinterpreted_batch_ndims - n
    qn = q.reinterpreted_batch_ndims - n
    pb = Independent(p.base_dist, pn) if pn else p.base_dist
    qb = Independent(q.base_dist, qn) if qn else q.base_dist
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"KL(Independent ‖ Independent): event shapes differ: p has {p.event_shape}, q has {q.event_shape}"
        )
    kl = kl_divergence(pb, qb)
    if n:
        shape = jnp.broadcast_shapes(pb.batch_shape, qb.batch_shape)
        kl = jnp.sum(jnp.broadcast_to(kl, shape), axis=tuple(range(-n, 0)))
    return kl
