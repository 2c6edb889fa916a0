"""Closed-form KL(p ‖ q) for p a Gamma: q ∈ {Gamma, Chi2, Exponential, Gumbel, Normal}, and
+inf against q on a bounded interval (Beta, ContinuousBernoulli, Uniform) or on [m, ∞) with
m > 0 (Pareto). Through subclassing these serve Exponential and Chi2 as p too, where their
own modules register nothing more specific.

Every finite formula is a sum of non-negative terms; the large parts that cancel in the
textbook forms (lgamma(a) against a·log a, ψ(a) against log a) are taken out analytically
through Stirling's remainder (the Gamma–Normal gap c(a) ≈ 1/(3a) of
``jaxkl.distributions.gamma``) and the Bregman divergences of ``_special``, products such as b·μ
that nearly cancel against another parameter are formed exactly (Dekker's two-product), and
parameter differences that vanish at p = q are exact (Sterbenz), so the results keep
relative accuracy when p and q are close and at concentrations up to 1e5 and scales from
1e-4 to 1e4. Results have the broadcast batch shape of p and q and their compute dtype
(float32 for bfloat16/float16 parameters).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._math import HALF_LOG_2PI, two_prod
from .._math import log1p as _log1p
from .._special import expm1mx, gamma_kl, phi1p, phi_quotient
from ..registry import register_kl
from ._kl_common import infinite_kl, pair_params
from .beta import Beta
from .chi2 import Chi2
from .continuous_bernoulli import ContinuousBernoulli
from .exponential import Exponential
from .gamma import Gamma, gamma_normal_gap
from .gumbel import Gumbel
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform


@register_kl(Gamma, Gamma, jit=True)
@register_kl(Gamma, Chi2, jit=True)
@register_kl(Gamma, Exponential, jit=True)
def kl_gamma_gamma(p, q):
    """KL(p ‖ q) between two Gamma distributions (also Exponential and Chi2, any pair).

    KL = (a1 − a2)ψ(a1) − lgamma(a1) + lgamma(a2) + a2·log(b1/b2) + a1(b2 − b1)/b1 for
    Gamma(a1, rate b1) ‖ Gamma(a2, rate b2), computed by ``_special.gamma_kl`` as the
    lgamma remainder Bregman term plus a1·(b2/b1)·kl_div1p(s − 1), s the ratio of the means:
    two non-negative terms, accurate near p = q and at large concentrations.

    Args:
        p, q: ``Gamma`` distributions (or subclasses) with broadcastable batch shapes.

    Returns:
        The KL divergence, shape ``broadcast(p.batch_shape, q.batch_shape)``.

    Examples:
        >>> import jaxkl
        >>> from jaxkl.distributions import Gamma
        >>> round(float(jaxkl.kl_divergence(Gamma(2.0, 1.0), Gamma(3.0, 2.0))), 4)
        0.1909
    """
    a1, b1, a2, b2 = pair_params(p, q, ("concentration", "rate"), ("concentration", "rate"))
    return gamma_kl(a1, b1, a2, b2)


def _half_minus_kl_div1p_ratio(s: jax.Array) -> jax.Array:
    """J(s) = ½ − kl_div1p(s)/s² = ½ − ((1 + s)·log1p(s) − s)/s² ≥ 0 for s > 0.

    With σ = s/(2 + s) and t = σ² (log1p(s) = 2·atanh σ), J = σ·[1/3 + Σ_{j≥1} t^j/((2j + 1)(2j + 3))],
    a series of positive terms, used for s ≤ 1.62 (t ≤ 0.2; 24 terms in float64, 12 in
    float32); beyond, the direct form, where J > 0.15 and cancels by less than a factor 3.
    """
    near = s <= 1.62
    ss = jnp.where(near, s, 1.0)
    sig = ss / (2.0 + ss)
    t = sig * sig
    terms = 24 if s.dtype == np.float64 else 12
    acc = jnp.full_like(t, 1.0 / ((2 * terms + 1) * (2 * terms + 3)))
    for j in range(terms - 1, 0, -1):
        acc = acc * t + 1.0 / ((2 * j + 1) * (2 * j + 3))
    series = sig * (1.0 / 3.0 + t * acc)
    sf = jnp.where(near, 2.0, s)
    direct = 0.5 - ((1.0 + sf) * _log1p(sf) - sf) / (sf * sf)
    return jnp.where(near, series, direct)


def _gamma_gumbel_min(a: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(K(a), t*): the minimum over Gumbel q of KL(Gamma(a, b) ‖ q) and where it is attained.

    In t = 1/(bβ) the minimum is at a·t² = 1 + t, t* = (1 + √(1 + 4a))/(2a), and with
    c(a) the Gamma–Normal gap, −log(√a·t*) = −½·log1p(t*) and a·φ(t*) = 1 − kl_div1p(t*)/t*²:
    K(a) = c(a) + (1 − ½·log 2π) − ½·log1p(t*) + J(t*), with terms of size ≤ 0.3 for
    a ≥ 1, each accurate to a few ulp (K is smallest, ≈ 0.0035, near a = 4.5).
    """
    s = (1.0 + jnp.sqrt(1.0 + 4.0 * a)) / (2.0 * a)
    k = gamma_normal_gap(a) + (1.0 - HALF_LOG_2PI) - 0.5 * _log1p(s) + _half_minus_kl_div1p_ratio(s)
    return k, s


