"""Chi2(df): ``Gamma(df/2, 1/2)`` as a subclass, so every Gamma pair serves it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._base import promote_params
from .gamma import Gamma

__all__ = ["Chi2"]


class Chi2(Gamma):
    r"""Chi-squared distribution with ``df`` degrees of freedom: Gamma(df/2, 1/2).

    $$
    p(x) = \frac{x^{k/2 - 1} e^{-x/2}}{2^{k/2}\, \Gamma(k/2)}, \qquad x > 0,
    $$

    with k = df, any positive real; ``log_prob`` is −inf for x < 0. Mean k, variance 2k.
    ``concentration`` (k/2) and ``rate`` (1/2) are properties, so the Gamma closed forms
    apply.

    Args:
        df: degrees of freedom k > 0.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized (through the Gamma draw).

    Examples:
        >>> from jaxkl.distributions import Chi2
        >>> d = Chi2(3.0)
        >>> round(float(d.log_prob(1.0)), 4)  # scipy.stats.chi2(3).logpdf(1)
        -1.4189
        >>> round(float(d.variance), 4)  # 2k
        6.0
    """

    df: jax.Array
    arg_constraints = {"df": "positive"}

    def __init__(self, df: ArrayLike, *, validate_args: bool = False):
        (df,) = promote_params("Chi2", df=df)
        self._set(df=df)
        self._validate(validate_args)

    @property
    def concentration(self) -> jax.Array:  # type: ignore[override]  # a field of Gamma; fields are immutable
        return 0.5 * self.df

    @property
    def rate(self) -> jax.Array:  # type: ignore[override]  # a field of Gamma; fields are immutable
        return jnp.full(jnp.shape(self.df), 0.5, self.df.dtype)
