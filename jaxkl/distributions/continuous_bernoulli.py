"""The continuous Bernoulli distribution on [0, 1], and its special functions.

The continuous Bernoulli distribution CB(λ) (Loaiza-Ganem & Cunningham, 2019) has the
density C(λ)·λ^x (1 − λ)^(1−x) on [0, 1]. With η = logit(λ) and u = η/2 it is the
exponential family p(x) = exp(η·x − A(η)), A(η) = log((e^η − 1)/η) = u + S(u), where

    S(u) = log(sinh(u)/u)     (even, convex, S(0) = 0),
    L(u) = S'(u) = coth(u) − 1/u     (the Langevin function),
    L'(u) = 1/u² − 1/sinh²(u),
    N(u) = u·L(u) − S(u) ≥ 0.

Everything follows from these: log p(x) = η(x − ½) − S(u), the mean is ½ + L(u)/2, the
variance L'(u)/4 and the entropy −N(u). Each cancels catastrophically near λ = ½ (u = 0)
in its textbook form (torch switches to a Taylor expansion around ½ for C(λ) and the
mean); here all four are evaluated by their Taylor series in u² for |u| ≤ 1 (18 terms in
float64, 9 in float32, coefficients 2^(2n)·B_2n/(2n)! from the Bernoulli numbers) and by
forms in e^(−2|u|) without cancellation beyond, so they keep relative accuracy for every λ
in (0, 1).
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._base import Distribution, ProbsOrLogits
from ._support import INTERVAL, Support

__all__ = ["ContinuousBernoulli"]


def cb_cross(u: jax.Array, m: jax.Array, one_m: jax.Array) -> jax.Array:
    """A(η) − η·m = S(u) + u·(1 − 2m), η = 2u: minus E[log CB(η) density] for a law of mean m.

    For |u| > 1, with S(u) = |u| − log(2|u|) + log1p(−e^(−2|u|)), the terms of size |u| are
    combined analytically into 2|u|·m (u < 0) or 2|u|·(1 − m) (u > 0), so a continuous
    Bernoulli that is nearly an exponential at one end costs no accuracy. ``one_m`` = 1 − m
    is passed separately so that callers can form it exactly.
    """
    near = jnp.abs(u) <= 1.0
    un = jnp.where(near, u, 0.0)
    v = jnp.where(near, 1.0, jnp.abs(u))
    far = 2.0 * v * jnp.where(u < 0, m, one_m) - jnp.log(2.0 * v) + jnp.log1p(-jnp.exp(-2.0 * v))
    return jnp.where(near, cb_log_sinhc(un) + un * (one_m - m), far)


def _bernoulli_even(n: int) -> list[Fraction]:
    """B_2, B_4, ..., B_2n (exact), from the Akiyama–Tanigawa recurrence."""
    out, a = [], []
    for m in range(2 * n + 1):
        a.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            a[j - 1] = j * (a[j - 1] - a[j])
        if m >= 2 and m % 2 == 0:
            out.append(a[0])
    return out


_N_SERIES = 18


# c_n = 2^(2n) B_2n / (2n)!: L(u) = coth(u) − 1/u = Σ c_n u^(2n−1).
_C = [Fraction(4**k) * b / math.factorial(2 * k) for k, b in zip(range(1, _N_SERIES + 1), _bernoulli_even(_N_SERIES))]


_COEF_S = tuple(float(c / (2 * k)) for k, c in enumerate(_C, 1))  # S = Σ c_n t^n / (2n)


_COEF_L = tuple(float(c) for c in _C)  # L = u Σ c_n t^(n−1)


_COEF_DL = tuple(float((2 * k - 1) * c) for k, c in enumerate(_C, 1))  # L' = Σ (2n−1) c_n t^(n−1)


_COEF_N = tuple(float(c * Fraction(2 * k - 1, 2 * k)) for k, c in enumerate(_C, 1))  # N = Σ c_n (1 − 1/2n) t^n


def _horner(t: jax.Array, coefs: tuple[float, ...]) -> jax.Array:
    n = _N_SERIES if t.dtype == np.float64 else 9
    acc = jnp.full_like(t, coefs[n - 1])
    for c in reversed(coefs[: n - 1]):
        acc = acc * t + c
    return acc


def _split(u: jax.Array):
    """(near, t = u² on the series branch, |u| ≥ 1 on the other branch)."""
    near = jnp.abs(u) <= 1.0
    us = jnp.where(near, u, 0.0)
    v = jnp.where(near, 1.0, jnp.abs(u))
    return near, us, us * us, v


@jax.jit
def cb_log_sinhc(u: jax.Array) -> jax.Array:
    """S(u) = log(sinh(u)/u) ≥ 0."""
    near, _, t, v = _split(u)
    far = v - jnp.log(2.0 * v) + jnp.log1p(-jnp.exp(-2.0 * v))
    return jnp.where(near, t * _horner(t, _COEF_S), far)


@jax.jit
def cb_langevin(u: jax.Array) -> jax.Array:
    """L(u) = coth(u) − 1/u = S'(u), odd, in (−1, 1)."""
    near, us, t, v = _split(u)
    far = 1.0 + 2.0 / jnp.expm1(2.0 * v) - 1.0 / v
    return jnp.where(near, us * _horner(t, _COEF_L), jnp.sign(u) * far)


