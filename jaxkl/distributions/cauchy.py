"""Cauchy(loc, scale) on the real line."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import LOG_PI, log1p_square
from ._base import LocScale

__all__ = ["Cauchy"]


class Cauchy(LocScale):
    r"""Cauchy distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{1}{\pi \gamma \bigl(1 + ((x - x_0)/\gamma)^2\bigr)}, \qquad x \in \mathbb{R}.
    $$

    The mean and variance are undefined (NaN, as numpyro).

    Args:
        loc: location x₀ (median), real.
        scale: scale γ > 0 (half width at half maximum).
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (x₀ + γ·ε with ε standard Cauchy).

    Examples:
        >>> from jaxkl.distributions import Cauchy
        >>> d = Cauchy(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.cauchy(0, 2).logpdf(1)
        -2.061
        >>> round(float(d.entropy()), 4)  # log(4πγ)
        3.2242
    """

    heavy_tailed = True

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        return -LOG_PI - jnp.log(scale) - log1p_square((x - loc) / scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.cauchy(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return math.log(4.0 * math.pi) + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.nan, self.dtype)

    @property
    def variance(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.nan, self.dtype)
