"""The Normal family and its transforms: Normal, LogNormal, HalfNormal."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import HALF_LOG_2PI, LN2
from ._base import Distribution, LocScale, promote_params
from ._support import LOWER, Support

__all__ = ["HalfNormal", "LogNormal", "Normal"]


def _normal_log_prob(z: jax.Array, log_scale: jax.Array) -> jax.Array:
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
        return _normal_log_prob((x - loc) / scale, jnp.log(scale))

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


class LogNormal(LocScale):
    r"""Log-normal distribution: exp(X) for X ~ Normal(``loc``, ``scale``).

    $$
    p(x) = \frac{1}{x \sigma\sqrt{2\pi}} \exp\Bigl(-\frac{(\log x - \mu)^2}{2\sigma^2}\Bigr), \qquad x > 0;
    $$

    ``log_prob`` is −inf for x ≤ 0.

    Args:
        loc: mean μ of log X, real.
        scale: standard deviation σ > 0 of log X.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (exp(μ + σ·ε)).

    Examples:
        >>> from jaxkl.distributions import LogNormal
        >>> d = LogNormal(0.0, 0.5)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.lognorm(0.5).logpdf(1)
        -0.2258
        >>> round(float(d.mean), 4)  # exp(μ + σ²/2)
        1.1331
    """

    support = Support(LOWER, 0.0)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER and isinstance(lo, float) and lo == 0.0:
            loc, scale = self.broadcast_params("loc", "scale")
            return loc, scale
        return Distribution.quadrature_centre(self, support)  # from the moments, not LocScale's (loc, scale)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        inside = x > 0
        log_x = jnp.log(jnp.where(inside, x, 1.0))
        lp = _normal_log_prob((log_x - loc) / scale, jnp.log(scale)) - log_x
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return jnp.exp(loc + scale * jax.random.normal(key, self._sample_shape(sample_shape), self.dtype))

    def entropy(self) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + 0.5 + HALF_LOG_2PI + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return jnp.exp(loc + 0.5 * scale * scale)

    @property
    def variance(self) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        s2 = scale * scale
        return jnp.expm1(s2) * jnp.exp(2.0 * loc + s2)


class HalfNormal(Distribution):
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

    scale: jax.Array
    arg_constraints = {"scale": "positive"}
    reparameterized = True

    support = Support(LOWER, 0.0)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER and isinstance(lo, float) and lo == 0.0:
            (s,) = self.broadcast_params("scale")
            # log|Z|: mean (ψ(½) + log 2)/2, sd √(ψ'(½))/2
            return jnp.log(s) - 0.6351814227307392, jnp.full_like(s, 1.1107207345395915)
        return super().quadrature_centre(support)

    def __init__(self, scale: ArrayLike = 1.0, *, validate_args: bool = False):
        (scale,) = promote_params("HalfNormal", scale=scale)
        self._set(scale=scale)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        (scale,) = self.broadcast_params("scale")
        inside = x >= 0
        xs = jnp.where(inside, x, 0.0)
        lp = _normal_log_prob(xs / scale, jnp.log(scale)) + LN2
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return scale * jnp.abs(jax.random.normal(key, self._sample_shape(sample_shape), self.dtype))

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
