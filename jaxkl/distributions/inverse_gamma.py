"""InverseGamma(concentration, rate): the law of 1/X for X ~ Gamma(concentration, rate)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import digamma, gammaln
from jax.typing import ArrayLike

from .._math import HALF_LOG_2PI
from ._base import Distribution, promote_params
from ._support import LOWER, Support, digamma_approx, trigamma_approx
from .gamma import gamma_normal_gap

__all__ = ["InverseGamma"]


class InverseGamma(Distribution):
    r"""Inverse-Gamma distribution: 1/X for X ~ Gamma(``concentration``, ``rate``).

    $$
    p(x) = \frac{b^a}{\Gamma(a)}\, x^{-a-1} e^{-b/x}, \qquad x > 0,
    $$

    with a = concentration and b = rate, which acts as a scale here, as in numpyro;
    ``log_prob`` is −inf for x ≤ 0. Mean
    b/(a − 1) for a > 1 (inf otherwise), variance b²/((a − 1)²(a − 2)) for a > 2 (inf
    otherwise).

    Args:
        concentration: shape a > 0.
        rate: b > 0, broadcasting against ``concentration``.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (b/X with X a reparameterized Gamma(a, 1) draw).

    Examples:
        >>> from jaxkl.distributions import InverseGamma
        >>> d = InverseGamma(3.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.invgamma(3, scale=2).logpdf(1)
        -0.6137
        >>> round(float(d.mean), 4)  # b/(a − 1)
        1.0
    """

    concentration: jax.Array
    rate: jax.Array
    arg_constraints = {"concentration": "positive", "rate": "positive"}
    reparameterized = True

    support = Support(LOWER, 0.0)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER:  # its own support, [0, ∞) (or a mixture's of the family)
            a, b = self.broadcast_params("concentration", "rate")
            return jnp.log(b) - digamma_approx(a), jnp.sqrt(trigamma_approx(a))
        return super().quadrature_centre(support)

    def __init__(self, concentration: ArrayLike, rate: ArrayLike = 1.0, *, validate_args: bool = False):
        concentration, rate = promote_params("InverseGamma", concentration=concentration, rate=rate)
        self._set(concentration=concentration, rate=rate)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        a, b = self.broadcast_params("concentration", "rate")
        inside = x > 0
        xs = jnp.where(inside, x, 1.0)
        lp = a * jnp.log(b) - gammaln(a) - (a + 1.0) * jnp.log(xs) - b / xs
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        a, b = self.broadcast_params("concentration", "rate")
        shape = self._sample_shape(sample_shape)
        return b / jax.random.gamma(key, jnp.broadcast_to(a, shape), shape, self.dtype)

    def entropy(self) -> jax.Array:
        """a + log b + lgamma(a) − (1 + a)ψ(a) = H(Gamma(a, 1)) − 2ψ(a) + log b."""
        a, b = self.broadcast_params("concentration", "rate")
        h_gamma = (0.5 + HALF_LOG_2PI) + 0.5 * jnp.log(a) - gamma_normal_gap(a)
        return h_gamma - 2.0 * digamma(a) + jnp.log(b)

    @property
    def mean(self) -> jax.Array:
        a, b = self.broadcast_params("concentration", "rate")
        return jnp.where(a > 1.0, b / jnp.where(a > 1.0, a - 1.0, 1.0), jnp.inf)

    @property
    def variance(self) -> jax.Array:
        a, b = self.broadcast_params("concentration", "rate")
        ok = a > 2.0
        am1 = jnp.where(ok, a - 1.0, 2.0)
        return jnp.where(ok, (b / am1) ** 2 / jnp.where(ok, a - 2.0, 1.0), jnp.inf)