@jax.jit
def cb_langevin_prime(u: jax.Array) -> jax.Array:
    """L'(u) = 1/u² − 1/sinh²(u) = S''(u) ∈ (0, 1/3]."""
    near, _, t, v = _split(u)
    e = jnp.exp(-2.0 * v)
    one_me = -jnp.expm1(-2.0 * v)
    far = 1.0 / (v * v) - 4.0 * e / (one_me * one_me)
    return jnp.where(near, _horner(t, _COEF_DL), far)


@jax.jit
def cb_neg_entropy(u: jax.Array) -> jax.Array:
    """N(u) = u·L(u) − S(u) ≥ 0: minus the entropy, and KL(CB ‖ Uniform(0, 1))."""
    near, _, t, v = _split(u)
    far = jnp.log(2.0 * v) - 1.0 + 2.0 * v / jnp.expm1(2.0 * v) - jnp.log1p(-jnp.exp(-2.0 * v))
    return jnp.where(near, t * _horner(t, _COEF_N), far)


def _logit(p: jax.Array) -> jax.Array:
    """log(p/(1 − p)), accurate near p = ½ (where 2p − 1 and 1 − p are exact)."""
    mid = (p >= 0.25) & (p <= 0.75)
    pm = jnp.where(mid, p, 0.5)
    pf = jnp.where(mid, 0.1, p)
    return jnp.where(mid, jnp.log1p((2.0 * pm - 1.0) / (1.0 - pm)), jnp.log(pf) - jnp.log1p(-pf))


