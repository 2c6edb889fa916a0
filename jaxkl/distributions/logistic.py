"""Logistic(loc, scale) on the real line."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import log1p
from ._base import LocScale

__all__ = ["Logistic"]


class Logistic(LocScale):
    r"""Logistic distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{e^{-z}}{s\,(1 + e^{-z})^2}, \qquad z = \frac{x - \mu}{s},\ x \in \mathbb{R}.
    $$

    Mean μ, variance π²s²/3.

    Args:
        loc: location μ, real.
        scale: scale s > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + s·ε with ε standard logistic).

    Examples:
        >>> from jaxkl.distributions import Logistic
        >>> d = Logistic(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.logistic(0, 2).logpdf(1)
        -2.1413
        >>> round(float(d.entropy()), 4)  # log s + 2
        2.6931
    """

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        az = jnp.abs((x - loc) / scale)
        return -az - 2.0 * log1p(jnp.exp(-az)) - jnp.log(scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.logistic(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return jnp.log(scale) + 2.0

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return (math.pi**2 / 3.0) * scale * scale
