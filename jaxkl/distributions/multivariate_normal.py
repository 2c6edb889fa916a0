"""MultivariateNormal(loc, covariance_matrix | precision_matrix | scale_tril): full covariance,
and the checks its low-rank and diagonal relatives share.

The event is the last axis of ``loc`` (size d); every leading axis of every parameter is a
batch axis, and the batch axes of ``loc`` and of the matrices broadcast against each other.
A mismatch of event sizes is a ``ValueError`` at construction naming both shapes.
Determinants and solves go through Cholesky factors and triangular solves only.
"""

from __future__ import annotations

from typing import cast

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._factor import cholesky, positive_diagonal, tril_inverse, tril_solve
from .._math import LOG_2PI
from ._base import Distribution, matrix_constraints, promote_params

__all__ = ["MultivariateNormal"]


def check_event_sizes(cls: str, loc: jax.Array, **mats: jax.Array | None) -> None:
    if loc.ndim < 1:
        raise ValueError(f"{cls}: `loc` must have an event axis, got shape {loc.shape}")
    d = loc.shape[-1]
    for name, m in mats.items():
        if m is None:
            continue
        if name in ("covariance_matrix", "precision_matrix", "scale_tril"):
            if m.ndim < 2 or m.shape[-1] != m.shape[-2] or m.shape[-1] != d:
                raise ValueError(
                    f"{cls}: `{name}` must have shape [..., {d}, {d}] to match `loc` of shape {loc.shape}, "
                    f"got {m.shape}"
                )
        elif name == "cov_factor":
            if m.ndim < 2 or m.shape[-2] != d:
                raise ValueError(
                    f"{cls}: `cov_factor` must have shape [..., {d}, r] to match `loc` of shape {loc.shape}, "
                    f"got {m.shape}"
                )
        elif m.ndim < 1 or m.shape[-1] != d:
            raise ValueError(
                f"{cls}: `{name}` must have shape [..., {d}] to match `loc` of shape {loc.shape}, got {m.shape}"
            )


def _tril_solve_vec(tril: jax.Array, b: jax.Array, *, transpose: bool = False) -> jax.Array:
    """L⁻¹ b (or L⁻ᵀ b) for vectors b [..., d], batch dims broadcast.

    Vectorized over the batch rather than broadcasting L to b's batch shape: with one L and
    many b's (samples), the b's become the columns of one triangular solve, and no copy of L
    per sample is made."""

    def solve(l_, v):
        return tril_solve(l_, v[:, None], transpose=transpose)[:, 0]

    return jnp.vectorize(solve, signature="(d,d),(d)->(d)")(tril, b)


def precision_to_scale_tril(prec: jax.Array) -> jax.Array:
    """The lower Cholesky factor of P⁻¹: with the flipped factorisation Pᶠ = Lf Lfᵀ
    (ᶠ reverses both axes), P⁻¹ = (flip Lf)⁻ᵀ (flip Lf)⁻¹ with flip Lf upper triangular."""
    lf = cholesky(jnp.flip(prec, (-2, -1)))
    u = jnp.swapaxes(jnp.flip(lf, (-2, -1)), -1, -2)  # lower: L_inv with P = L_invᵀ L_inv... as numpyro
    return tril_inverse(u)


