"""Categorical over K categories (integer values), and the probs-or-logits storage it shares
with OneHotCategorical and Multinomial.

Both take exactly one of ``probs`` or ``logits`` along the last axis (every leading axis
is a batch axis) and store the one they were given; the other is a derived property.
``probs`` are used as given: they must sum to 1 within ``checks.probability_tolerance``
(farther from 1 they are outside the domain and every method gives NaN;
``validate_args=True`` raises);
``logits`` are unnormalized log-probabilities, ``-inf`` marking an impossible category.
The two classes are separate (neither subclasses the other), so a KL between a
Categorical and a OneHotCategorical, whose values live in different spaces, is not
silently dispatched to either family's formula.
"""

from __future__ import annotations

from typing import Any, cast

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import safe_log, xmul
from ._base import Distribution, ProbsOrLogits, is_integer, value_array
from ._support import DISCRETE, Support
from .bernoulli import BinaryParams

__all__ = ["Categorical"]


class CategoricalParams(ProbsOrLogits, Distribution):
    """Shared storage and derived quantities of the two categorical families."""

    support = Support(DISCRETE)

    _probs: jax.Array | None
    _logits: jax.Array | None
    arg_constraints = {"_probs": "simplex", "_logits": "logits"}
    _names = BinaryParams._names
    _validate = cast(Any, BinaryParams._validate)

    def __repr__(self) -> str:
        return Distribution.__repr__(self).replace("_probs=", "probs=").replace("_logits=", "logits=")

    def __init__(self, probs: ArrayLike | None = None, logits: ArrayLike | None = None, *, validate_args: bool = False):
        self._init_given(probs, logits, validate_args, category_axis=True)

    def _param_event_ndims(self, name: str) -> int:
        return 1

    @property
    def num_categories(self) -> int:
        """K, the size of the last axis of the parameter."""
        given = cast(jax.Array, self._probs if self._probs is not None else self._logits)
        return given.shape[-1]

    @property
    def probs(self) -> jax.Array:
        """Probabilities ``[..., K]`` (softmax of the logits when logits were given)."""
        if self._probs is not None:
            return self.broadcast_params("_probs")[0]
        return jax.nn.softmax(self.broadcast_params("_logits")[0], axis=-1)

    @property
    def logits(self) -> jax.Array:
        """Normalized log-probabilities ``[..., K]`` (log probs, −inf at 0, when probs were given)."""
        return self.log_probs

    @property
    def log_probs(self) -> jax.Array:
        """log P(k) for every category, ``[..., K]``, normalized."""
        if self._probs is not None:
            return safe_log(self.broadcast_params("_probs")[0])
        a = self.broadcast_params("_logits")[0]
        m = jax.lax.stop_gradient(jnp.max(a, axis=-1, keepdims=True))
        m = jnp.where(jnp.isfinite(m), m, 0.0)
        z = jnp.sum(jnp.exp(a - m), axis=-1, keepdims=True)
        return (a - m) - jnp.log(z)

    def entropy(self) -> jax.Array:
        """−Σ_k p_k·log p_k (categories with p_k = 0 contribute 0)."""
        lp = self.log_probs
        return 0.0 - jnp.sum(xmul(jnp.exp(lp), lp), axis=-1)


class Categorical(CategoricalParams):
    """Categorical distribution over {0, …, K − 1}, K the size of the last parameter axis.

    P(X = k) = p_k with p = ``probs`` or p = softmax(``logits``). Pass exactly one.

    Args:
        probs: probabilities ``[..., K]`` summing to 1 along the last axis.
        logits: unnormalized log-probabilities ``[..., K]`` (``-inf`` allowed).
        validate_args: check the parameter constraints (one host round trip).

    ``batch_shape`` is the parameter shape without its last axis; ``event_shape`` is ().
    ``log_prob`` is −inf for values that are not integers in [0, K). ``sample`` returns
    integer indices and is not reparameterized. ``mean`` and ``variance`` are NaN (the
    categories are unordered), as in numpyro.

    Examples:
        >>> from jaxkl.distributions import Categorical
        >>> d = Categorical(probs=[0.2, 0.3, 0.5])
        >>> round(float(d.log_prob(2)), 4)  # log 0.5
        -0.6931
        >>> round(float(d.entropy()), 4)  # scipy.stats.entropy([0.2, 0.3, 0.5])
        1.0297
    """

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        k = self.num_categories
        lp = self.log_probs
        shape = jnp.broadcast_shapes(x.shape, self.batch_shape)
        inside = is_integer(x) & (x >= 0) & (x < k)
        idx = jnp.broadcast_to(jnp.where(inside, x, 0.0).astype(jnp.int32), shape)
        lp = jnp.broadcast_to(lp, shape + (k,))
        out = jnp.take_along_axis(lp, idx[..., None], axis=-1)[..., 0]
        return jnp.where(inside, out, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        return jax.random.categorical(key, self.log_probs, axis=-1, shape=shape).astype(jnp.result_type(int))

    @property
    def mean(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.nan, self.dtype)

    @property
    def variance(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.nan, self.dtype)
