"""Normal(loc, scale), and the standard normal log-density its relatives share."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import HALF_LOG_2PI
from ._base import LocScale

__all__ = ["Normal"]


def normal_log_prob(z: jax.Array, log_scale: jax.Array) -> jax.Array:
    return -0.5 * z * z - log_scale - HALF_LOG_2PI


class Normal(LocScale):
    r"""Normal (Gaussian) distribution with mean ``loc`` and standard deviation ``scale``.

    $$
    p(x) = \frac{1}{\sigma\sqrt{2\pi}} \exp\Bigl(-\frac{(x - \mu)^2}{2\sigma^2}\Bigr), \qquad x \in \mathbb{R}.
    $$

    Args:
        loc: mean μ, real, any shape.
        scale: standard deviation σ > 0, broadcasting against ``loc``.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + σ·ε with ε standard normal).

    Examples:
        >>> from jaxkl.distributions import Normal
        >>> d = Normal(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.norm(0, 2).logpdf(1)
        -1.7371
        >>> round(float(d.entropy()), 4)  # ½·log(2πe·σ²)
        2.1121
    """

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        return normal_log_prob((x - loc) / scale, jnp.log(scale))

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.normal(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return 0.5 + HALF_LOG_2PI + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return scale * scale
