"""Gumbel(loc, scale) on the real line (the law of the maximum)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import EULER
from ._base import LocScale
from ._support import Support

__all__ = ["Gumbel"]


class Gumbel(LocScale):
    r"""Gumbel (maximum) distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{1}{\beta} e^{-z - e^{-z}}, \qquad z = \frac{x - \mu}{\beta},\ x \in \mathbb{R}.
    $$

    Mean μ + βγ (γ Euler's constant), variance π²β²/6.

    Args:
        loc: location μ (mode), real.
        scale: scale β > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + β·ε with ε standard Gumbel).

    Examples:
        >>> from jaxkl.distributions import Gumbel
        >>> d = Gumbel(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.gumbel_r(0, 2).logpdf(1)
        -1.7997
        >>> round(float(d.mean), 4)  # μ + βγ
        1.1544
    """

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + EULER * scale, (math.pi / math.sqrt(6.0)) * scale

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        z = (x - loc) / scale
        return -z - jnp.exp(-z) - jnp.log(scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.gumbel(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return jnp.log(scale) + (EULER + 1.0)

    @property
    def mean(self) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + EULER * scale

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return (math.pi**2 / 6.0) * scale * scale
