"""Exponential(rate): ``Gamma(1, rate)`` as a subclass, so every Gamma pair serves it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import promote_params
from .gamma import Gamma

__all__ = ["Exponential"]


class Exponential(Gamma):
    r"""Exponential distribution with rate ``rate``: Gamma(1, rate).

    $$
    p(x) = \lambda e^{-\lambda x}, \qquad x \ge 0;
    $$

    ``log_prob`` is −inf for x < 0. Mean 1/λ,
    variance 1/λ². ``concentration`` is a property (ones of the batch shape), so the
    Gamma closed forms apply.

    Args:
        rate: rate λ > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (ε/λ with ε standard exponential).

    Examples:
        >>> from jaxkl.distributions import Exponential
        >>> d = Exponential(2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # log 2 − 2
        -1.3069
        >>> round(float(d.mean), 4)  # 1/λ
        0.5
    """

    rate: jax.Array
    arg_constraints = {"rate": "positive"}

    def __init__(self, rate: ArrayLike = 1.0, *, validate_args: bool = False):
        (rate,) = promote_params("Exponential", rate=rate)
        self._set(rate=rate)
        self._validate(validate_args)

    @property
    def concentration(self) -> jax.Array:  # type: ignore[override]  # a field of Gamma; fields are immutable
        return jnp.ones(jnp.shape(self.rate), self.rate.dtype)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        (b,) = self.broadcast_params("rate")
        inside = x >= 0
        xs = jnp.where(inside, x, 0.0)
        return jnp.where(inside, jnp.log(b) - b * xs, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        (b,) = self.broadcast_params("rate")
        return jax.random.exponential(key, self._sample_shape(sample_shape), self.dtype) / b

    def entropy(self) -> jax.Array:
        (b,) = self.broadcast_params("rate")
        return 1.0 - jnp.log(b)

    @property
    def mean(self) -> jax.Array:
        (b,) = self.broadcast_params("rate")
        return 1.0 / b

    @property
    def variance(self) -> jax.Array:
        (b,) = self.broadcast_params("rate")
        return 1.0 / (b * b)
