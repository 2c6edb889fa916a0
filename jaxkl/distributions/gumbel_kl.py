"""Closed-form KL(p ‖ q) for p a Gumbel: q ∈ {Gumbel, Normal}.

Gumbel puts mass on the whole real line, so KL(p ‖ q) is +inf for every q of the registered
half-line and interval families (zero gradients).

The method is that of ``normal_kl``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from scipy.special import zetac

from .._math import EULER, LOG_PI
from .._special import expm1mx, phi_quotient
from ..registry import register_kl
from ._kl_common import HALF_LINE_OR_INTERVAL, infinite_kl
from .gumbel import Gumbel
from .normal import Normal

# Minimum over q of KL(Gumbel ‖ Normal q): log(π/3)/2 + log π − γ − 1/2.
_C_GUMBEL_NORMAL = 0.5 * math.log(math.pi / 3.0) + LOG_PI - EULER - 0.5


# Ratio of the Gumbel standard deviation to its scale: π/√6.
_PI_OVER_SQRT6 = math.pi / math.sqrt(6.0)


# Taylor coefficients of lgamma(2 + v) − ψ(2)·v = Σ_{k≥2} (−1)^k (ζ(k) − 1)/k · v^k.
_LGAMMA2_COEFFS = tuple((-1.0) ** k * float(zetac(k)) / k for k in range(2, 16))


def _lgamma2_bregman(v: jax.Array) -> jax.Array:
    """lgamma(2 + v) − ψ(2)·v ≥ 0 for v > −1, accurate relative to its value.

    Near v = 0 the Taylor series Σ_{k≥2} (−1)^k (ζ(k) − 1)/k · v^k, so that a small v is
    never rounded through 2 + v: for |v| ≤ 1/8 to k = 15 in float64, for |v| ≤ 1/2 to
    k = 13 in float32 (truncation below 1e-17 and 4e-9 of the value). Outside,
    lgamma(2 + v) − (1 − γ)·v directly, which loses a few bits to the zero of lgamma at 2
    (relative error below 1e-12 in float64 and 3e-5 in float32).
    """
    if v.dtype == np.float64:
        radius, coeffs = 0.125, _LGAMMA2_COEFFS
    else:
        radius, coeffs = 0.5, _LGAMMA2_COEFFS[:12]
    near = jnp.abs(v) <= radius
    vs = jnp.where(near, v, 0.0)
    acc = jnp.full_like(vs, coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * vs + c
    vf = jnp.where(near, 1.0, v)
    return jnp.where(near, acc * vs * vs, gammaln(2.0 + vf) - (1.0 - EULER) * vf)


@register_kl(Gumbel, Gumbel, jit=True)
def _kl_gumbel_gumbel(p, q):
    """KL(p ‖ q) between two Gumbel distributions.

    KL = log(βq/βp) + γ(r − 1) + a + e^(−a)·Γ(1 + r) − 1 with r = βp/βq = 1 + v,
    a = (μp − μq)/βq and γ Euler's constant. With B = lgamma(2 + v) − (1 − γ)·v ≥ 0 (the
    Bregman divergence of lgamma from 2, computed from v by its Taylor series when v is
    small, so that v is never rounded through 2 + v) this is
        KL = expm1mx(B + (1 − γ)·v − a) + B + (v − log1p(v)),
    three non-negative terms.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``; +inf where e^(−a)·Γ(1 + r)
        overflows.
    """
    mp, bp = p.broadcast_params("loc", "scale")
    mq, bq = q.broadcast_params("loc", "scale")
    v = (bp - bq) / bq
    a = (mp - mq) / bq
    breg = _lgamma2_bregman(v)
    return expm1mx(breg + ((1.0 - EULER) * v - a)) + breg + phi_quotient(bp, bq, v)


@register_kl(Gumbel, Normal, jit=True)
def _kl_gumbel_normal(p, q):
    """KL(p ‖ q) from a Gumbel p to a Normal q.

    KL = ½log(2πσ²) − log β − γ − 1 + (π²β²/6 + (μ + γβ − m)²)/(2σ²) (γ Euler's constant).
    With v = (πβ/√6 − σ)/σ (p's standard deviation against q's) and
    z = (μ − m + γβ)/σ this is
        KL = ½v² + (v − log1p(v)) + ½z² + ½log(π/3) + log π − γ − ½,
    non-negative terms plus the positive minimum ≈ 0.0906.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    mp, bp = p.broadcast_params("loc", "scale")
    mq, sq = q.broadcast_params("loc", "scale")
    sd = _PI_OVER_SQRT6 * bp
    v = (sd - sq) / sq
    z = ((mp - mq) + EULER * bp) / sq
    return 0.5 * (v * v + z * z) + phi_quotient(sd, sq, v) + _C_GUMBEL_NORMAL


# +inf: Gumbel puts mass on the whole real line, each of these q on a half-line or an interval.
for _q in HALF_LINE_OR_INTERVAL:
    register_kl(Gumbel, _q, jit=True)(infinite_kl)
