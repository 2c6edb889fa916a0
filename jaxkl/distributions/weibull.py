"""Weibull(scale, concentration) on (0, ∞)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, xlogy
from jax.typing import ArrayLike

from .._math import EULER
from ._base import Distribution, promote_params
from ._support import LOWER, Support

__all__ = ["Weibull"]


class Weibull(Distribution):
    r"""Weibull distribution with scale ``scale`` and shape ``concentration`` (numpyro's order).

    $$
    p(x) = \frac{k}{\lambda} \Bigl(\frac{x}{\lambda}\Bigr)^{k-1} e^{-(x/\lambda)^k}, \qquad x \ge 0,
    $$

    with λ = scale and k = concentration; ``log_prob`` is −inf for x < 0 (at x = 0 it
    follows scipy: +inf, −log λ or −inf for k <, =, > 1). Mean λΓ(1 + 1/k), variance λ²[Γ(1
    + 2/k) − Γ(1 + 1/k)²]; k = 1 is Exponential(1/λ).

    Args:
        scale: scale λ > 0.
        concentration: shape k > 0, broadcasting against ``scale``.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (λ·ε^(1/k) with ε standard exponential).

    Examples:
        >>> from jaxkl.distributions import Weibull
        >>> d = Weibull(2.0, 1.5)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.weibull_min(1.5, scale=2).logpdf(1)
        -0.9878
        >>> round(float(d.entropy()), 4)  # scipy.stats.weibull_min(1.5, scale=2).entropy()
        1.4801
    """

    scale: jax.Array
    concentration: jax.Array
    arg_constraints = {"scale": "positive", "concentration": "positive"}
    reparameterized = True

    support = Support(LOWER, 0.0)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER:  # its own support, [0, ∞) (or a mixture's of the family)
            lam, k = self.broadcast_params("scale", "concentration")
            return jnp.log(lam) - EULER / k, (math.pi / math.sqrt(6.0)) / k
        return super().quadrature_centre(support)

    def __init__(self, scale: ArrayLike, concentration: ArrayLike, *, validate_args: bool = False):
        scale, concentration = promote_params("Weibull", scale=scale, concentration=concentration)
        self._set(scale=scale, concentration=concentration)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        lam, k = self.broadcast_params("scale", "concentration")
        inside = x >= 0
        z = jnp.where(inside, x, 1.0) / lam
        lp = jnp.log(k / lam) + xlogy(k - 1.0, z) - z**k
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        lam, k = self.broadcast_params("scale", "concentration")
        e = jax.random.exponential(key, self._sample_shape(sample_shape), self.dtype)
        return lam * jnp.exp(jnp.log(e) / k)

    def entropy(self) -> jax.Array:
        """γ(1 − 1/k) + log(λ/k) + 1."""
        lam, k = self.broadcast_params("scale", "concentration")
        return EULER * (1.0 - 1.0 / k) + jnp.log(lam / k) + 1.0

    @property
    def mean(self) -> jax.Array:
        lam, k = self.broadcast_params("scale", "concentration")
        return lam * jnp.exp(gammaln(1.0 + 1.0 / k))

    @property
    def variance(self) -> jax.Array:
        lam, k = self.broadcast_params("scale", "concentration")
        g1 = gammaln(1.0 + 1.0 / k)
        # Γ(1 + 2/k) − Γ(1 + 1/k)² = Γ(1 + 1/k)²·expm1(lgamma(1 + 2/k) − 2·lgamma(1 + 1/k))
        return lam * lam * jnp.exp(2.0 * g1) * jnp.expm1(gammaln(1.0 + 2.0 / k) - 2.0 * g1)
