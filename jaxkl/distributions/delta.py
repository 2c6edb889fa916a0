"""The point mass: Delta(v, log_density, event_dim), as numpyro's ``Delta``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import Distribution, Static, promote_params, value_array
from ._support import DISCRETE, Support

__all__ = ["Delta"]


class Delta(Distribution):
    """Point mass at ``v``, carrying a log-density ``log_density`` at that point.

    ``log_prob(x)`` is ``log_density`` where x equals v (all of the last ``event_dim``
    axes) and −inf elsewhere; the default ``log_density = 0`` makes it a probability mass
    function on any space. A non-zero ``log_density`` gives the point the density
    exp(log_density), numpyro's convention for a point estimate that stands in for a
    density (e.g. the log-Jacobian of a transformed point), and ``entropy()`` is
    −log_density accordingly.

    Args:
        v: the location of the point mass, shape ``batch_shape + event_shape``.
        log_density: log-density at the point, broadcasting against the batch shape.
        event_dim: how many trailing axes of ``v`` form the event (static int).
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` returns ``v`` broadcast to the sample shape; it is reparameterized
    (gradients flow to ``v``). ``mean`` is v, ``variance`` 0.

    Examples:
        >>> from jaxkl.distributions import Delta
        >>> d = Delta(2.0)
        >>> float(d.log_prob(2.0)), float(d.log_prob(1.0))
        (0.0, -inf)
    """

    support = Support(DISCRETE)

    v: jax.Array
    log_density: jax.Array
    event_dim: Static[int]
    arg_constraints = {"v": "real", "log_density": "real"}
    reparameterized = True

    def __init__(
        self, v: ArrayLike = 0.0, log_density: ArrayLike = 0.0, event_dim: int = 0, *, validate_args: bool = False
    ):
        if not isinstance(event_dim, (int,)) or isinstance(event_dim, bool) or event_dim < 0:
            raise TypeError(f"Delta: `event_dim` must be a non-negative int, got {event_dim!r}")
        v, log_density = promote_params("Delta", v=v, log_density=log_density)
        if event_dim > v.ndim:
            raise ValueError(f"Delta: `event_dim`={event_dim} exceeds the rank of `v` (shape {v.shape})")
        self._set(v=v, log_density=log_density, event_dim=int(event_dim))
        self._validate(validate_args)

    def _param_event_ndims(self, name: str) -> int:
        return self.event_dim if name == "v" else 0

    @property
    def event_shape(self) -> tuple[int, ...]:
        shape = tuple(jnp.shape(self.v))
        return shape[len(shape) - self.event_dim :]

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        v, ld = self.broadcast_params("v", "log_density")
        hit = x == v
        if self.event_dim:
            hit = jnp.all(hit, axis=tuple(range(-self.event_dim, 0)))
        return jnp.where(hit, ld, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        (v,) = self.broadcast_params("v")
        return jnp.broadcast_to(v, self._sample_shape(sample_shape))

    def entropy(self) -> jax.Array:
        (ld,) = self.broadcast_params("log_density")
        return -ld

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("v")[0]

    @property
    def variance(self) -> jax.Array:
        return jnp.zeros_like(self.broadcast_params("v")[0])