class MultivariateNormal(Distribution):
    r"""Multivariate normal distribution N(μ, Σ) on ℝᵈ.

    $$
    p(x) = (2\pi)^{-d/2} \det(\Sigma)^{-1/2} \exp\Bigl(-\tfrac12 (x - \mu)^\top \Sigma^{-1} (x - \mu)\Bigr).
    $$

    Args:
        loc: mean μ, ``[..., d]``.
        covariance_matrix: Σ, ``[..., d, d]`` symmetric positive definite; or
        precision_matrix: Σ⁻¹, ``[..., d, d]``; or
        scale_tril: a lower-triangular square root L of Σ = L Lᵀ, ``[..., d, d]``: the upper
            triangle is ignored, and a negative diagonal entry is read as the same Σ (L with
            that column negated, the Cholesky factor). Exactly one of the three.
        validate_args: check that ``loc`` is finite and the matrix symmetric positive definite
            (``scale_tril``: no zero on the diagonal); one host round trip.

    Domain: outside it (a non-finite ``loc``; a matrix that is not symmetric to rounding or
    not positive definite; a ``scale_tril`` with a zero on its diagonal or a non-finite
    entry in its lower triangle) every method and every KL gives NaN.

    The parameterization given is stored; the other two are derived properties. The batch
    shape is the broadcast of ``loc.shape[:-1]`` and the matrix's ``shape[:-2]``.
    ``sample`` is reparameterized (μ + L·ε).

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.distributions import MultivariateNormal
        >>> cov = jnp.array([[2.0, 0.5], [0.5, 1.0]])
        >>> d = MultivariateNormal(jnp.zeros(2), covariance_matrix=cov)
        >>> round(float(d.log_prob(jnp.array([1.0, -1.0]))), 4)  # scipy.stats.multivariate_normal([0, 0], cov).logpdf
        -3.2605
        >>> round(float(d.entropy()), 4)  # scipy.stats.multivariate_normal([0, 0], cov).entropy()
        3.1177
    """

    loc: jax.Array
    _covariance_matrix: jax.Array | None
    _precision_matrix: jax.Array | None
    _scale_tril: jax.Array | None
    arg_constraints = {"loc": "real", **matrix_constraints("_covariance_matrix", "_precision_matrix", "_scale_tril")}
    _readings = {"_scale_tril": positive_diagonal}
    reparameterized = True

    def __init__(
        self,
        loc: ArrayLike = 0.0,
        covariance_matrix: ArrayLike | None = None,
        precision_matrix: ArrayLike | None = None,
        scale_tril: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ):
        name = type(self).__name__
        if sum(m is not None for m in (covariance_matrix, precision_matrix, scale_tril)) != 1:
            raise ValueError(f"{name}: give exactly one of `covariance_matrix`, `precision_matrix`, `scale_tril`")
        loc, cov, prec, tril = cast(
            "tuple[jax.Array, jax.Array | None, jax.Array | None, jax.Array | None]",
            promote_params(
                name,
                loc=loc,
                covariance_matrix=covariance_matrix,
                precision_matrix=precision_matrix,
                scale_tril=scale_tril,
            ),
        )
        if loc.ndim == 0:  # a scalar loc broadcasts along the event axis, as numpyro
            mat = next(m for m in (cov, prec, tril) if m is not None)
            loc = jnp.broadcast_to(loc, (mat.shape[-1],)) if mat.ndim >= 1 else loc
        check_event_sizes(name, loc, covariance_matrix=cov, precision_matrix=prec, scale_tril=tril)
        self._set(loc=loc, _covariance_matrix=cov, _precision_matrix=prec, _scale_tril=tril)
        self._validate(validate_args)

    def __repr__(self) -> str:
        return (
            Distribution.__repr__(self)
            .replace("=<", "=<")
            .replace("_covariance", "covariance")
            .replace("_precision", "precision")
            .replace("_scale_tril", "scale_tril")
        )

    def _param_event_ndims(self, name: str) -> int:
        return 1 if name == "loc" else 2

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.loc.shape[-1],)

    @property
    def parameterization(self) -> str:
        """Which matrix was given: ``"covariance_matrix"``, ``"precision_matrix"`` or ``"scale_tril"``."""
        if self._covariance_matrix is not None:
            return "covariance_matrix"
        if self._precision_matrix is not None:
            return "precision_matrix"
        return "scale_tril"

    def given_matrix(self) -> jax.Array:
        return self.broadcast_params("_" + self.parameterization)[0]

    @property
    def scale_tril(self) -> jax.Array:
        """Lower Cholesky factor L of the covariance, ``[..., d, d]``."""
        kind, m = self.parameterization, self.given_matrix()
        if kind == "scale_tril":
            return jnp.tril(m)
        if kind == "covariance_matrix":
            return cholesky(m)
        return precision_to_scale_tril(m)

    @property
    def covariance_matrix(self) -> jax.Array:
        """Σ, ``[..., d, d]``."""
        if self.parameterization == "covariance_matrix":
            return self.given_matrix()
        tril = self.scale_tril
        return tril @ jnp.swapaxes(tril, -1, -2)

    @property
    def precision_matrix(self) -> jax.Array:
        """Σ⁻¹, ``[..., d, d]`` (from the Cholesky factor: L⁻ᵀ L⁻¹)."""
        if self.parameterization == "precision_matrix":
            return self.given_matrix()
        tril = self.scale_tril
        linv = tril_inverse(tril)
        return jnp.swapaxes(linv, -1, -2) @ linv

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        if self.parameterization == "covariance_matrix":
            return jnp.diagonal(self.given_matrix(), axis1=-2, axis2=-1)
        tril = self.scale_tril
        return jnp.sum(tril * tril, axis=-1)

    def _maha_logdet(self, x: jax.Array) -> tuple[jax.Array, jax.Array]:
        """((x − μ)ᵀΣ⁻¹(x − μ), ½ log det Σ)."""
        diff = x - self.broadcast_params("loc")[0]
        if self.parameterization == "precision_matrix":
            lp = cholesky(self.given_matrix())  # P = Lp Lpᵀ: quadratic form ‖Lpᵀ Δ‖²
            z = jnp.einsum("...ji,...j->...i", lp, diff)
            return jnp.sum(z * z, -1), -jnp.sum(jnp.log(jnp.diagonal(lp, axis1=-2, axis2=-1)), -1)
        tril = self.scale_tril
        z = _tril_solve_vec(tril, diff)
        return jnp.sum(z * z, -1), jnp.sum(jnp.log(jnp.diagonal(tril, axis1=-2, axis2=-1)), -1)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        d = self.event_shape[0]
        maha, half_logdet = self._maha_logdet(x)
        return -0.5 * maha - half_logdet - 0.5 * d * LOG_2PI

    def entropy(self) -> jax.Array:
        d = self.event_shape[0]
        if self.parameterization == "precision_matrix":
            lp = cholesky(self.given_matrix())
            half_logdet = -jnp.sum(jnp.log(jnp.diagonal(lp, axis1=-2, axis2=-1)), -1)
        else:
            half_logdet = jnp.sum(jnp.log(jnp.diagonal(self.scale_tril, axis1=-2, axis2=-1)), -1)
        return 0.5 * d * (1.0 + LOG_2PI) + half_logdet

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        eps = jax.random.normal(key, self._sample_shape(sample_shape), self.dtype)
        return self.mean + jnp.einsum("...ij,...j->...i", self.scale_tril, eps)
