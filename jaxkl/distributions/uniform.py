"""Uniform(low, high) on an interval."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import Distribution, promote_params
from ._support import INTERVAL, Support, from_moments

__all__ = ["Uniform"]


class Uniform(Distribution):
    r"""Uniform distribution on the interval [``low``, ``high``].

    Density p(x) = 1/(high − low) on [low, high]; ``log_prob`` is −inf outside. Mean
    (low + high)/2, variance (high − low)²/12.

    Args:
        low: lower end, real.
        high: upper end, > low, broadcasting against ``low``.
        validate_args: check that both ends are finite and low < high (one host round trip).

    Domain: finite ends with low < high; elsewhere every method and every KL gives NaN.

    ``sample`` is reparameterized (low + (high − low)·U).

    Examples:
        >>> from jaxkl.distributions import Uniform
        >>> d = Uniform(-1.0, 3.0)
        >>> round(float(d.log_prob(0.0)), 4)  # −log 4
        -1.3863
        >>> round(float(d.variance), 4)  # 4²/12
        1.3333
    """

    low: jax.Array
    high: jax.Array
    arg_constraints = {"low": "real", "high": "real"}
    _relation_message = "`low` must be less than `high`"
    reparameterized = True

    def _relations(self) -> jax.Array:
        return jnp.asarray(self.low) < jnp.asarray(self.high)

    @property
    def support(self) -> Support:
        low, high = self.broadcast_params("low", "high")
        return Support(INTERVAL, low, high)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        lo_d, hi_d = self.broadcast_params("low", "high")
        return from_moments(0.5 * (lo_d + hi_d), (hi_d - lo_d) ** 2 / 12.0, *support)

    def __init__(self, low: ArrayLike = 0.0, high: ArrayLike = 1.0, *, validate_args: bool = False):
        low, high = promote_params("Uniform", low=low, high=high)
        self._set(low=low, high=high)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        low, high = self.broadcast_params("low", "high")
        inside = (x >= low) & (x <= high)
        return jnp.where(inside, -jnp.log(high - low), -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        low, high = self.broadcast_params("low", "high")
        u = jax.random.uniform(key, self._sample_shape(sample_shape), self.dtype)
        return low + (high - low) * u

    def entropy(self) -> jax.Array:
        low, high = self.broadcast_params("low", "high")
        return jnp.log(high - low)

    @property
    def mean(self) -> jax.Array:
        low, high = self.broadcast_params("low", "high")
        return 0.5 * (low + high)

    @property
    def variance(self) -> jax.Array:
        low, high = self.broadcast_params("low", "high")
        w = high - low
        return w * w / 12.0
