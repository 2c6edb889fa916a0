"""The von Mises distribution on the circle, and accurate Bessel-ratio helpers.

With F(κ) = log I0(κ) the log-partition of the von Mises family in κ, the quantities
the closed forms need are A(κ) = F'(κ) = I1(κ)/I0(κ), g(κ) = 1 − A(κ) (the circular
variance) and A'(κ) = 1 − A/κ − A². For large κ, A → 1 and A' ≈ 1/(2κ²), so the
direct forms lose log10(2κ) and log10(2κ²) digits; above κ0 (30 in float64, 12 in
float32) they are computed from Hankel's expansion instead,

    I0(κ) = e^κ / √(2πκ) · Σ a_k κ^(−k),   a_k = ((2k − 1)!!)² / (k!·8^k),

as F(κ) = κ − ½·log(2πκ) + R(κ), R(κ) = log Σ a_k κ^(−k) = Σ r_k κ^(−k) (r_1 = 1/8,
r_2 = 1/16, r_3 = 25/384, ...; 18 terms in float64, 12 in float32, truncation below
1e-16 and 2e-7 relative at κ0). Below κ0 the exponentially scaled Bessel functions
``i0e``/``i1e`` are used (A' then loses at most 3.3 digits in float64); in float32, whose
Bessel functions are only good to a few 1e-7, A' below κ0 is the ratio of two power
series in κ²/4 with positive coefficients, (I0² + I0·I2 − 2·I1²)/(2·I0²).
"""

from __future__ import annotations

import math
from fractions import Fraction

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import i0e, i1e
from jax.typing import ArrayLike

from .._math import LOG_2PI
from ._base import Distribution, promote_params
from ._support import CIRCLE, Support

__all__ = ["VonMises"]


def _hankel_log_coefs(n: int) -> tuple[float, ...]:
    """r_1..r_n with Σ r_k x^k = log(Σ a_k x^k), a_k = ((2k − 1)!!)²/(k!·8^k), exactly."""
    a = [Fraction(1)]
    for k in range(1, n + 1):
        a.append(a[-1] * Fraction((2 * k - 1) ** 2, 8 * k))
    r = [Fraction(0)] * (n + 1)
    for k in range(1, n + 1):
        r[k] = (k * a[k] - sum(j * r[j] * a[k - j] for j in range(1, k))) / k
    return tuple(float(x) for x in r[1:])


_R = _hankel_log_coefs(18)


