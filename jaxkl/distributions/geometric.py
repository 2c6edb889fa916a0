"""Geometric(probs | logits): the number of failures before the first success."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import xmul
from ._base import is_integer, value_array
from ._support import DISCRETE, Support
from .bernoulli import BinaryParams

__all__ = ["Geometric"]


class Geometric(BinaryParams):
    r"""Geometric distribution: failures before the first success, support {0, 1, 2, …}.

    $$
    P(X = k) = (1 - p)^k\, p, \qquad k \in \{0, 1, 2, \dots\}
    $$

    (numpyro's convention; scipy's ``geom`` counts trials, k + 1). Pass exactly one of
    ``probs`` ∈ (0, 1] or ``logits`` (+inf allowed: p = 1).

    Args:
        probs: success probability p ∈ (0, 1].
        logits: log-odds of p.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` returns integers (floor(log U / log(1 − p))) and is not reparameterized.

    Examples:
        >>> from jaxkl.distributions import Geometric
        >>> d = Geometric(probs=0.25)
        >>> round(float(d.log_prob(2)), 4)  # scipy.stats.geom(0.25, loc=-1).logpmf(2)
        -1.9617
        >>> round(float(d.mean), 4)  # (1 − p)/p
        3.0
    """

    support = Support(DISCRETE, 0.0)

    _probs: jax.Array | None
    _logits: jax.Array | None
    arg_constraints = {"_probs": "half_open_unit_interval", "_logits": "real_or_inf"}

    def __init__(self, probs: ArrayLike | None = None, logits: ArrayLike | None = None, *, validate_args: bool = False):
        self._init_given(probs, logits, validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        _, _, lp1, lp0 = self.probability_parts()
        inside = is_integer(x) & (x >= 0)
        xs = jnp.where(inside, x, 0.0)
        return jnp.where(inside, xmul(xs, lp0) + lp1, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        tiny = float(jnp.finfo(self.dtype).tiny)
        u = jax.random.uniform(key, shape, self.dtype, minval=tiny, maxval=1.0)
        _, _, _, lp0 = self.probability_parts()
        return jnp.floor(jnp.log(u) / lp0).astype(jnp.result_type(int))

    def entropy(self) -> jax.Array:
        """H = −[p·log p + (1 − p)·log(1 − p)]/p, the Bernoulli entropy over p."""
        p1, p0, lp1, lp0 = self.probability_parts()
        return -(xmul(p1, lp1) + xmul(p0, lp0)) / p1

    @property
    def mean(self) -> jax.Array:
        p1, p0, _, _ = self.probability_parts()
        return p0 / p1

    @property
    def variance(self) -> jax.Array:
        p1, p0, _, _ = self.probability_parts()
        return p0 / (p1 * p1)
