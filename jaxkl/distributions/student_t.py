"""StudentT(df, loc, scale) on the real line."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import betaln, digamma, gammaln
from jax.typing import ArrayLike

from .._math import LOG_PI, log1p_square
from ._base import Distribution, promote_params
from ._support import REAL, Support

__all__ = ["StudentT"]


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
        return norm - 0.5 * (df + 1.0) * log1p_square(t)

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
