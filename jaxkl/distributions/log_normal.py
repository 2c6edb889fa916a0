"""LogNormal(loc, scale): exp of a Normal(loc, scale)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import HALF_LOG_2PI
from ._base import Distribution, LocScale
from ._support import LOWER, Support
from .normal import normal_log_prob

__all__ = ["LogNormal"]


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
        if kind == LOWER:  # its own support, [0, ∞) (or a mixture's of the family)
            loc, scale = self.broadcast_params("loc", "scale")
            return loc, scale
        return Distribution.quadrature_centre(self, support)  # from the moments, not LocScale's (loc, scale)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        inside = x > 0
        log_x = jnp.log(jnp.where(inside, x, 1.0))
        lp = normal_log_prob((log_x - loc) / scale, jnp.log(scale)) - log_x
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