def _turan_coefs(n: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Taylor coefficients in t = κ²/4 of I0(κ) and of I0² + I0·I2 − 2·I1² (all positive)."""
    m = math.factorial
    i0 = [Fraction(1, m(k) ** 2) for k in range(n)]
    i1 = [Fraction(1, m(k) * m(k + 1)) for k in range(n)]  # I1 = (κ/2) Σ i1_k t^k
    i2 = [Fraction(1, m(k) * m(k + 2)) for k in range(n)]  # I2 = t Σ i2_k t^k

    def conv(a, b):
        return [sum(a[i] * b[j - i] for i in range(j + 1)) for j in range(n)]

    c00, c02, c11 = conv(i0, i0), conv(i0, i2), conv(i1, i1)
    num = [c00[j] + (c02[j - 1] - 2 * c11[j - 1] if j else 0) for j in range(n)]
    return tuple(float(x) for x in i0), tuple(float(x) for x in num)


# float32 below κ0 = 12 (t ≤ 36): 20 and 29 terms reach 1e-9 relative.
_I0_SERIES, _TURAN_SERIES = _turan_coefs(29)


def _series(t: jax.Array, coefs: tuple[float, ...]) -> jax.Array:
    acc = jnp.full_like(t, coefs[-1])
    for c in reversed(coefs[:-1]):
        acc = acc * t + c
    return acc


def vm_asym(x: jax.Array) -> tuple[float, int]:
    """(κ0, number of Hankel terms) for the dtype."""
    return (30.0, 18) if x.dtype == np.float64 else (12.0, 12)


def _poly_inv(k: jax.Array, coefs, n: int) -> jax.Array:
    """Σ_{j=1..n} coefs[j−1]·κ^(−j) by Horner's rule in 1/κ."""
    w = 1.0 / k
    acc = jnp.full_like(k, coefs[n - 1])
    for c in reversed(coefs[: n - 1]):
        acc = acc * w + c
    return acc * w


@jax.jit
def vm_g(k: jax.Array) -> jax.Array:
    """g(κ) = 1 − I1(κ)/I0(κ) ∈ (0, 1], the circular variance (≈ 1/(2κ) for large κ)."""
    k0, n = vm_asym(k)
    big = k >= k0
    kb = jnp.where(big, k, k0)
    ks = jnp.where(big, 1.0, k)
    # g = 1/(2κ) − R'(κ) = 1/(2κ) + Σ j r_j κ^(−j−1)
    asym = (0.5 + _poly_inv(kb, tuple(j * r for j, r in enumerate(_R, 1)), n)) / kb
    e0 = i0e(ks)
    direct = (e0 - i1e(ks)) / e0
    return jnp.where(big, asym, direct)


@jax.jit
def vm_ratio(k: jax.Array) -> jax.Array:
    """A(κ) = I1(κ)/I0(κ) ∈ [0, 1)."""
    k0, _ = vm_asym(k)
    big = k >= k0
    ks = jnp.where(big, 1.0, k)
    return jnp.where(big, 1.0 - vm_g(jnp.where(big, k, k0)), i1e(ks) / i0e(ks))


@jax.jit
def vm_dratio(k: jax.Array) -> jax.Array:
    """A'(κ) = 1 − A/κ − A² ∈ (0, ½] (≈ 1/(2κ²) for large κ)."""
    k0, n = vm_asym(k)
    big = k >= k0
    kb = jnp.where(big, k, k0)
    # A' = 1/(2κ²) + R''(κ), R'' = Σ j(j+1) r_j κ^(−j−2)
    asym = (0.5 + _poly_inv(kb, tuple(j * (j + 1) * r for j, r in enumerate(_R, 1)), n)) / (kb * kb)
    if k.dtype == np.float64:
        pos = k > 0
        ks = jnp.where(big | ~pos, 1.0, k)
        e0 = i0e(ks)
        a = i1e(ks) / e0
        direct = jnp.where(pos, 1.0 - a / ks - a * a, 0.5)
    else:
        # A' = (I0² + I0·I2 − 2·I1²)/(2·I0²), both power series in κ²/4 with positive terms
        # (the difference form would lose 4κ² ulps of the float32 Bessel functions).
        ks = jnp.where(big, 0.0, k)
        t = 0.25 * ks * ks
        i0 = _series(t, _I0_SERIES[:20])
        direct = _series(t, _TURAN_SERIES) / (2.0 * i0 * i0)
    return jnp.where(big, asym, direct)


@jax.jit
def vm_log_i0e(k: jax.Array) -> jax.Array:
    """log(e^(−κ) I0(κ)) = F(κ) − κ."""
    k0, n = vm_asym(k)
    big = k >= k0
    kb = jnp.where(big, k, k0)
    asym = -0.5 * (LOG_2PI + jnp.log(kb)) + _poly_inv(kb, _R, n)
    return jnp.where(big, asym, jnp.log(i0e(jnp.where(big, 1.0, k))))


@jax.jit
def vm_hankel_bregman(k1: jax.Array, k2: jax.Array) -> jax.Array:
    """R(κ2) − R(κ1) − R'(κ1)(κ2 − κ1) for κ1, κ2 ≥ κ0, without cancellation.

    Term by term, with δ = κ2 − κ1 and y = κ1/κ2,
    r_j·[κ2^(−j) − κ1^(−j) + j·κ1^(−j−1)·δ] = r_j·(δ²/(κ1κ2))·Σ_{m=1..j} m·κ1^(−m)·κ2^(m−j),
    a sum of positive parts; the inner sums follow Q_1 = 1, Q_(j+1) = Q_j/κ2 + (j + 1)/κ1^j,
    in which no power of κ can overflow.
    """
    _, n = vm_asym(k1)
    w1, w2 = 1.0 / k1, 1.0 / k2
    q = jnp.ones_like(k1)
    w1j = jnp.ones_like(k1)
    acc = _R[0] * q
    for j in range(1, n):
        w1j = w1j * w1
        q = q * w2 + (j + 1) * w1j
        acc = acc + _R[j] * q
    d = k2 - k1
    return acc * w1 * (d / k1) * (d / k2)


class VonMises(Distribution):
    r"""Von Mises distribution on the circle with mean direction ``loc`` and ``concentration``.

    $$
    p(x) = \frac{e^{\kappa \cos(x - \mu)}}{2\pi I_0(\kappa)}
    $$

    for angles x; ``sample`` returns values in
    [−π, π) and ``log_prob`` is 2π-periodic in x (as scipy's and numpyro's), computed as
    −2κ·sin²((x − μ)/2) − log(2π) − log i0e(κ).
    ``mean`` is μ and ``variance`` the circular variance 1 − I1(κ)/I0(κ), as in numpyro.
    log I0 is computed as κ + log(i0e(κ)) (Hankel's expansion above κ0), so nothing
    overflows for concentrations of 1e5 and more.

    Args:
        loc: mean direction μ, real.
        concentration: κ > 0 (κ → 0 is the uniform distribution on the circle).
        validate_args: check the parameter constraints (one host round trip).

    ``sample`` uses the rejection sampler of Best and Fisher (1979) in a
    ``lax.while_loop`` of at most 100 rounds (each round accepts with probability above
    0.65, so the bound is never reached in practice) and is **not** reparameterized: the
    draws are returned under ``stop_gradient``.

    References:
        Best, D. J. and Fisher, N. I., "Efficient simulation of the von Mises
        distribution", 1979.

    Examples:
        >>> from jaxkl.distributions import VonMises
        >>> d = VonMises(0.5, 2.0)
        >>> round(float(d.log_prob(0.0)), 4)  # scipy.stats.vonmises(2, loc=0.5).logpdf(0)
        -0.9067
        >>> round(float(d.variance), 4)  # 1 − I1(2)/I0(2), scipy.special.i1 and i0
        0.3022
    """

    loc: jax.Array
    concentration: jax.Array
    arg_constraints = {"loc": "real", "concentration": "positive"}
    reparameterized = False

    support = Support(CIRCLE, -math.pi, math.pi)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        loc, k = self.broadcast_params("loc", "concentration")
        # the integration runs over [loc − π, loc + π] (see jaxkl.quadrature), centred at 0 in y
        return jnp.zeros_like(loc), jnp.clip(2.0 / (math.pi * jnp.sqrt(jnp.maximum(k, 1e-30))), 1e-8, 1.2)

    def __init__(self, loc: ArrayLike = 0.0, concentration: ArrayLike = 1.0, *, validate_args: bool = False):
        loc, concentration = promote_params("VonMises", loc=loc, concentration=concentration)
        self._set(loc=loc, concentration=concentration)
        self._validate(validate_args)

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        loc, k = self.broadcast_params("loc", "concentration")
        s = jnp.sin(0.5 * (x - loc))
        return -2.0 * k * s * s - LOG_2PI - vm_log_i0e(k)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        loc, k = self.broadcast_params("loc", "concentration")
        shape = self._sample_shape(sample_shape)
        theta = _best_fisher(key, jax.lax.stop_gradient(jnp.broadcast_to(k, shape)), self.dtype)
        x = jax.lax.stop_gradient(jnp.broadcast_to(loc, shape)) + theta
        return jnp.remainder(x + math.pi, 2.0 * math.pi) - math.pi

    def entropy(self) -> jax.Array:
        """log(2π I0(κ)) − κ·A(κ) = log 2π + log i0e(κ) + κ·g(κ)."""
        (k,) = self.broadcast_params("concentration")
        return LOG_2PI + vm_log_i0e(k) + k * vm_g(k)

    @property
    def mean(self) -> jax.Array:
        return self.broadcast_params("loc")[0]

    @property
    def variance(self) -> jax.Array:
        (k,) = self.broadcast_params("concentration")
        return vm_g(k)


def _best_fisher(key: jax.Array, k: jax.Array, dtype) -> jax.Array:
    """Angles θ ∈ [−π, π] of von Mises(0, κ) draws (Best and Fisher's wrapped-Cauchy envelope).

    With τ = 1 + √(1 + 4κ²), ρ = (τ − √(2τ))/(2κ) and r = (1 + ρ²)/(2ρ): draw z = cos(πU1),
    f = (1 + rz)/(r + z), c = κ(r − f), accept if c(2 − c) > U2 or log(c/U2) + 1 ≥ c, and
    return ±arccos(f). The differences 1 − ρ, r − 1, 1 ∓ f are formed without cancellation
    so that large κ keeps the tiny angles accurate.
    """
    kpos = k > 0
    ks = jnp.where(kpos, k, 1.0)
    sq = jnp.sqrt(1.0 + 4.0 * ks * ks)
    tau = 1.0 + sq
    rho = 2.0 * ks * tau / ((sq + 1.0) * (tau + jnp.sqrt(2.0 * tau)))
    one_m_rho = jnp.where(ks > 1.0, (jnp.sqrt(2.0 * tau) - 1.0 - 1.0 / (sq + 2.0 * ks)) / (2.0 * ks), 1.0 - rho)
    r_m1 = one_m_rho * one_m_rho / (2.0 * rho)

    def body(state):
        i, key, done, theta = state
        key, k1, k2, k3 = jax.random.split(key, 4)
        u1 = jax.random.uniform(k1, k.shape, dtype)
        u2 = jax.random.uniform(k2, k.shape, dtype)
        sign = jnp.where(jax.random.uniform(k3, k.shape, dtype) < 0.5, -1.0, 1.0)
        half = 0.5 * math.pi * u1
        one_m_z = 2.0 * jnp.sin(half) ** 2
        one_p_z = 2.0 * jnp.cos(half) ** 2
        r_p_z = r_m1 + one_p_z
        one_m_f = r_m1 * one_m_z / r_p_z
        one_p_f = (r_m1 + 2.0) * one_p_z / r_p_z
        f = (one_p_f - one_m_f) * 0.5
        c = ks * (r_m1 + one_m_f)
        accept = (c * (2.0 - c) > u2) | (jnp.log(c / u2) + 1.0 >= c)
        ang = jnp.arctan2(jnp.sqrt(one_m_f * one_p_f), f)
        # κ = 0: the uniform distribution, θ = ±πU1.
        new = sign * jnp.where(kpos, ang, math.pi * u1)
        theta = jnp.where(done, theta, new)
        return i + 1, key, done | accept | ~kpos, theta

    def cond(state):
        i, _, done, _ = state
        return (i < 100) & ~jnp.all(done)

    init = (jnp.asarray(0), key, jnp.zeros(k.shape, bool), jnp.zeros(k.shape, dtype))
    return jax.lax.while_loop(cond, body, init)[3]
