"""The Multinomial distribution: counts of K categories in ``total_count`` draws.

Like ``Categorical``, it takes exactly one of ``probs`` or ``logits`` (last axis = the K
categories), stores the one it was given and derives the other. It shares that storage
with the categorical families (``CategoricalParams``) but is not a subclass of either,
so no Categorical formula is dispatched to it.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from jax.typing import ArrayLike

from .._math import xmul
from ._base import is_integer, value_array
from .categorical import CategoricalParams

__all__ = ["Multinomial"]


class Multinomial(CategoricalParams):
    r"""Multinomial distribution: the counts x_1, …, x_K of K categories in n draws.

    $$
    P(x) = \frac{n!}{x_1! \cdots x_K!} \prod_{k=1}^{K} p_k^{x_k}
    $$

    for non-negative integers with Σ x_k = n, where p = ``probs`` or p =
    softmax(``logits``). Pass exactly one of them.

    Args:
        total_count: number of draws n, a non-negative integer (stored as a float array, a
            pytree leaf), broadcasting against the batch shape of p.
        probs: probabilities ``[..., K]`` summing to 1 along the last axis.
        logits: unnormalized log-probabilities ``[..., K]`` (``-inf`` allowed).
        validate_args: check the parameter constraints (one host round trip).

    ``batch_shape`` is the broadcast of ``total_count``'s shape and the parameter shape
    without its last axis; ``event_shape`` is (K,). ``log_prob`` is −inf for values that
    are not non-negative integer vectors summing to n. ``sample`` draws the counts by
    sequential conditional Binomials (works with a traced ``total_count``), returns
    integers and is not reparameterized. ``mean`` is n·p, ``variance`` n·p·(1 − p).

    Examples:
        >>> from jaxkl.distributions import Multinomial
        >>> d = Multinomial(10, probs=[0.2, 0.3, 0.5])
        >>> round(float(d.log_prob([2, 3, 5])), 4)  # scipy.stats.multinomial(10, [0.2, 0.3, 0.5]).logpmf([2, 3, 5])
        -2.4645
        >>> d.event_shape
        (3,)
    """

    total_count: jax.Array
    _probs: jax.Array | None
    _logits: jax.Array | None
    arg_constraints = {"total_count": "nonnegative_integer", "_probs": "simplex", "_logits": "logits"}

    def __init__(
        self,
        total_count: ArrayLike = 1,
        probs: ArrayLike | None = None,
        logits: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ):
        self._init_given(probs, logits, validate_args, category_axis=True, total_count=total_count)

    def _param_event_ndims(self, name: str) -> int:
        return 0 if name == "total_count" else 1

    @property
    def event_shape(self) -> tuple[int, ...]:
        return (self.num_categories,)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        k = self.num_categories
        if x.ndim < 1 or x.shape[-1] != k:
            raise ValueError(f"Multinomial.log_prob: the value must have last axis {k}; got shape {x.shape}")
        (n,) = self.broadcast_params("total_count")
        lp = self.log_probs
        ok = jnp.all(is_integer(x) & (x >= 0), axis=-1)
        inside = ok & (jnp.sum(jnp.where(ok[..., None], x, 0.0), axis=-1) == n)
        xs = jnp.where(inside[..., None], x, 0.0)
        out = gammaln(n + 1.0) + jnp.sum(xmul(xs, lp) - gammaln(xs + 1.0), axis=-1)
        return jnp.where(inside, out, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        """Counts ``sample_shape + batch_shape + (K,)``, x_k ~ Binomial(n − Σ_{j<k} x_j, p_k/Σ_{j≥k} p_j)."""
        shape = self._sample_shape(sample_shape)
        (n,) = self.broadcast_params("total_count")
        p = jnp.broadcast_to(self.probs, shape)
        # conditional success probability of category k given that the draw is not in j < k
        tail = jnp.flip(jnp.cumsum(jnp.flip(p, -1), -1), -1)
        cond = jnp.clip(p / jnp.where(tail > 0, tail, 1.0), 0.0, 1.0)
        cond = cond.at[..., -1].set(1.0)
        keys = jax.random.split(key, shape[-1])

        def step(left, kc):
            k, c = kc
            x = jax.random.binomial(k, left, c, shape[:-1], self.dtype)
            x = jnp.minimum(x, left)
            return left - x, x

        left = jnp.broadcast_to(n, shape[:-1])
        _, xs = jax.lax.scan(step, left, (keys, jnp.moveaxis(cond, -1, 0)))
        return jnp.moveaxis(xs, 0, -1).astype(jnp.result_type(int))

    def entropy(self) -> jax.Array:
        """−log n! − n·Σ p_k·log p_k + Σ_k E[log X_k!], X_k ~ Binomial(n, p_k), summed over 0 … max n.

        Raises:
            NotImplementedError: ``total_count`` is traced (under ``jit``/``vmap``), so
                the length of the sum is unknown.
        """
        if isinstance(self.total_count, jax.core.Tracer):
            raise NotImplementedError(
                "Multinomial.entropy sums over the counts and needs a concrete total_count; "
                "call it outside jit/vmap or estimate it as -mean(log_prob(samples))"
            )
        (n,) = self.broadcast_params("total_count")
        lp = self.log_probs
        p = jnp.exp(lp)
        kmax = int(np.max(np.asarray(self.total_count))) if np.size(self.total_count) else 0
        j = jnp.arange(kmax + 1, dtype=self.dtype).reshape((-1,) + (1,) * (lp.ndim))
        nn = n[..., None]
        inside = j <= nn
        js = jnp.where(inside, j, 0.0)
        log_pmf = (
            gammaln(nn + 1.0) - gammaln(js + 1.0) - gammaln(nn - js + 1.0) + xmul(js, lp) + xmul(nn - js, jnp.log1p(-p))
        )
        pmf = jnp.where(inside, jnp.exp(log_pmf), 0.0)
        e_log_fact = jnp.sum(pmf * gammaln(js + 1.0), axis=0)
        return jnp.sum(e_log_fact - n[..., None] * xmul(p, lp), axis=-1) - gammaln(n + 1.0)

    @property
    def mean(self) -> jax.Array:
        (n,) = self.broadcast_params("total_count")
        return n[..., None] * self.probs

    @property
    def variance(self) -> jax.Array:
        (n,) = self.broadcast_params("total_count")
        p = self.probs
        return n[..., None] * p * (1.0 - p)
