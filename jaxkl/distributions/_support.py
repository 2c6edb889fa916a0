"""Supports of the distributions, and the coordinates the estimators put on them.

Every family declares where it puts its mass as ``support`` (a ``Support``), and what the
quadrature needs to place its nodes: ``quadrature_centre(support)`` (a centre and a width
in the coordinate y of the support, below), ``heavy_tailed`` (algebraic tails in y) and
``kinks()`` (points where the log-density may not be smooth). ``jaxkl.quadrature_kl``
reads only these; a family that declares them is integrated like jaxkl's own.

The coordinate y of a support maps it onto the real line: y = x on the real line,
y = log(x − low) on a half-line [low, ∞), y = logit((x − low)/(high − low)) on an interval.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

__all__ = [
    "CIRCLE",
    "DISCRETE",
    "INTERVAL",
    "LOWER",
    "REAL",
    "Support",
    "digamma_approx",
    "expand_last",
    "from_moments",
    "logexpm1",
    "trigamma_approx",
    "x_of_y",
    "y_of_x",
]

REAL, LOWER, INTERVAL, CIRCLE, DISCRETE = "real", "lower", "interval", "circle", "discrete"


class Support(NamedTuple):
    """Where a univariate distribution puts its mass.

    Attributes:
        kind: ``"real"`` (the real line), ``"lower"`` (the half-line [low, ∞)),
            ``"interval"`` ([low, high]), ``"circle"`` (angles in [low, high), the ends
            identified; the quadrature integrates over [mean − π, mean + π)) or
            ``"discrete"`` (integers, categories or a point: not integrable).
        low: the lower end (a Python float, or an array of the batch shape where the end
            depends on the parameters).
        high: the upper end, likewise.

    Examples:
        Fixed ends are Python floats; a Uniform's are its parameters:

        >>> from jaxkl.distributions import Gamma, Normal, Uniform
        >>> Normal(0.0, 1.0).support
        Support(kind='real', low=-inf, high=inf)
        >>> Gamma(2.0, 1.0).support
        Support(kind='lower', low=0.0, high=inf)
        >>> kind, low, high = Uniform(-1.0, 2.0).support
        >>> kind, float(low), float(high)
        ('interval', -1.0, 2.0)
    """

    kind: str
    low: ArrayLike = -math.inf
    high: ArrayLike = math.inf


def digamma_approx(a):
    """ψ(a) ≈ log(a + ½) − 1/a (within 0.02; a centre only needs to be near)."""
    return jnp.log(a + 0.5) - 1.0 / a


def trigamma_approx(a):
    """ψ'(a) ≈ 1/a² + 1/(a + ½) (within 2%; a width only needs to be near)."""
    return 1.0 / (a * a) + 1.0 / (a + 0.5)


def logexpm1(z):
    """log(e^z − 1) for z > 0, without overflow."""
    return z + jnp.log(-jnp.expm1(-z))


def expand_last(v):
    """``v`` with a trailing axis if it is an array with axes (a support end of mixture components)."""
    return v[..., None] if isinstance(v, jax.Array) and v.ndim else v


def y_of_x(x, kind, lo, hi):
    """The coordinate y of the support (kind, lo, hi) at x (clipped to finite values)."""
    if kind == REAL:
        return x
    if kind == LOWER:
        d = x - lo
        return jnp.log(jnp.where(d > 0, d, 1.0)) + jnp.where(d > 0, 0.0, -jnp.inf)
    w = hi - lo
    a = (x - lo) / w
    b = (hi - x) / w
    ok = (a > 0) & (b > 0)
    return jnp.where(
        ok, jnp.log(jnp.where(ok, a, 1.0)) - jnp.log(jnp.where(ok, b, 1.0)), jnp.where(a <= 0, -jnp.inf, jnp.inf)
    )


def x_of_y(y, kind, lo, hi):
    """The point x of the support (kind, lo, hi) at coordinate y."""
    if kind == REAL:
        return y
    if kind == LOWER:
        return lo + jnp.exp(y)
    return lo + (hi - lo) * jax.nn.sigmoid(y)


def from_moments(mean, var, kind, lo, hi):
    """Centre and width in y from a mean and variance in x (delta method)."""
    sd = jnp.sqrt(jnp.where(jnp.isfinite(var) & (var > 0), var, 1.0))
    if kind == REAL:
        return mean, sd
    if kind == LOWER:
        m = jnp.maximum(mean - lo, 1e-30)
        return jnp.log(m), jnp.clip(sd / m, 0.05, 3.0)
    w = hi - lo
    f = jnp.clip((mean - lo) / w, 1e-6, 1.0 - 1e-6)
    return jnp.log(f) - jnp.log1p(-f), jnp.clip(sd / (w * f * (1.0 - f)), 0.02, 2.0)
