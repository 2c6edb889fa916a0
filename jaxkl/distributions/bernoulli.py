"""Bernoulli(probs | logits), and the probs-or-logits storage that Binomial and Geometric share.

Bernoulli, Binomial and Geometric take exactly one of ``probs`` or ``logits``
(``probs = sigmoid(logits)``). The object stores the one it was given (the other slot is
``None``) and derives the other on demand, so ``jax.tree`` sees only the given
parameter. Computations from logits stay in log space (``log_sigmoid``), so logits of
±1e4 (and ±inf: probability 0 or 1) give finite log-probabilities and entropies.

``log_prob`` is −inf outside the support (non-integers, negative counts, values above
``total_count``); ``sample`` returns integers of JAX's default integer dtype, as numpyro
does, and is not reparameterized.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .. import checks
from .._math import safe_log, safe_log1m, xmul
from ._base import Distribution, ProbsOrLogits, value_array
from ._support import DISCRETE, Support

__all__ = ["Bernoulli"]


class BinaryParams(ProbsOrLogits, Distribution):
    """Shared handling of a success probability given as ``probs`` or ``logits``.

    Stored in ``_probs``/``_logits`` (one of them ``None``); the public ``probs`` and
    ``logits`` are properties. Subclasses call ``probability_parts`` for accurate
    (p, 1 − p, log p, log(1 − p)): from logits these are sigmoid(±a) and log_sigmoid(±a),
    each to a few ulp relative however large |a| is.
    """

    _names = {"_probs": "probs", "_logits": "logits", "total_count": "total_count"}
    if TYPE_CHECKING:  # the subclasses' fields (declared there: annotations here would be fields of this class)
        _probs: jax.Array | None
        _logits: jax.Array | None

    def _validate(self, validate_args: bool) -> None:
        if validate_args:
            checks.validate_params(
                type(self).__name__,
                {
                    self._names.get(n, n): (getattr(self, n), c)
                    for n, c in self.arg_constraints.items()
                    if getattr(self, n) is not None
                },
                self._relation_checks(),
            )

    def __repr__(self) -> str:
        return super().__repr__().replace("_probs=", "probs=").replace("_logits=", "logits=")

    @property
    def probs(self) -> jax.Array:
        """Success probability (derived as sigmoid(logits) when logits were given)."""
        if self._probs is not None:
            return self.broadcast_params("_probs")[0]
        return jax.nn.sigmoid(self.broadcast_params("_logits")[0])

    @property
    def logits(self) -> jax.Array:
        """Log-odds log(p/(1 − p)) (derived from probs when probs were given; ±inf at 0 and 1)."""
        if self._logits is not None:
            return self.broadcast_params("_logits")[0]
        p = self.broadcast_params("_probs")[0]
        return safe_log(p) - safe_log1m(p)

    def probability_parts(self) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
        """(p, 1 − p, log p, log(1 − p)), broadcast to the batch shape."""
        if self._probs is not None:
            p = self.broadcast_params("_probs")[0]
            return p, 1.0 - p, safe_log(p), safe_log1m(p)
        a = self.broadcast_params("_logits")[0]
        return jax.nn.sigmoid(a), jax.nn.sigmoid(-a), jax.nn.log_sigmoid(a), jax.nn.log_sigmoid(-a)


class Bernoulli(BinaryParams):
    """Bernoulli distribution on {0, 1} with success probability ``probs`` = sigmoid(``logits``).

    P(X = 1) = p, P(X = 0) = 1 − p. Pass exactly one of ``probs`` (in [0, 1]) or
    ``logits`` (real, ±inf allowed: p = 0 or 1).

    Args:
        probs: success probability p ∈ [0, 1], any shape.
        logits: log-odds log(p/(1 − p)), any shape.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` returns integers in {0, 1} and is not reparameterized.

    Examples:
        >>> from jaxkl.distributions import Bernoulli
        >>> d = Bernoulli(probs=0.25)
        >>> round(float(d.log_prob(1)), 4)  # log 0.25
        -1.3863
        >>> round(float(d.entropy()), 4)  # scipy.stats.bernoulli(0.25).entropy()
        0.5623
    """

    support = Support(DISCRETE, 0.0, 1.0)

    _probs: jax.Array | None
    _logits: jax.Array | None
    arg_constraints = {"_probs": "unit_interval", "_logits": "real_or_inf"}

    def __init__(self, probs: ArrayLike | None = None, logits: ArrayLike | None = None, *, validate_args: bool = False):
        self._init_given(probs, logits, validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        _, _, lp1, lp0 = self.probability_parts()
        return jnp.where(x == 1, lp1, jnp.where(x == 0, lp0, -jnp.inf))

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        u = jax.random.uniform(key, shape, self.dtype)
        p, _, _, _ = self.probability_parts()
        return (u < p).astype(jnp.result_type(int))

    def entropy(self) -> jax.Array:
        p1, p0, lp1, lp0 = self.probability_parts()
        return 0.0 - (xmul(p1, lp1) + xmul(p0, lp0))

    @property
    def mean(self) -> jax.Array:
        return self.probability_parts()[0]

    @property
    def variance(self) -> jax.Array:
        p1, p0, _, _ = self.probability_parts()
        return p1 * p0
