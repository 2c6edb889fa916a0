"""HalfCauchy(scale): |X| for X ~ Cauchy(0, scale)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .._math import LN2, LOG_2PI, LOG_PI, log1p_square
from ._base import HalfScale
from ._support import LOWER, Support

__all__ = ["HalfCauchy"]


class HalfCauchy(HalfScale):
    r"""Half-Cauchy distribution: |X| for X ~ Cauchy(0, ``scale``).

    $$
    p(x) = \frac{2}{\pi \gamma \bigl(1 + (x/\gamma)^2\bigr)}, \qquad x \ge 0;
    $$

    ``log_prob`` is −inf for x < 0. The mean and variance are infinite.

    Args:
        scale: scale γ > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (γ·|ε| with ε standard Cauchy).

    Examples:
        >>> from jaxkl.distributions import HalfCauchy
        >>> d = HalfCauchy(2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.halfcauchy(0, 2).logpdf(1)
        -1.3679
        >>> round(float(d.entropy()), 4)  # scipy.stats.halfcauchy(0, 2).entropy()
        2.531
    """

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER:  # its own support, [0, ∞) (or a mixture's of the family)
            (s,) = self.broadcast_params("scale")
            return jnp.log(s), jnp.full_like(s, 0.5 * math.pi)
        return super().quadrature_centre(support)

    def _log_density(self, x: jax.Array, scale: jax.Array) -> jax.Array:
        return LN2 - LOG_PI - jnp.log(scale) - log1p_square(x / scale)

    def _standard_sample(self, key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        return jax.random.cauchy(key, shape, self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return LOG_2PI + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.inf, self.dtype)

    @property
    def variance(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.inf, self.dtype)
