"""MultivariateNormalDiag(loc, scale_diag): diagonal covariance."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import LOG_2PI
from ._base import Distribution, promote_params
from .multivariate_normal import check_event_sizes

__all__ = ["MultivariateNormalDiag"]


class MultivariateNormalDiag(Distribution):
    """Multivariate normal with diagonal covariance diag(σ²): d independent normals as one
    event of size d.

    Args:
        loc: mean μ, ``[..., d]``.
        scale_diag: the diagonal of the scale matrix diag(σ), ``[..., d]``, non-zero: the
            covariance is diag(σ²), so a negative entry is read as its absolute value (a
            scale matrix's square root has either sign), by every method and KL.
        validate_args: check the parameter constraints (one host round trip).

    Domain: a finite ``loc`` and a finite, non-zero ``scale_diag``; elsewhere every method
    and every KL gives NaN.

    ``sample`` is reparameterized (μ + σ·ε).

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.distributions import MultivariateNormalDiag
        >>> d = MultivariateNormalDiag(jnp.zeros(2), jnp.array([1.0, 2.0]))
        >>> round(float(d.log_prob(jnp.array([1.0, 1.0]))), 4)  # scipy.stats.norm.logpdf([1, 1], 0, [1, 2]).sum()
        -3.156
    """

    loc: jax.Array
    scale_diag: jax.Array
    arg_constraints = {"loc": "real", "scale_diag": "nonzero"}
    _readings = {"scale_diag": jnp.abs}
    reparameterized = True

    def __init__(self, loc: ArrayLike, scale_diag: ArrayLike, *, validate_args: bool = False):
        name = type(self).__name__
        loc, s = promote_params(name, loc=loc, scale_diag=scale_diag)
        check_event_sizes(name, loc, scale_diag=s)
        self._set(loc=loc, scale_diag=s)
        self._validate(validate_args)

    def _param_event_ndims(self, name: str) -> int:
        return 1

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.loc.shape[-1],)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (s,) = self.broadcast_params("scale_diag")
        return s * s

    @property
    def scale_tril(self) -> jax.Array:
        (s,) = self.broadcast_params("scale_diag")
        return s[..., None] * jnp.eye(s.shape[-1], dtype=s.dtype)

    @property
    def covariance_matrix(self) -> jax.Array:
        (s,) = self.broadcast_params("scale_diag")
        return (s * s)[..., None] * jnp.eye(s.shape[-1], dtype=s.dtype)

    @property
    def precision_matrix(self) -> jax.Array:
        (s,) = self.broadcast_params("scale_diag")
        return (1.0 / (s * s))[..., None] * jnp.eye(s.shape[-1], dtype=s.dtype)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, s = self.broadcast_params("loc", "scale_diag")
        z = (x - loc) / s
        return jnp.sum(-0.5 * z * z - jnp.log(s), -1) - 0.5 * s.shape[-1] * LOG_2PI

    def entropy(self) -> jax.Array:
        (s,) = self.broadcast_params("scale_diag")
        return 0.5 * s.shape[-1] * (1.0 + LOG_2PI) + jnp.sum(jnp.log(s), -1)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, s = self.broadcast_params("loc", "scale_diag")
        return loc + s * jax.random.normal(key, self._sample_shape(sample_shape), self.dtype)
