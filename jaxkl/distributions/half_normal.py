"""HalfNormal(scale): |X| for X ~ Normal(0, scale)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .._math import LN2
from ._base import HalfScale
from ._support import LOWER, Support
from .normal import normal_log_prob

__all__ = ["HalfNormal"]


class HalfNormal(HalfScale):
    r"""Half-normal distribution: |X| for X ~ Normal(0, ``scale``).

    $$
    p(x) = \frac{\sqrt{2}}{\sigma\sqrt{\pi}} \exp\Bigl(-\frac{x^2}{2\sigma^2}\Bigr), \qquad x \ge 0;
    $$

    ``log_prob`` is −inf for x < 0.

    Args:
        scale: scale σ > 0 (the standard deviation of the folded normal).
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (σ·|ε|).

    Examples:
        >>> from jaxkl.distributions import HalfNormal
        >>> d = HalfNormal(2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.halfnorm(0, 2).logpdf(1)
        -1.0439
        >>> round(float(d.mean), 4)  # σ·√(2/π)
        1.5958
    """

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER:  # its own support, [0, ∞) (or a mixture's of the family)
            (s,) = self.broadcast_params("scale")
            # log|Z|: mean (ψ(½) + log 2)/2, sd √(ψ'(½))/2
            return jnp.log(s) - 0.6351814227307392, jnp.full_like(s, 1.1107207345395915)
        return super().quadrature_centre(support)

    def _log_density(self, x: jax.Array, scale: jax.Array) -> jax.Array:
        return normal_log_prob(x / scale, jnp.log(scale)) + LN2

    def _standard_sample(self, key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        return jax.random.normal(key, shape, self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return 0.5 * math.log(0.5 * math.pi * math.e) + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return math.sqrt(2.0 / math.pi) * scale

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return (1.0 - 2.0 / math.pi) * scale * scale
