"""Closed-form KL(p ‖ q) for p a MultivariateNormal: q ∈ {MultivariateNormal,
LowRankMultivariateNormal, MultivariateNormalDiag, Independent(Normal, 1)}. The pairs of a
LowRankMultivariateNormal or a MultivariateNormalDiag p with a full-covariance q use the
formulas here too (``kl_mvn_structured``); structured against structured is
``low_rank_multivariate_normal_kl.lowrank_kl``.

For p = N(μp, Σp) and q = N(μq, Σq) on ℝᵈ,

    KL(p ‖ q) = ½ [Σ_i (λ_i − 1 − log λ_i) + (μp − μq)ᵀ Σq⁻¹ (μp − μq)],  λ = eig(Σq⁻¹Σp),

two non-negative terms. The first is ``_linalg.cov_bregman`` (two covariance matrices),
``_linalg.spd_bregman`` (other full matrices) or ``_linalg.lowrank_bregman`` (low rank plus
diagonal, O(d·r²), no d×d matrix), computed from the exact difference of the parameters
that were given: L_p − L_q for two
``scale_tril``, Σp − Σq for two covariance matrices, Pq − Pp for two precision matrices
(eig(Σq⁻¹Σp) = eig(Pp⁻¹Pq)), Dp − Dq and Wp − Wq for low-rank factors. So the value keeps
its relative accuracy when p ≈ q, where tr − d − log det cancels to nothing. Mixed
parameterizations are converted to Cholesky factors first (their relative accuracy near
p = q is then limited by that conversion). The second term is the squared norm of
L_q⁻¹(μp − μq). Results have the broadcast batch shape and the compute dtype.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _linalg
from .._factor import cholesky, tril_solve
from .._math import promoted_dtype
from ..registry import register_kl
from .independent import Independent
from .independent_kl import kl_mvn_independent
from .low_rank_multivariate_normal import LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal
from .multivariate_normal_diag import MultivariateNormalDiag


def check_same_event(p, q) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"KL({type(p).__name__} ‖ {type(q).__name__}): event shapes differ: p has event shape "
            f"{p.event_shape}, q has event shape {q.event_shape}"
        )


def _rep(d, dt):
    """(kind, matrix) of a full-covariance view of ``d``: kind in cov/prec/tril/diag."""
    if isinstance(d, MultivariateNormal):
        kind = {"covariance_matrix": "cov", "precision_matrix": "prec", "scale_tril": "tril"}[d.parameterization]
        m = d.given_matrix().astype(dt)
        return kind, (jnp.tril(m) if kind == "tril" else m)
    if isinstance(d, MultivariateNormalDiag):
        return "diag", d.broadcast_params("scale_diag")[0].astype(dt)
    if isinstance(d, LowRankMultivariateNormal):
        return "cov", d.covariance_matrix.astype(dt)
    raise TypeError(type(d).__name__)


def _to_tril(kind, m):
    if kind == "tril":
        return m
    if kind == "cov":
        return cholesky(m)
    if kind == "diag":
        return m[..., None] * jnp.eye(m.shape[-1], dtype=m.dtype)
    from ..distributions.multivariate_normal import precision_to_scale_tril

    return precision_to_scale_tril(m)


def _to_cov(kind, m):
    if kind == "cov":
        return m
    if kind == "diag":
        return (m * m)[..., None] * jnp.eye(m.shape[-1], dtype=m.dtype)
    t = _to_tril(kind, m)
    return t @ jnp.swapaxes(t, -1, -2)


def _add_diag(m, v):
    return m + v[..., None] * jnp.eye(v.shape[-1], dtype=v.dtype)


def _square_split(s):
    """σ² = hi + lo exactly (Dekker's product with Veltkamp's split), so that Σ − diag(σ²)
    is formed without the rounding of σ²."""
    bits = 27 if s.dtype == jnp.float64 else 12
    c = jax.lax.optimization_barrier((2.0**bits + 1.0) * s)
    s_hi = jax.lax.optimization_barrier(c - (c - s))
    s_lo = s - s_hi
    hi = s * s
    lo = ((s_hi * s_hi - hi) + 2.0 * s_hi * s_lo) + s_lo * s_lo
    return hi, lo


def _full_kl(p, q):
    """KL between full-covariance views of p and q (see the module docstring)."""
    check_same_event(p, q)
    dt = promoted_dtype(p.dtype, q.dtype)
    kp, mp_ = _rep(p, dt)
    kq, mq_ = _rep(q, dt)
    diff_mu = p.mean.astype(dt) - q.mean.astype(dt)
    if kp == "prec" and kq == "prec":
        # eig(Σq⁻¹Σp) = eig(Pp⁻¹Pq): A = Pp, B = Pq; Mahalanobis with Pq directly.
        breg = _linalg.spd_bregman(cholesky(mp_), diff=mq_ - mp_)
        maha = jnp.einsum("...i,...ij,...j->...", diff_mu, mq_, diff_mu)
        return 0.5 * (breg + jnp.maximum(maha, 0.0))
    if not (kp in ("cov", "diag") and kq in ("cov", "diag")):
        lq = _to_tril(kq, mq_)
        lp = _to_tril(kp, mp_)
        shape = jnp.broadcast_shapes(lq.shape[:-2], lp.shape[:-2], diff_mu.shape[:-1])
        d = lq.shape[-1]
        lq = jnp.broadcast_to(lq, shape + (d, d))
        rhs = jnp.concatenate(
            [jnp.broadcast_to(lp - lq, shape + (d, d)), jnp.broadcast_to(diff_mu, shape + (d,))[..., None]], -1
        )
        x = tril_solve(lq, rhs)
        z = x[..., d]
        return 0.5 * (_linalg.tril_form(x[..., :d]) + jnp.sum(z * z, -1))
    if kp == "cov" and kq == "cov":
        breg, z = _linalg.cov_bregman(mq_, mp_, diff_mu[..., None])
        return 0.5 * (breg + jnp.sum(z[..., 0] ** 2, -1))
    # a diagonal on one side: the exact difference Σp − Σq (σ² split exactly).
    lq = _to_tril(kq, mq_) if kq == "diag" else cholesky(mq_)
    linv = _linalg.tril_inverse(lq)
    if kp == "diag":
        hi, lo = _square_split(mp_)
        diff = _add_diag(_add_diag(-mq_, hi), lo)
    elif kq == "diag":
        hi, lo = _square_split(mq_)
        diff = _add_diag(_add_diag(mp_, -hi), -lo)
    else:
        diff = mp_ - mq_
    s = _linalg.whiten_sym(linv, diff)
    z = jnp.einsum("...ij,...j->...i", linv, diff_mu)
    return 0.5 * (_linalg.sym_bregman(s) + jnp.sum(z * z, -1))


@register_kl(MultivariateNormal, MultivariateNormal, jit=True)
def _kl_mvn_mvn(p, q):
    """KL(p ‖ q) between two MultivariateNormal distributions.

    KL = ½[tr(Σq⁻¹Σp) − d − log det(Σq⁻¹Σp) + ‖L_q⁻¹(μp − μq)‖²], the first three terms as
    Σ_i (λ_i − 1 − log λ_i) from the exact difference of the given parameters
    (``_linalg.spd_bregman``), so it keeps its relative accuracy when p ≈ q.

    Args:
        p, q: ``MultivariateNormal`` with equal event size d and broadcastable batch shapes.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.

    Raises:
        ValueError: the event sizes differ.

    Examples:
        >>> import jax.numpy as jnp
        >>> import jaxkl
        >>> from jaxkl.distributions import MultivariateNormal
        >>> p = MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
        >>> q = MultivariateNormal(jnp.ones(2), covariance_matrix=2.0 * jnp.eye(2))
        >>> round(float(jaxkl.kl_divergence(p, q)), 4)
        0.6931
    """
    return _full_kl(p, q)


@register_kl(MultivariateNormal, LowRankMultivariateNormal, jit=True)
@register_kl(MultivariateNormal, MultivariateNormalDiag, jit=True)
def kl_mvn_structured(p, q):
    """KL(p ‖ q) between a full-covariance MultivariateNormal and a low-rank or diagonal one.

    The structured side is taken as a full covariance W Wᵀ + diag(D) (or its exact
    Cholesky factor diag(σ) for a diagonal normal); then as ``MultivariateNormal`` ‖
    ``MultivariateNormal`` (O(d³), as the full side already is).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    return _full_kl(p, q)


register_kl(MultivariateNormal, Independent, jit=True)(kl_mvn_independent)
