"""Binomial(total_count, probs | logits): the number of successes in ``total_count`` trials."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from jax.typing import ArrayLike

from .._math import xmul
from ._base import is_integer, value_array
from ._support import DISCRETE, Support
from .bernoulli import BinaryParams

__all__ = ["Binomial"]


class Binomial(BinaryParams):
    r"""Binomial distribution: successes in ``total_count`` independent Bernoulli(p) trials.

    $$
    P(X = k) = \binom{n}{k} p^k (1 - p)^{n - k}, \qquad k \in \{0, \dots, n\}.
    $$

    Pass exactly one of
    ``probs`` or ``logits``.

    Args:
        total_count: number of trials n, a non-negative integer (stored as a float array;
            a pytree leaf like the other parameters), broadcasting against p.
        probs: success probability p ∈ [0, 1].
        logits: log-odds of p (±inf allowed).
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` returns integers and is not reparameterized. ``entropy`` sums over the
    support, so it needs a concrete ``total_count`` (not a tracer under ``jit``/``vmap``).

    Examples:
        >>> from jaxkl.distributions import Binomial
        >>> d = Binomial(10, probs=0.3)
        >>> round(float(d.log_prob(3)), 4)  # scipy.stats.binom(10, 0.3).logpmf(3)
        -1.3212
        >>> round(float(d.mean), 4)  # n·p
        3.0
    """

    support = Support(DISCRETE)

    total_count: jax.Array
    _probs: jax.Array | None
    _logits: jax.Array | None
    arg_constraints = {"total_count": "nonnegative_integer", "_probs": "unit_interval", "_logits": "real_or_inf"}

    def __init__(
        self,
        total_count: ArrayLike = 1,
        probs: ArrayLike | None = None,
        logits: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ):
        self._init_given(probs, logits, validate_args, total_count=total_count)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        (n,) = self.broadcast_params("total_count")
        _, _, lp1, lp0 = self.probability_parts()
        inside = is_integer(x) & (x >= 0) & (x <= n)
        xs = jnp.where(inside, x, 0.0)
        log_comb = gammaln(n + 1.0) - gammaln(xs + 1.0) - gammaln(n - xs + 1.0)
        lp = log_comb + xmul(xs, lp1) + xmul(n - xs, lp0)
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        (n,) = self.broadcast_params("total_count")
        p, _, _, _ = self.probability_parts()
        k = jax.random.binomial(key, jnp.broadcast_to(n, shape), jnp.broadcast_to(p, shape), shape, self.dtype)
        return k.astype(jnp.result_type(int))

    def entropy(self) -> jax.Array:
        """−Σ_k P(k)·log P(k), summed over k = 0 … max(total_count).

        Raises:
            NotImplementedError: ``total_count`` is traced (under ``jit``/``vmap``), so
                the length of the sum is unknown.
        """
        if isinstance(self.total_count, jax.core.Tracer):
            raise NotImplementedError(
                "Binomial.entropy sums over the support and needs a concrete total_count; "
                "call it outside jit/vmap or estimate it as -mean(log_prob(samples))"
            )
        kmax = int(np.max(np.asarray(self.total_count))) if np.size(self.total_count) else 0
        k = jnp.arange(kmax + 1, dtype=self.dtype).reshape((-1,) + (1,) * len(self.batch_shape))
        lp = self.log_prob(k)
        return 0.0 - jnp.sum(xmul(jnp.exp(lp), lp), axis=0)

    @property
    def mean(self) -> jax.Array:
        (n,) = self.broadcast_params("total_count")
        return n * self.probability_parts()[0]

    @property
    def variance(self) -> jax.Array:
        (n,) = self.broadcast_params("total_count")
        p1, p0, _, _ = self.probability_parts()
        return n * p1 * p0
