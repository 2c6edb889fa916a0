"""Pareto(scale, alpha) on [scale, ∞)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import LN2
from ._base import Distribution, promote_params
from ._support import LOWER, Support, logexpm1

__all__ = ["Pareto"]


class Pareto(Distribution):
    r"""Pareto distribution with scale (minimum) ``scale`` and tail index ``alpha``.

    $$
    p(x) = \frac{\alpha\, m^\alpha}{x^{\alpha + 1}}, \qquad x \ge m,
    $$

    with m = scale and α = alpha; ``log_prob`` is −inf for x < m. Mean αm/(α − 1) for α > 1
    and variance m²α/((α − 1)²(α − 2)) for α > 2 (inf otherwise, as numpyro).

    Args:
        scale: scale m > 0, the lower end of the support.
        alpha: tail index α > 0, broadcasting against ``scale``.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (m·exp(ε/α) with ε standard exponential).

    Examples:
        >>> from jaxkl.distributions import Pareto
        >>> d = Pareto(1.0, 3.0)
        >>> round(float(d.log_prob(2.0)), 4)  # scipy.stats.pareto(3).logpdf(2)
        -1.674
        >>> round(float(d.mean), 4)  # αm/(α − 1)
        1.5
    """

    scale: jax.Array
    alpha: jax.Array
    arg_constraints = {"scale": "positive", "alpha": "positive"}
    reparameterized = True

    @property
    def support(self) -> Support:
        return Support(LOWER, self.broadcast_params("scale")[0])

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        if support.kind == LOWER:
            m, alpha = self.broadcast_params("scale", "alpha")
            c = jnp.log(m) + logexpm1(LN2 / alpha)
            return c, jnp.sqrt(1.6449340668482264 + 1.0 / (alpha * alpha))
        return super().quadrature_centre(support)

    def __init__(self, scale: ArrayLike, alpha: ArrayLike, *, validate_args: bool = False):
        scale, alpha = promote_params("Pareto", scale=scale, alpha=alpha)
        self._set(scale=scale, alpha=alpha)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        m, alpha = self.broadcast_params("scale", "alpha")
        inside = x >= m
        xs = jnp.where(inside, x, m)
        lp = jnp.log(alpha) - jnp.log(m) - (alpha + 1.0) * jnp.log(xs / m)
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        m, alpha = self.broadcast_params("scale", "alpha")
        e = jax.random.exponential(key, self._sample_shape(sample_shape), self.dtype)
        return m * jnp.exp(e / alpha)

    def entropy(self) -> jax.Array:
        """log(m/α) + 1 + 1/α."""
        m, alpha = self.broadcast_params("scale", "alpha")
        return jnp.log(m / alpha) + 1.0 + 1.0 / alpha

    @property
    def mean(self) -> jax.Array:
        m, alpha = self.broadcast_params("scale", "alpha")
        ok = alpha > 1.0
        return jnp.where(ok, alpha * m / jnp.where(ok, alpha - 1.0, 1.0), jnp.inf)

    @property
    def variance(self) -> jax.Array:
        m, alpha = self.broadcast_params("scale", "alpha")
        ok = alpha > 2.0
        am1 = jnp.where(ok, alpha - 1.0, 1.0)
        return jnp.where(ok, m * m * alpha / (am1 * am1 * jnp.where(ok, alpha - 2.0, 1.0)), jnp.inf)
