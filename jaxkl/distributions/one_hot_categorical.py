"""OneHotCategorical(probs | logits): one-hot vectors over K categories (see ``categorical``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import value_array
from .categorical import CategoricalParams

__all__ = ["OneHotCategorical"]


class OneHotCategorical(CategoricalParams):
    """One-hot categorical distribution: a one-hot vector of length K with P(e_k) = p_k.

    Pass exactly one of ``probs`` or ``logits`` (last axis = the K categories).

    Args:
        probs: probabilities ``[..., K]`` summing to 1 along the last axis.
        logits: unnormalized log-probabilities ``[..., K]`` (``-inf`` allowed).
        validate_args: check the parameter constraints (one host round trip).

    ``event_shape`` is (K,). ``log_prob`` is −inf for a value that is not a one-hot vector.
    ``sample`` returns one-hot integer vectors and is not reparameterized. ``mean`` is p,
    ``variance`` p·(1 − p).

    Examples:
        >>> from jaxkl.distributions import OneHotCategorical
        >>> d = OneHotCategorical(probs=[0.2, 0.3, 0.5])
        >>> round(float(d.log_prob([0, 0, 1])), 4)  # log 0.5
        -0.6931
        >>> d.event_shape
        (3,)
    """

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.num_categories,)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        if x.ndim < 1 or x.shape[-1] != self.num_categories:
            raise ValueError(
                f"OneHotCategorical.log_prob: the value must have last axis {self.num_categories}; got shape {x.shape}"
            )
        lp = self.log_probs
        valid = jnp.all((x == 0) | (x == 1), axis=-1) & (jnp.sum(x, axis=-1) == 1)
        out = jnp.sum(jnp.where(x == 1, lp, 0.0), axis=-1)
        return jnp.where(valid, out, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)[:-1]
        idx = jax.random.categorical(key, self.log_probs, axis=-1, shape=shape)
        return jax.nn.one_hot(idx, self.num_categories, dtype=jnp.result_type(int))

    @property
    def mean(self) -> jax.Array:
        return self.probs

    @property
    def variance(self) -> jax.Array:
        p = self.probs
        return p * (1.0 - p)