class ContinuousBernoulli(ProbsOrLogits, Distribution):
    r"""Continuous Bernoulli distribution with parameter ``probs`` (λ) or ``logits`` (η = logit λ).

    $$
    p(x) = C(\lambda)\, \lambda^x (1 - \lambda)^{1 - x}, \qquad 0 \le x \le 1, \qquad
    C(\lambda) = \frac{2 \operatorname{atanh}(1 - 2\lambda)}{1 - 2\lambda}
    $$

    with C(½) = 2; ``log_prob`` is −inf outside [0, 1]. λ is not the mean: the mean is
    λ/(2λ − 1) + 1/(2·atanh(1 − 2λ)) (½ at λ = ½). Written in η, p(x) = η·e^(ηx)/(e^η − 1),
    an exponential family in x; see the docstring of the module ``jaxkl.distributions.continuous_bernoulli``
    for how every quantity stays accurate near λ = ½, where the textbook forms are 0/0.

    Args:
        probs: λ ∈ (0, 1); 0 and 1 (point masses, not continuous Bernoullis) are outside the
            domain: every method and KL gives NaN there.
        logits: η ∈ ℝ, finite (give exactly one of ``probs`` and ``logits``).
        validate_args: check the parameter constraint (one host round trip).

    ``sample`` is reparameterized by the inverse CDF, X = log1p(U·(e^η − 1))/η, evaluated on
    the side of the decreasing exponential.

    References:
        Loaiza-Ganem, G. and Cunningham, J. P., "The continuous Bernoulli: fixing a pervasive
        error in variational autoencoders", 2019.

    Examples:
        >>> from jaxkl.distributions import ContinuousBernoulli
        >>> d = ContinuousBernoulli(probs=0.2)
        >>> round(float(d.log_prob(0.5)), 4)  # log(C(λ)·√(λ(1 − λ))), C(λ) = 2·atanh(1 − 2λ)/(1 − 2λ)
        -0.0788
        >>> round(float(d.mean), 4)  # λ/(2λ − 1) + 1/(2·atanh(1 − 2λ))
        0.388
    """

    support = Support(INTERVAL, 0.0, 1.0)

    _probs: jax.Array | None
    _logits: jax.Array | None
    arg_constraints = {"_probs": "open_unit_interval", "_logits": "real"}
    reparameterized = True

    def __init__(self, probs: ArrayLike | None = None, logits: ArrayLike | None = None, *, validate_args: bool = False):
        if (probs is None) == (logits is None):
            raise ValueError("ContinuousBernoulli: give exactly one of `probs` and `logits`")
        self._init_given(probs, logits, validate_args)

    @property
    def logits(self) -> jax.Array:
        """η = logit(λ) in the compute dtype (computed accurately from ``probs`` if those were given).

        The formulas read η in [log tiny, log(2/eps)] (λ in [tiny, 1 − eps/2]): a subnormal λ
        is read as ``tiny`` and η beyond log(2/eps) as log(2/eps). λ = 0 or 1 (η = ±inf) are
        outside the domain (NaN from every method).
        """
        dt = self.dtype
        fi = np.finfo(dt)
        if self._logits is not None:
            lo, hi = math.log(float(fi.tiny)), math.log(2.0 / float(fi.eps))
            return jnp.clip(jnp.asarray(self._logits, dt), lo, hi)
        return _logit(jnp.clip(jnp.asarray(self._probs, dt), float(fi.tiny), 1.0 - float(fi.eps) / 2.0))

    @property
    def probs(self) -> jax.Array:
        """λ in the compute dtype."""
        if self._probs is not None:
            return jnp.asarray(self._probs, self.dtype)
        return jax.nn.sigmoid(jnp.asarray(self._logits, self.dtype))

    def _u(self) -> jax.Array:
        return 0.5 * self.logits

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        eta = self.logits
        inside = (x >= 0) & (x <= 1)
        lp = eta * (x - 0.5) - cb_log_sinhc(0.5 * eta)
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        eta = jnp.broadcast_to(self.logits, self._sample_shape(sample_shape))
        u = jax.random.uniform(key, eta.shape, self.dtype)
        # Invert the CDF on the decreasing side: e = −|η| ≤ 0, X' = log1p(v·expm1(e))/e.
        e = -jnp.abs(eta)
        v = jnp.where(eta < 0, u, 1.0 - u)
        zero = e == 0
        es = jnp.where(zero, -1.0, e)
        g = jnp.where(zero, v, jnp.log1p(v * jnp.expm1(es)) / es)
        return jnp.where(eta < 0, g, 1.0 - g)

    def entropy(self) -> jax.Array:
        """−N(u) = S(u) − u·L(u), u = η/2."""
        return -cb_neg_entropy(self._u())

    @property
    def mean(self) -> jax.Array:
        return 0.5 + 0.5 * cb_langevin(self._u())

    @property
    def variance(self) -> jax.Array:
        return 0.25 * cb_langevin_prime(self._u())
