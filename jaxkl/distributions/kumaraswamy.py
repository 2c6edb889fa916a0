"""Kumaraswamy(concentration1, concentration0) on the unit interval.

The entropy is written as three non-negative terms that vanish at Kumaraswamy(1, 1),
the uniform distribution, so it keeps its relative accuracy there.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._special import betaln, harmonic_m1, phi_quotient
from ._base import Distribution, promote_params
from ._support import INTERVAL, Support

__all__ = ["Kumaraswamy"]


@jax.jit
def kumaraswamy_neg_entropy(a: jax.Array, b: jax.Array) -> jax.Array:
    """−H(Kumaraswamy(a, b)) = log(ab) − (1 − 1/a)·H_b − (1 − 1/b) = KL(· ‖ Uniform(0, 1)).

    Written as phi1p(1/a − 1) + phi1p(1/b − 1) − (1 − 1/a)(H_b − 1): the first two are ≥ 0
    and the cross term is of second order near a = b = 1, where the value vanishes.
    """
    one = jnp.ones_like(a)
    return phi_quotient(one, a) + phi_quotient(one, b) + ((1.0 - a) / a) * harmonic_m1(b)


def _log1mexp(v: jax.Array) -> jax.Array:
    """log(1 − e^v) for v ≤ 0 (−inf at v = 0), accurate on the whole range."""
    near = v > -0.6931471805599453
    return jnp.where(near, jnp.log(-jnp.expm1(jnp.where(near, v, -1.0))), jnp.log1p(-jnp.exp(jnp.where(near, -1.0, v))))


def _xmul(c: jax.Array, log_y: jax.Array) -> jax.Array:
    """c·log_y with 0·(−inf) = 0 (the convention of ``xlogy``)."""
    return jnp.where(c == 0, 0.0, c * log_y)


class Kumaraswamy(Distribution):
    r"""Kumaraswamy distribution with shape parameters ``concentration1`` (a) and ``concentration0`` (b).

    $$
    p(x) = a b\, x^{a-1} (1 - x^a)^{b-1}, \qquad 0 \le x \le 1;
    $$

    ``log_prob`` is −inf outside [0, 1].
    X^a follows Beta(1, b), so E[log X] = −H_b/a (H_b = ψ(b + 1) + γ the harmonic
    number), E[log(1 − X^a)] = −1/b, and the raw moments are E[X^n] = b·B(1 + n/a, b).

    Args:
        concentration1: a > 0.
        concentration0: b > 0, broadcasting against a.
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` is reparameterized by the inverse CDF, X = (1 − U^(1/b))^(1/a) with U
    uniform, evaluated in log space.

    Examples:
        >>> from jaxkl.distributions import Kumaraswamy
        >>> d = Kumaraswamy(2.0, 3.0)
        >>> round(float(d.log_prob(0.5)), 4)  # log(a·b·x^(a−1)·(1 − x^a)^(b−1)) = log(6·0.5·0.75²)
        0.5232
        >>> round(float(d.mean), 4)  # b·B(1 + 1/a, b), scipy.special.beta(1.5, 3) * 3
        0.4571
    """

    support = Support(INTERVAL, 0.0, 1.0)

    concentration1: jax.Array
    concentration0: jax.Array
    arg_constraints = {"concentration1": "positive", "concentration0": "positive"}
    reparameterized = True

    def __init__(self, concentration1: ArrayLike, concentration0: ArrayLike, *, validate_args: bool = False):
        c1, c0 = promote_params("Kumaraswamy", concentration1=concentration1, concentration0=concentration0)
        self._set(concentration1=c1, concentration0=c0)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        a, b = self.broadcast_params("concentration1", "concentration0")
        inside = (x >= 0) & (x <= 1)
        xs = jnp.where(inside, x, 0.5)
        log_x = jnp.log(xs)  # −inf at x = 0
        log_1mxa = _log1mexp(a * log_x)  # log(1 − x^a): 0 at x = 0, −inf at x = 1
        lp = jnp.log(a) + jnp.log(b) + _xmul(a - 1.0, log_x) + _xmul(b - 1.0, log_1mxa)
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        a, b = self.broadcast_params("concentration1", "concentration0")
        shape = self._sample_shape(sample_shape)
        tiny = float(jnp.finfo(self.dtype).tiny)
        u = jax.random.uniform(key, shape, self.dtype, minval=tiny, maxval=1.0)
        # 1 − X^a = U^(1/b)  ⇒  log X = log(1 − e^(log U / b)) / a
        return jnp.exp(_log1mexp(jnp.log(u) / b) / a)

    def entropy(self) -> jax.Array:
        """(1 − 1/b) + (1 − 1/a)·H_b − log(ab), as minus a sum that vanishes at (1, 1)."""
        a, b = self.broadcast_params("concentration1", "concentration0")
        return -kumaraswamy_neg_entropy(a, b)

    def _log_moment(self, n: float) -> jax.Array:
        a, b = self.broadcast_params("concentration1", "concentration0")
        return jnp.log(b) + betaln(1.0 + n / a, b)

    @property
    def mean(self) -> jax.Array:
        return jnp.exp(self._log_moment(1.0))

    @property
    def variance(self) -> jax.Array:
        """E[X²] − E[X]² = E[X]²·expm1(log E[X²] − 2 log E[X])."""
        l1, l2 = self._log_moment(1.0), self._log_moment(2.0)
        return jnp.exp(2.0 * l1) * jnp.expm1(l2 - 2.0 * l1)
