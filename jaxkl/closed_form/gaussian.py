"""Closed-form KL divergences between multivariate normal distributions.

Pairs: every combination of MultivariateNormal, LowRankMultivariateNormal and
MultivariateNormalDiag, Independent(Normal) with each of them (both directions), and
Independent ‖ Independent (the base KL summed over the reinterpreted axes).

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

import math

import jax
import jax.numpy as jnp

from .. import _linalg
from .._factor import cholesky, tril_solve
from ..distributions.independent import Independent
from ..distributions.multivariate_normal import (
    LowRankMultivariateNormal,
    MultivariateNormal,
    MultivariateNormalDiag,
    lowrank_maha,
)
from ..distributions.normal import Normal
from .normal import normal_kl
from .registry import kl_divergence, register_kl

__all__: list[str] = []


def _check_event(p, q) -> None:
    if p.event_shape != q.event_shape:
        raise ValueError(
            f"KL({type(p).__name__} ‖ {type(q).__name__}): event shapes differ: p has event shape "
            f"{p.event_shape}, q has event shape {q.event_shape}"
        )


def _dtype(p, q):
    return jnp.result_type(p.dtype, q.dtype)


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
    _check_event(p, q)
    dt = _dtype(p, q)
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


def _lowrank_view(d, dt):
    """(loc, cov_diag, cov_factor or None) of a low-rank or diagonal normal."""
    if isinstance(d, LowRankMultivariateNormal):
        loc, w, dg = d.broadcast_params("loc", "cov_factor", "cov_diag")
        return loc.astype(dt), dg.astype(dt), w.astype(dt)
    loc, s = d.broadcast_params("loc", "scale_diag")
    s = s.astype(dt)
    return loc.astype(dt), s * s, None


# On CPU a batch of low-rank pairs is evaluated a few pairs at a time (``lax.map``): a
# pair's working set (a few [d, 3r] arrays) then stays in cache and the time grows like d,
# instead of jumping when the whole batch's arrays outgrow the cache (measured on 2 cores,
# 64 pairs, r = 8: d = 2048 about 3× faster, d = 1024 on par).
_CPU_PAIRS_PER_STEP = 8


def _lowrank_core(mp_, dp, wp, mq_, dq, wq):
    breg, what, cap_tril = _linalg.lowrank_bregman(dq, wq, dp, wp)
    return 0.5 * (breg + lowrank_maha(mp_ - mq_, dq, what, cap_tril))


def _lowrank_kl(p, q):
    """KL for low-rank/diagonal pairs in O(d·r²) (``_linalg.lowrank_bregman``)."""
    _check_event(p, q)
    dt = _dtype(p, q)
    mp_, dp, wp = _lowrank_view(p, dt)
    mq_, dq, wq = _lowrank_view(q, dt)
    parts = ((mp_, 1), (dp, 1), (wp, 2), (mq_, 1), (dq, 1), (wq, 2))
    batch = jnp.broadcast_shapes(*(x.shape[: x.ndim - nd] for x, nd in parts if x is not None))
    size = math.prod(batch)
    if jax.default_backend() != "cpu" or size < 2 * _CPU_PAIRS_PER_STEP:
        return _lowrank_core(mp_, dp, wp, mq_, dq, wq)

    def flat(x, nd):
        if x is None:
            return None
        event = x.shape[x.ndim - nd :]
        return jnp.broadcast_to(x, batch + event).reshape((size,) + event)

    flat_parts = tuple(flat(x, nd) for x, nd in parts)
    out = jax.lax.map(lambda t: _lowrank_core(*t), flat_parts, batch_size=_CPU_PAIRS_PER_STEP)
    return out.reshape(batch)


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
@register_kl(LowRankMultivariateNormal, MultivariateNormal, jit=True)
@register_kl(MultivariateNormal, MultivariateNormalDiag, jit=True)
@register_kl(MultivariateNormalDiag, MultivariateNormal, jit=True)
def _kl_mvn_structured(p, q):
    """KL(p ‖ q) between a full-covariance MultivariateNormal and a low-rank or diagonal one.

    The structured side is taken as a full covariance W Wᵀ + diag(D) (or its exact
    Cholesky factor diag(σ) for a diagonal normal); then as ``MultivariateNormal`` ‖
    ``MultivariateNormal`` (O(d³), as the full side already is).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    return _full_kl(p, q)


@register_kl(LowRankMultivariateNormal, LowRankMultivariateNormal, jit=True)
@register_kl(LowRankMultivariateNormal, MultivariateNormalDiag, jit=True)
@register_kl(MultivariateNormalDiag, LowRankMultivariateNormal, jit=True)
def _kl_lowrank(p, q):
    """KL(p ‖ q) between low-rank-plus-diagonal (or diagonal) normals, in O(d·r²).

    Σ = W Wᵀ + diag(D). KL = ½[Σ_i φ(λ_i − 1) + Δμᵀ Σq⁻¹ Δμ], the eigenvalue sum reduced
    by Woodbury and the matrix determinant lemma to d scalar terms φ((Dp − Dq)/Dq), an
    eigenvalue sum of an m×m matrix (m ≤ 4r) and a cross term, all formed from the exact
    differences Dp − Dq and Wp − Wq (``_linalg.lowrank_bregman``); the Mahalanobis term is
    the sum of squares ‖z‖² + ‖C⁻¹Ŵᵀx‖². No d×d matrix is built.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    return _lowrank_kl(p, q)


@register_kl(MultivariateNormalDiag, MultivariateNormalDiag, jit=True)
def _kl_diag_diag(p, q):
    """KL(p ‖ q) between two MultivariateNormalDiag: the sum over the event axis of the
    univariate Normal KL ½v² + φ(v) + ½((μp − μq)/σq)², v = (σp − σq)/σq.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    _check_event(p, q)
    dt = _dtype(p, q)
    mp_, sp = (a.astype(dt) for a in p.broadcast_params("loc", "scale_diag"))
    mq_, sq = (a.astype(dt) for a in q.broadcast_params("loc", "scale_diag"))
    return jnp.sum(normal_kl(mp_, sp, mq_, sq), -1)


# ----------------------------------------------------------------------- Independent


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


for _Q in (MultivariateNormal, LowRankMultivariateNormal, MultivariateNormalDiag):

    @register_kl(Independent, _Q, jit=True)
    def _kl_independent_mvn(p, q):
        """KL(p ‖ q) from Independent(Normal, 1) to a multivariate normal: p as
        MultivariateNormalDiag(loc, scale), then that pair's formula."""
        _check_normal_base(p, p, q)
        return kl_divergence(_indep_normal_diag(p), q)

    @register_kl(_Q, Independent, jit=True)
    def _kl_mvn_independent(p, q):
        """KL(p ‖ q) from a multivariate normal to Independent(Normal, 1): q as
        MultivariateNormalDiag(loc, scale), then that pair's formula."""
        _check_normal_base(q, p, q)
        return kl_divergence(p, _indep_normal_diag(q))


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
