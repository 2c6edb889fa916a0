"""Gamma(concentration, rate), and Stirling-series helpers shared with its relatives.

``Exponential`` and ``Chi2`` are subclasses of ``Gamma`` (concentration 1, and
concentration df/2 with rate 1/2), so every closed form registered for ``Gamma`` serves
them as well.

The entropy of a Gamma distribution, a − log b + lgamma(a) + (1 − a)ψ(a), is a difference of
terms of size a·log a; it is computed as the entropy of the Normal of the same variance
less the gap ``gamma_normal_gap(a)`` (the KL from Gamma(a, 1) to that Normal, about
1/(3a)), which keeps full relative accuracy at concentrations of 1e5 and more.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import digamma, gammaln, xlogy
from jax.typing import ArrayLike

from .._math import HALF_LOG_2PI
from .._special import stirling_dmu, stirling_mu
from ._base import Distribution, promote_params
from ._support import LOWER, Support, digamma_approx, trigamma_approx

__all__ = ["Gamma"]

_STIRLING_TERMS = 8


def _shift_terms(y: jax.Array) -> tuple[jax.Array, jax.Array]:
    """φ(y) = μ(y) − μ(y + 1) = (y + ½)·log1p(1/y) − 1 and its derivative φ'(y), for y ≥ 1.

    With x = 1/(2y + 1) and t = x²: φ = atanh(x)/x − 1 = t·Σ_{j≥1} t^(j−1)/(2j + 1) and
    φ' = −2x³·Σ_{j≥1} 2j/(2j + 1)·t^(j−1), both free of cancellation (t ≤ 1/9; 9 terms).
    """
    x = 1.0 / (2.0 * y + 1.0)
    t = x * x
    s1 = jnp.full_like(t, 1.0 / 19.0)
    s2 = jnp.full_like(t, 18.0 / 19.0)
    for j in range(8, 0, -1):
        s1 = s1 * t + 1.0 / (2 * j + 1)
        s2 = s2 * t + 2.0 * j / (2 * j + 1)
    return t * s1, -2.0 * x * t * s2


def _stirling_parts(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Stirling's remainder μ(a) = lgamma(a) − (a − ½)·log a + a − ½·log 2π (≈ 1/(12a)) and
    μ'(a) = ψ(a) − log a + 1/(2a), to a few ulp relative for a ≥ 1.

    Asymptotic series (8 terms) for a ≥ 8 in float64 and a ≥ 3 in float32 (truncation below
    1e-16 / 1e-7 relative). Below that, float64 uses the defining formulas (terms ≤ 20 that
    cancel to ≥ 0.01: about 1e-13 relative); float32 moves a ∈ [1, 3) up by the recurrence
    μ(y) = μ(y + 1) + φ(y) (see ``_shift_terms``), since there lgamma and ψ in float32 would
    leave errors of 1e-5 relative. a < 1 uses the defining formulas (no cancellation there).
    """
    if a.dtype == np.float64:
        big = a >= 8.0
        ab = jnp.where(big, a, 8.0)
        asm = jnp.where(big, 1.0, a)
        mu_direct = gammaln(asm) - (asm - 0.5) * jnp.log(asm) + asm - HALF_LOG_2PI
        dmu_direct = digamma(asm) - jnp.log(asm) + 0.5 / asm
        return (
            jnp.where(big, stirling_mu(ab, _STIRLING_TERMS), mu_direct),
            jnp.where(big, stirling_dmu(ab, _STIRLING_TERMS), dmu_direct),
        )
    small = a < 1.0
    big = jnp.where(small, 3.0, a)
    mu_shift = jnp.zeros_like(a)
    dmu_shift = jnp.zeros_like(a)
    for _ in range(2):
        active = big < 3.0
        phi, dphi = _shift_terms(jnp.where(active, big, 3.0))
        mu_shift = mu_shift + jnp.where(active, phi, 0.0)
        dmu_shift = dmu_shift + jnp.where(active, dphi, 0.0)
        big = jnp.where(active, big + 1.0, big)
    mu_series = stirling_mu(big, _STIRLING_TERMS) + mu_shift
    dmu_series = stirling_dmu(big, _STIRLING_TERMS) + dmu_shift
    asm = jnp.where(small, a, 0.5)
    mu_direct = gammaln(asm) - (asm - 0.5) * jnp.log(asm) + asm - HALF_LOG_2PI
    dmu_direct = digamma(asm) - jnp.log(asm) + 0.5 / asm
    return jnp.where(small, mu_direct, mu_series), jnp.where(small, dmu_direct, dmu_series)


