"""LowRankMultivariateNormal(loc, cov_factor, cov_diag): covariance W Wᵀ + diag(D), handled
in O(d·r²) without a d × d matrix.
"""

from __future__ import annotations

from typing import cast

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._factor import cholesky, tril_solve
from .._math import LOG_2PI
from ._base import Distribution, promote_params
from .multivariate_normal import check_event_sizes

__all__ = ["LowRankMultivariateNormal"]


class LowRankMultivariateNormal(Distribution):
    """Multivariate normal with covariance W Wᵀ + diag(D) (low rank plus diagonal).

    Density as [`MultivariateNormal`][jaxkl.distributions.MultivariateNormal] with
    Σ = W Wᵀ + diag(D); determinants and solves use the r×r capacitance C = I + Wᵀ D⁻¹ W
    (matrix determinant lemma, Woodbury), so every operation costs O(d·r²).

    Args:
        loc: mean μ, ``[..., d]``.
        cov_factor: W, ``[..., d, r]``.
        cov_diag: D, ``[..., d]``, positive.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + W·ε₁ + √D·ε₂).

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.distributions import LowRankMultivariateNormal
        >>> d = LowRankMultivariateNormal(jnp.zeros(3), jnp.ones((3, 1)), jnp.ones(3))
        >>> round(float(d.entropy()), 4)  # scipy: multivariate_normal(zeros(3), ones((3, 3)) + eye(3)).entropy()
        4.95
    """

    loc: jax.Array
    cov_factor: jax.Array
    cov_diag: jax.Array
    arg_constraints = {"loc": "real", "cov_factor": "real", "cov_diag": "positive"}
    reparameterized = True

    def __init__(self, loc: ArrayLike, cov_factor: ArrayLike, cov_diag: ArrayLike, *, validate_args: bool = False):
        name = type(self).__name__
        loc, w, dg = promote_params(name, loc=loc, cov_factor=cov_factor, cov_diag=cov_diag)
        check_event_sizes(name, loc, cov_factor=w, cov_diag=dg)
        self._set(loc=loc, cov_factor=w, cov_diag=dg)
        self._validate(validate_args)

    def _param_event_ndims(self, name: str) -> int:
        return 2 if name == "cov_factor" else 1

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.loc.shape[-1],)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        w, dg = self.broadcast_params("cov_factor", "cov_diag")
        return jnp.sum(w * w, -1) + dg

    @property
    def covariance_matrix(self) -> jax.Array:
        w, dg = self.broadcast_params("cov_factor", "cov_diag")
        return w @ jnp.swapaxes(w, -1, -2) + dg[..., None] * jnp.eye(dg.shape[-1], dtype=dg.dtype)

    @property
    def scale_tril(self) -> jax.Array:
        return cholesky(self.covariance_matrix)

    @property
    def precision_matrix(self) -> jax.Array:
        """D⁻¹ − D⁻¹W C⁻¹ WᵀD⁻¹ (Woodbury), ``[..., d, d]``."""
        w, dg = self.broadcast_params("cov_factor", "cov_diag")
        wd = w / dg[..., None]
        cap = cholesky(self._capacitance(w, dg))
        y = tril_solve(cap, jnp.swapaxes(wd, -1, -2))
        return jnp.eye(dg.shape[-1], dtype=dg.dtype) / dg[..., None] - jnp.swapaxes(y, -1, -2) @ y

    @staticmethod
    def _capacitance(w: jax.Array, dg: jax.Array) -> jax.Array:
        wh = w * jax.lax.rsqrt(dg)[..., None]
        return jnp.eye(w.shape[-1], dtype=w.dtype) + jnp.swapaxes(wh, -1, -2) @ wh

    def _half_logdet(self, w, dg, cap_tril) -> jax.Array:
        return 0.5 * jnp.sum(jnp.log(dg), -1) + jnp.sum(jnp.log(jnp.diagonal(cap_tril, axis1=-2, axis2=-1)), -1)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, w, dg = self.broadcast_params("loc", "cov_factor", "cov_diag")
        cap_tril = cholesky(self._capacitance(w, dg))
        maha = lowrank_maha(x - loc, dg, w * jax.lax.rsqrt(dg)[..., None], cap_tril)
        d = self.event_shape[0]
        return -0.5 * maha - self._half_logdet(w, dg, cap_tril) - 0.5 * d * LOG_2PI

    def entropy(self) -> jax.Array:
        w, dg = self.broadcast_params("cov_factor", "cov_diag")
        cap_tril = cholesky(self._capacitance(w, dg))
        d = self.event_shape[0]
        return 0.5 * d * (1.0 + LOG_2PI) + self._half_logdet(w, dg, cap_tril)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, w, dg = self.broadcast_params("loc", "cov_factor", "cov_diag")
        k1, k2 = jax.random.split(key)
        shape = self._sample_shape(sample_shape)
        e1 = jax.random.normal(k1, shape[:-1] + (w.shape[-1],), self.dtype)
        e2 = jax.random.normal(k2, shape, self.dtype)
        return loc + jnp.einsum("...ij,...j->...i", w, e1) + jnp.sqrt(dg) * e2


def lowrank_maha(diff: jax.Array, dg: jax.Array, what: jax.Array | None, cap_tril: jax.Array | None) -> jax.Array:
    """Δᵀ(W Wᵀ + diag D)⁻¹Δ as the sum of squares ‖z‖² + ‖C⁻¹y‖², x = D^(−1/2)Δ, y = Ŵᵀx,
    z = x − Ŵ C⁻¹ y (Ŵ = D^(−1/2)W, C = I + ŴᵀŴ = cap_tril cap_trilᵀ); ``what=None``: ‖x‖²."""
    x = diff * jax.lax.rsqrt(dg)
    if what is None:
        return jnp.sum(x * x, -1)
    y = jnp.einsum("...ir,...i->...r", what, x)
    cap_tril = cast(jax.Array, cap_tril)  # given with `what`
    shape = jnp.broadcast_shapes(cap_tril.shape[:-2], y.shape[:-1])
    ct = jnp.broadcast_to(cap_tril, shape + cap_tril.shape[-2:])
    yb = jnp.broadcast_to(y, shape + y.shape[-1:])[..., None]
    cy = tril_solve(ct, tril_solve(ct, yb), transpose=True)[..., 0]
    z = x - jnp.einsum("...ir,...r->...i", what, cy)
    return jnp.sum(z * z, -1) + jnp.sum(cy * cy, -1)
