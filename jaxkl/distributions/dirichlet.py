"""The Dirichlet distribution on the probability simplex.

The entropy, a difference of terms of size S·log S (S the total concentration) that
cancel to O(K·log S), is computed as minus the Bregman divergence
``log_beta_bregman(α, 1)`` (the KL to the uniform distribution on the simplex) less
lgamma(K), a sum of non-negative terms that keeps its accuracy at large concentrations.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import gammaln, xlogy
from jax.typing import ArrayLike

from .. import checks
from .._special import log_beta_bregman
from ._base import Distribution, promote_params

__all__ = ["Dirichlet"]


def log_beta(alpha: jax.Array) -> jax.Array:
    """log B(α) = Σ lgamma(α_i) − lgamma(Σ α_i) along the last axis."""
    return jnp.sum(gammaln(alpha), axis=-1) - gammaln(jnp.sum(alpha, axis=-1))


class Dirichlet(Distribution):
    r"""Dirichlet distribution over probability vectors of length K.

    $$
    p(x) = \frac{1}{B(\alpha)} \prod_{i=1}^{K} x_i^{\alpha_i - 1}, \qquad
    B(\alpha) = \frac{\prod_i \Gamma(\alpha_i)}{\Gamma(\sum_i \alpha_i)},
    $$

    on the simplex {x_i ≥ 0, Σ x_i = 1}. ``log_prob`` is −inf off the simplex (a negative
    entry, or a sum that differs from 1 by more than a few ulp, see
    ``checks.probability_tolerance``). Mean α/S, variance α(S − α)/(S²(S + 1)) with S = Σ
    α_i (the marginal variances; ``variance`` has shape ``[..., K]``).

    Args:
        concentration: α > 0, shape ``[..., K]`` (the last axis is the event; K ≥ 1).
        validate_args: check the parameter constraints (one host round trip).

    ``batch_shape`` is the parameter shape without its last axis, ``event_shape`` is (K,).
    ``sample`` is reparameterized (``jax.random.dirichlet``, normalized Gamma variates with
    implicit gradients). ``entropy`` is log B(α) + (S − K)ψ(S) − Σ (α_i − 1)ψ(α_i),
    computed without cancellation as −KL(Dirichlet(α) ‖ Dirichlet(1)) − lgamma(K).

    Examples:
        >>> from jaxkl.distributions import Dirichlet
        >>> d = Dirichlet([2.0, 3.0, 5.0])
        >>> round(float(d.log_prob([0.2, 0.3, 0.5])), 4)  # scipy.stats.dirichlet([2, 3, 5]).logpdf(...)
        2.1407
        >>> d.event_shape
        (3,)
    """

    concentration: jax.Array
    arg_constraints = {"concentration": "positive"}
    reparameterized = True

    def __init__(self, concentration: ArrayLike, *, validate_args: bool = False):
        (concentration,) = promote_params("Dirichlet", concentration=concentration)
        if concentration.ndim < 1:
            raise ValueError(
                f"Dirichlet: `concentration` must have at least one (event) axis; got shape {concentration.shape}"
            )
        self._set(concentration=concentration)
        self._validate(validate_args)

    def _param_event_ndims(self, name: str) -> int:
        return 1

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.concentration.shape[-1],)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        k = self.event_shape[0]
        if x.ndim < 1 or x.shape[-1] != k:
            raise ValueError(f"Dirichlet.log_prob: the value must have last axis {k}; got shape {x.shape}")
        (alpha,) = self.broadcast_params("concentration")
        tol = checks.probability_tolerance(x.dtype, k)
        inside = jnp.all(x >= 0, axis=-1) & (jnp.abs(jnp.sum(x, axis=-1) - 1.0) <= tol)
        xs = jnp.where(inside[..., None], x, 1.0 / k)
        lp = jnp.sum(xlogy(alpha - 1.0, xs), axis=-1) - log_beta(alpha)
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        (alpha,) = self.broadcast_params("concentration")
        shape = self._sample_shape(sample_shape)
        return jax.random.dirichlet(key, jnp.broadcast_to(alpha, shape), shape[:-1], self.dtype)

    def entropy(self) -> jax.Array:
        (alpha,) = self.broadcast_params("concentration")
        k = self.event_shape[0]
        return -log_beta_bregman(alpha, jnp.ones_like(alpha)) - gammaln(jnp.asarray(float(k), alpha.dtype))

    @property
    def mean(self) -> jax.Array:
        (alpha,) = self.broadcast_params("concentration")
        return alpha / jnp.sum(alpha, axis=-1, keepdims=True)

    @property
    def variance(self) -> jax.Array:
        (alpha,) = self.broadcast_params("concentration")
        s = jnp.sum(alpha, axis=-1, keepdims=True)
        return (alpha / s) * ((s - alpha) / s) / (s + 1.0)