def gumbel_exponent(a, b, mu, beta, t):
    """x = μ/β − a·log1p(t), t = 1/(bβ), as (bμ − a)/(bβ) + a·(t − log1p(t)): b·μ exact."""
    hi, lo = two_prod(b, mu)
    return ((hi - a) + lo) * t + a * phi1p(t)


@register_kl(Gamma, Gumbel, jit=True)
def _kl_gamma_gumbel(p, q):
    """KL(p ‖ q) from a Gamma to a Gumbel distribution.

    For p = Gamma(a, rate b), q = Gumbel(μ, β), with t = 1/(bβ) and E_p[e^(−x/β)] = (1 + t)^(−a),
    the textbook form (a − 1)ψ(a) − lgamma(a) − a + log(bβ) + a·t + e^(μ/β)(1 + t)^(−a) − μ/β
    is a sum of four non-negative terms,

        KL = K(a) + φ(r − 1) + a·φ(w·(r − 1)) + (e^x − 1 − x),

    with φ(v) = v − log1p(v), t* = (1 + √(1 + 4a))/(2a) the minimizing t, r = t/t*,
    w = t*/(1 + t*), x = μ/β − a·log1p(t) = (bμ − a)/(bβ) + a·φ(t) (b·μ formed exactly, so
    the large μ/β and a·log1p(t) never cancel), and K(a) the minimum over q (see
    ``_gamma_gumbel_min``; built on the Gamma–Normal gap c(a) ≈ 1/(3a), so no term of size
    a·log a appears). φ(r − 1) + a·φ(w(r − 1)) is the exact excess of
    −log t + a·φ(t) over its minimum.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    a, b, mu, beta = pair_params(p, q, ("concentration", "rate"), ("loc", "scale"))
    k_min, s = _gamma_gumbel_min(a)
    t = 1.0 / (b * beta)
    v = (t - s) / s
    excess = phi1p(v) + a * phi1p(v * (s / (1.0 + s)))
    return k_min + excess + expm1mx(gumbel_exponent(a, b, mu, beta, t))


def gamma_normal(a, b, mu, sigma, c_a):
    """KL(Gamma(a, b) ‖ Normal(μ, σ)) given the gap c(a)."""
    bs = b * sigma
    hi, lo = two_prod(b, mu)
    z = ((a - hi) - lo) / bs  # (a/b − μ)/σ with b·μ exact
    return c_a + 0.5 * phi_quotient(a, bs * bs) + 0.5 * z * z


@register_kl(Gamma, Normal, jit=True)
def _kl_gamma_normal(p, q):
    """KL(p ‖ q) from a Gamma to a Normal distribution.

    For p = Gamma(a, rate b) (mean a/b, variance a/b²) and q = Normal(μ, σ):

        KL = c(a) + ½·(ρ − 1 − log ρ) + ½·z²,   ρ = a/(bσ)²,  z = (a − bμ)/(bσ),

    where c(a) = (a − 1)ψ(a) − lgamma(a) − a + ½·log(2πe·a) ≈ 1/(3a) is the KL from p to
    the Normal of its own mean and variance (Stirling's series for large a); every term is
    ≥ 0, and b·μ is formed exactly so that z keeps its accuracy when μ ≈ a/b.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    a, b, mu, sigma = pair_params(p, q, ("concentration", "rate"), ("loc", "scale"))
    return gamma_normal(a, b, mu, sigma, gamma_normal_gap(a))


# +inf: a Gamma (and so Exponential and Chi2) puts mass on all of (0, ∞); each of these q
# lives on a bounded interval, or (Pareto) on [m, ∞) with m > 0.
for _q in (Beta, ContinuousBernoulli, Uniform, Pareto):
    register_kl(Gamma, _q, jit=True)(infinite_kl)