def gamma_stirling_mu(a: jax.Array) -> jax.Array:
    """μ(a) = lgamma(a) − (a − ½)·log a + a − ½·log 2π, Stirling's remainder (≈ 1/(12a))."""
    return _stirling_parts(a)[0]


def gamma_normal_gap(a: jax.Array) -> jax.Array:
    """c(a) = (a − 1)ψ(a) − lgamma(a) − a + ½·log a + ½·log 2π + ½ ≥ 0.

    The KL from Gamma(a, b) to the Normal with the same mean and variance (independent of
    b): ½·log(2πe·a/b²) − H(Gamma(a, b)). With μ Stirling's remainder it equals
    (a − 1)μ'(a) − μ(a) + 1/(2a) ≈ 1/(3a) + 1/(12a²) (no cancellation), which is how it is
    computed; for a < 1 it is about 1/a.
    """
    mu, dmu = _stirling_parts(a)
    return (a - 1.0) * dmu - mu + 0.5 / a


def _gamma_log_prob(x, a, b):
    """log density of Gamma(a, rate b) with scipy's values at x = 0 and −inf for x < 0."""
    inside = x >= 0
    xs = jnp.where(inside, x, 1.0)
    lp = xlogy(a - 1.0, xs) + a * jnp.log(b) - b * xs - gammaln(a)
    return jnp.where(inside, lp, -jnp.inf)


class Gamma(Distribution):
    r"""Gamma distribution with shape ``concentration`` and inverse scale ``rate``.

    $$
    p(x) = \frac{b^a}{\Gamma(a)}\, x^{a-1} e^{-b x}, \qquad x > 0,
    $$

    with a = concentration and b = rate; ``log_prob`` is −inf for x < 0 (at x = 0 it follows
    scipy: +inf, log b or −inf for a <, =, > 1). Mean a/b, variance a/b².

    Args:
        concentration: shape a > 0.
        rate: rate b > 0, broadcasting against ``concentration``.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized: ``jax.random.gamma`` differentiates its draws
    implicitly with respect to the shape, and the rate enters as a scale.

    Examples:
        >>> from jaxkl.distributions import Gamma
        >>> d = Gamma(2.0, 0.5)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.gamma(2, scale=2).logpdf(1)
        -1.8863
        >>> round(float(d.entropy()), 4)  # scipy.stats.gamma(2, scale=2).entropy()
        2.2704
    """

    concentration: jax.Array
    rate: jax.Array
    arg_constraints = {"concentration": "positive", "rate": "positive"}
    reparameterized = True

    support = Support(LOWER, 0.0)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER and isinstance(lo, float) and lo == 0.0:
            dt = self.dtype
            a = jnp.asarray(self.concentration, dt)
            b = jnp.asarray(self.rate, dt)
            a, b = jnp.broadcast_arrays(a, b)
            return digamma_approx(a) - jnp.log(b), jnp.sqrt(trigamma_approx(a))
        return super().quadrature_centre(support)

    def __init__(self, concentration: ArrayLike, rate: ArrayLike = 1.0, *, validate_args: bool = False):
        concentration, rate = promote_params("Gamma", concentration=concentration, rate=rate)
        self._set(concentration=concentration, rate=rate)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        a, b = self.broadcast_params("concentration", "rate")
        return _gamma_log_prob(x, a, b)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        a, b = self.broadcast_params("concentration", "rate")
        shape = self._sample_shape(sample_shape)
        return jax.random.gamma(key, jnp.broadcast_to(a, shape), shape, self.dtype) / b

    def entropy(self) -> jax.Array:
        """a − log b + lgamma(a) + (1 − a)ψ(a), as ½·log(2πe·a) − log b − c(a) (see the module)."""
        a, b = self.broadcast_params("concentration", "rate")
        return (0.5 + HALF_LOG_2PI) + 0.5 * jnp.log(a) - jnp.log(b) - gamma_normal_gap(a)

    @property
    def mean(self) -> jax.Array:
        a, b = self.broadcast_params("concentration", "rate")
        return a / b

    @property
    def variance(self) -> jax.Array:
        a, b = self.broadcast_params("concentration", "rate")
        return a / (b * b)
