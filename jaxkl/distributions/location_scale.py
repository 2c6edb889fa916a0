"""Location-scale families on the real line (and their folds): Laplace, Cauchy, HalfCauchy,
Gumbel, Logistic and StudentT."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy.special import betaln, digamma, gammaln
from jax.typing import ArrayLike

from .._math import EULER, LN2, LOG_2PI, LOG_PI, log1p
from ._base import Distribution, LocScale, promote_params
from ._support import LOWER, REAL, Support

__all__ = ["Cauchy", "Gumbel", "HalfCauchy", "Laplace", "Logistic", "StudentT"]


def _log1p_square(t: jax.Array) -> jax.Array:
    """log(1 + t²) without overflow of t² (for |t| > 1 it is 2·log|t| + log1p(1/t²))."""
    big = jnp.abs(t) > 1.0
    ts = jnp.where(big, 1.0, t)
    tb = jnp.where(big, jnp.abs(t), 2.0)
    return jnp.where(big, 2.0 * jnp.log(tb) + log1p(1.0 / (tb * tb)), log1p(ts * ts))


class Laplace(LocScale):
    r"""Laplace (double exponential) distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{1}{2b} \exp\Bigl(-\frac{|x - \mu|}{b}\Bigr), \qquad x \in \mathbb{R}.
    $$

    Args:
        loc: location μ (mean and median), real.
        scale: scale b > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + b·ε with ε standard Laplace).

    Examples:
        >>> from jaxkl.distributions import Laplace
        >>> d = Laplace(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.laplace(0, 2).logpdf(1)
        -1.8863
        >>> round(float(d.variance), 4)  # 2b²
        8.0
    """

    def kinks(self) -> list[tuple[jax.Array, bool]]:
        return [(self.broadcast_params("loc")[0], False)]

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        return -jnp.abs(x - loc) / scale - jnp.log(2.0 * scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.laplace(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return 1.0 + jnp.log(2.0 * scale)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return 2.0 * scale * scale


class Cauchy(LocScale):
    r"""Cauchy distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{1}{\pi \gamma \bigl(1 + ((x - x_0)/\gamma)^2\bigr)}, \qquad x \in \mathbb{R}.
    $$

    The mean and variance are undefined (NaN, as numpyro).

    Args:
        loc: location x₀ (median), real.
        scale: scale γ > 0 (half width at half maximum).
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (x₀ + γ·ε with ε standard Cauchy).

    Examples:
        >>> from jaxkl.distributions import Cauchy
        >>> d = Cauchy(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.cauchy(0, 2).logpdf(1)
        -2.061
        >>> round(float(d.entropy()), 4)  # log(4πγ)
        3.2242
    """

    heavy_tailed = True

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        return -LOG_PI - jnp.log(scale) - _log1p_square((x - loc) / scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.cauchy(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return math.log(4.0 * math.pi) + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.nan, self.dtype)

    @property
    def variance(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.nan, self.dtype)


class HalfCauchy(Distribution):
    r"""Half-Cauchy distribution: |X| for X ~ Cauchy(0, ``scale``).

    $$
    p(x) = \frac{2}{\pi \gamma \bigl(1 + (x/\gamma)^2\bigr)}, \qquad x \ge 0;
    $$

    ``log_prob`` is −inf for x < 0. The mean and variance are infinite.

    Args:
        scale: scale γ > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (γ·|ε| with ε standard Cauchy).

    Examples:
        >>> from jaxkl.distributions import HalfCauchy
        >>> d = HalfCauchy(2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.halfcauchy(0, 2).logpdf(1)
        -1.3679
        >>> round(float(d.entropy()), 4)  # scipy.stats.halfcauchy(0, 2).entropy()
        2.531
    """

    scale: jax.Array
    arg_constraints = {"scale": "positive"}
    reparameterized = True

    support = Support(LOWER, 0.0)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        kind, lo, _ = support
        if kind == LOWER and isinstance(lo, float) and lo == 0.0:
            (s,) = self.broadcast_params("scale")
            return jnp.log(s), jnp.full_like(s, 0.5 * math.pi)
        return super().quadrature_centre(support)

    def __init__(self, scale: ArrayLike = 1.0, *, validate_args: bool = False):
        (scale,) = promote_params("HalfCauchy", scale=scale)
        self._set(scale=scale)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        (scale,) = self.broadcast_params("scale")
        inside = x >= 0
        xs = jnp.where(inside, x, 0.0)
        lp = LN2 - LOG_PI - jnp.log(scale) - _log1p_square(xs / scale)
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return scale * jnp.abs(jax.random.cauchy(key, self._sample_shape(sample_shape), self.dtype))

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return LOG_2PI + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.inf, self.dtype)

    @property
    def variance(self) -> jax.Array:
        return jnp.full(self.batch_shape, jnp.inf, self.dtype)


class Gumbel(LocScale):
    r"""Gumbel (maximum) distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{1}{\beta} e^{-z - e^{-z}}, \qquad z = \frac{x - \mu}{\beta},\ x \in \mathbb{R}.
    $$

    Mean μ + βγ (γ Euler's constant), variance π²β²/6.

    Args:
        loc: location μ (mode), real.
        scale: scale β > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + β·ε with ε standard Gumbel).

    Examples:
        >>> from jaxkl.distributions import Gumbel
        >>> d = Gumbel(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.gumbel_r(0, 2).logpdf(1)
        -1.7997
        >>> round(float(d.mean), 4)  # μ + βγ
        1.1544
    """

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + EULER * scale, (math.pi / math.sqrt(6.0)) * scale

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        z = (x - loc) / scale
        return -z - jnp.exp(-z) - jnp.log(scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.gumbel(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return jnp.log(scale) + (EULER + 1.0)

    @property
    def mean(self) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + EULER * scale

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return (math.pi**2 / 6.0) * scale * scale


class Logistic(LocScale):
    r"""Logistic distribution with location ``loc`` and scale ``scale``.

    $$
    p(x) = \frac{e^{-z}}{s\,(1 + e^{-z})^2}, \qquad z = \frac{x - \mu}{s},\ x \in \mathbb{R}.
    $$

    Mean μ, variance π²s²/3.

    Args:
        loc: location μ, real.
        scale: scale s > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (μ + s·ε with ε standard logistic).

    Examples:
        >>> from jaxkl.distributions import Logistic
        >>> d = Logistic(0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.logistic(0, 2).logpdf(1)
        -2.1413
        >>> round(float(d.entropy()), 4)  # log s + 2
        2.6931
    """

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, scale = self.broadcast_params("loc", "scale")
        az = jnp.abs((x - loc) / scale)
        return -az - 2.0 * log1p(jnp.exp(-az)) - jnp.log(scale)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc + scale * jax.random.logistic(key, self._sample_shape(sample_shape), self.dtype)

    def entropy(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return jnp.log(scale) + 2.0

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return (math.pi**2 / 3.0) * scale * scale


class StudentT(Distribution):
    r"""Student's t distribution with ``df`` degrees of freedom, location and scale.

    $$
    p(x) = \frac{\Gamma(\frac{\nu + 1}{2})}{\Gamma(\frac{\nu}{2}) \sqrt{\nu\pi}\, \sigma}
    \Bigl(1 + \frac{z^2}{\nu}\Bigr)^{-\frac{\nu + 1}{2}}, \qquad z = \frac{x - \mu}{\sigma},\ x \in \mathbb{R}.
    $$

    The mean is μ for ν > 1 (inf otherwise, as numpyro and scipy); the
    variance is σ²ν/(ν − 2) for ν > 2, inf for 1 < ν ≤ 2 and NaN for ν ≤ 1.

    Args:
        df: degrees of freedom ν > 0.
        loc: location μ, real.
        scale: scale σ > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized, in ``loc`` and ``scale`` and (through the implicit
    gradient of the gamma sampler) in ``df``.

    Examples:
        >>> from jaxkl.distributions import StudentT
        >>> d = StudentT(3.0, 0.0, 2.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.t(3, 0, 2).logpdf(1)
        -1.8541
        >>> round(float(d.variance), 4)  # σ²ν/(ν − 2)
        12.0
    """

    df: jax.Array
    loc: jax.Array
    scale: jax.Array
    arg_constraints = {"df": "positive", "loc": "real", "scale": "positive"}
    reparameterized = True

    heavy_tailed = True
    support = Support(REAL)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc, scale

    def __init__(self, df: ArrayLike, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0, *, validate_args: bool = False):
        df, loc, scale = promote_params("StudentT", df=df, loc=loc, scale=scale)
        self._set(df=df, loc=loc, scale=scale)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        df, loc, scale = self.broadcast_params("df", "loc", "scale")
        t = (x - loc) / (scale * jnp.sqrt(df))
        norm = gammaln(0.5 * (df + 1.0)) - gammaln(0.5 * df) - 0.5 * (jnp.log(df) + LOG_PI) - jnp.log(scale)
        return norm - 0.5 * (df + 1.0) * _log1p_square(t)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        df, loc, scale = self.broadcast_params("df", "loc", "scale")
        shape = self._sample_shape(sample_shape)
        return loc + scale * jax.random.t(key, jnp.broadcast_to(df, shape), shape, self.dtype)

    def entropy(self) -> jax.Array:
        df, scale = self.broadcast_params("df", "scale")
        h = 0.5 * (df + 1.0)
        return h * (digamma(h) - digamma(0.5 * df)) + 0.5 * jnp.log(df) + betaln(0.5 * df, 0.5) + jnp.log(scale)

    @property
    def mean(self) -> jax.Array:
        df, loc = self.broadcast_params("df", "loc")
        return jnp.where(df <= 1.0, jnp.inf, loc)

    @property
    def variance(self) -> jax.Array:
        df, scale = self.broadcast_params("df", "scale")
        dfs = jnp.where(df > 2.0, df, 3.0)
        var = jnp.where(df > 2.0, scale * scale * dfs / (dfs - 2.0), jnp.inf)
        return jnp.where(df <= 1.0, jnp.nan, var)
