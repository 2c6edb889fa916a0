"""Discrete families on the integers: Bernoulli, Binomial, Geometric, Poisson.

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

import math
from typing import TYPE_CHECKING, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from jax.typing import ArrayLike

from .. import checks
from .._math import compute_dtype
from ._base import Distribution, promote_params
from ._support import DISCRETE, Support

__all__ = ["Bernoulli", "Binomial", "Geometric", "Poisson"]


def value_array(d: Distribution, x: ArrayLike) -> jax.Array:
    """``x`` as an array of the compute dtype of ``x`` and the parameters of ``d``."""
    x = jnp.asarray(x)
    return x.astype(compute_dtype(d.dtype, x.dtype))


def is_integer(x: jax.Array) -> jax.Array:
    """Element-wise: x is a finite integer."""
    return jnp.isfinite(x) & (x == jnp.floor(x))


def check_one_of(cls_name: str, probs, logits) -> None:
    """Exactly one of ``probs`` and ``logits`` must be given."""
    if (probs is None) == (logits is None):
        got = "both" if probs is not None else "neither"
        raise ValueError(f"{cls_name}: pass exactly one of `probs` or `logits` (got {got})")


def safe_log(x: jax.Array) -> jax.Array:
    """log(x) for x ≥ 0, −inf at 0, with a finite (zero) gradient there."""
    pos = x > 0
    return jnp.where(pos, jnp.log(jnp.where(pos, x, 1.0)), -jnp.inf)


def safe_log1m(x: jax.Array) -> jax.Array:
    """log(1 − x) for x ≤ 1, −inf at 1, with a finite (zero) gradient there."""
    below = x < 1
    return jnp.where(below, jnp.log1p(-jnp.where(below, x, 0.0)), -jnp.inf)


def xmul(x: jax.Array, log_y: jax.Array) -> jax.Array:
    """x·log_y with 0 where x = 0 (also when log_y = −inf), gradients finite there."""
    live = x != 0
    return jnp.where(live, x * jnp.where(live, log_y, 0.0), 0.0)


class BinaryParams(Distribution):
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
        check_one_of("Bernoulli", probs, logits)
        probs, logits = promote_params("Bernoulli", probs=probs, logits=logits)
        self._set(_probs=probs, _logits=logits)
        self._validate(validate_args)

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
        check_one_of("Binomial", probs, logits)
        total_count, probs, logits = cast(
            "tuple[jax.Array, jax.Array | None, jax.Array | None]",
            promote_params("Binomial", total_count=total_count, probs=probs, logits=logits),
        )
        self._set(total_count=total_count, _probs=probs, _logits=logits)
        self._validate(validate_args)

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
        check_one_of("Geometric", probs, logits)
        probs, logits = promote_params("Geometric", probs=probs, logits=logits)
        self._set(_probs=probs, _logits=logits)
        self._validate(validate_args)

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


# log k! for the direct entropy sum, and the switch to the asymptotic series.
_POISSON_TERMS = 160
_POISSON_SWITCH = 50.0
_LOG_FACTORIALS = np.array([math.lgamma(k + 1.0) for k in range(_POISSON_TERMS)])
# H(λ) = ½·log(2πeλ) − Σ_j c_j / λ^j, the asymptotic series of Evans, Boersma, Blachman and
# Jagers (1988), c_j derived from Stirling's series and the central moments of the Poisson
# distribution; with 14 terms it is accurate to ~1e-17 relative for λ ≥ 50.
_POISSON_ENTROPY_SERIES = (
    1.0 / 12.0,
    1.0 / 24.0,
    19.0 / 360.0,
    9.0 / 80.0,
    863.0 / 2520.0,
    1375.0 / 1008.0,
    33953.0 / 5040.0,
    57281.0 / 1440.0,
    3250433.0 / 11880.0,
    378351.0 / 176.0,
    13695779093.0 / 720720.0,
    24466579093.0 / 131040.0,
    132282840127.0 / 65520.0,
    34315463689.0 / 1440.0,
)


class Poisson(Distribution):
    r"""Poisson distribution with mean ``rate`` (λ), on the counts {0, 1, 2, …}.

    $$
    P(X = k) = \frac{\lambda^k e^{-\lambda}}{k!}, \qquad k \in \{0, 1, 2, \dots\}.
    $$

    λ = 0 is allowed (the point mass at 0).

    Args:
        rate: the mean λ ≥ 0, any shape.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` returns integers and is not reparameterized. ``entropy`` has no closed
    form: it is summed over k < 160 for λ < 50 and taken from its asymptotic series
    ½·log(2πeλ) − 1/(12λ) − 1/(24λ²) − 19/(360λ³) − … above.

    Examples:
        >>> from jaxkl.distributions import Poisson
        >>> d = Poisson(3.0)
        >>> round(float(d.log_prob(2)), 4)  # scipy.stats.poisson(3).logpmf(2)
        -1.4959
        >>> round(float(d.entropy()), 4)  # scipy.stats.poisson(3).entropy()
        1.9315
    """

    support = Support(DISCRETE, 0.0)

    rate: jax.Array
    arg_constraints = {"rate": "nonnegative"}

    def __init__(self, rate: ArrayLike, *, validate_args: bool = False):
        (rate,) = promote_params("Poisson", rate=rate)
        self._set(rate=rate)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = value_array(self, x)
        (rate,) = self.broadcast_params("rate")
        inside = is_integer(x) & (x >= 0)
        xs = jnp.where(inside, x, 0.0)
        return jnp.where(inside, xmul(xs, safe_log(rate)) - rate - gammaln(xs + 1.0), -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        (rate,) = self.broadcast_params("rate")
        return jax.random.poisson(key, jnp.broadcast_to(rate, shape), shape).astype(jnp.result_type(int))

    def entropy(self) -> jax.Array:
        (rate,) = self.broadcast_params("rate")
        return poisson_entropy(rate)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("rate")[0]

    @property
    def variance(self) -> jax.Array:
        return self.broadcast_params("rate")[0]


def poisson_entropy(rate: jax.Array) -> jax.Array:
    """Entropy of Poisson(rate): a direct sum below the switch, the asymptotic series above."""
    small = rate < _POISSON_SWITCH
    lam = jnp.where(small, rate, 1.0)
    k = jnp.arange(_POISSON_TERMS, dtype=rate.dtype)
    lf = jnp.asarray(_LOG_FACTORIALS, rate.dtype)
    lp = xmul(k, safe_log(lam)[..., None]) - lam[..., None] - lf
    direct = 0.0 - jnp.sum(xmul(jnp.exp(lp), lp), axis=-1)
    big = jnp.where(small, _POISSON_SWITCH, rate)
    w = 1.0 / big
    acc = jnp.zeros_like(big)
    for c in reversed(_POISSON_ENTROPY_SERIES):
        acc = (acc + c) * w
    series = 0.5 * jnp.log(2.0 * math.pi * math.e * big) - acc
    return jnp.where(small, direct, series)
