"""Laplace(loc, scale) on the real line."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import LocScale

__all__ = ["Laplace"]


class Laplace(LocScale):
    r"""Laplace (double exponential) distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{1}{2b} \exp\Bigl(-\frac{|x - \mu|}{b}\Bigr), \qquad x \in \mathbb{R}.
    $$

    Args:
        loc: location μ (mean and median), real.
        scale: scale b > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + b·ε with ε standard Laplace).

    Examples:
        >>> from jaxkl.distributions import Laplace
        >>> d = Laplace(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.laplace(0, 2).logpdf(1)
        -1.8863
        >>> round(float(d.variance), 4)  # 2b²
        8.0
    """

    def kinks(self) -> list[tuple[jax.Array, bool]]:
        return [(self.broadcast_params("loc")[0], False)]

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        return -jnp.abs(x - loc) / scale - jnp.log(2.0 * scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.laplace(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return 1.0 + jnp.log(2.0 * scale)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return 2.0 * scale * scale
