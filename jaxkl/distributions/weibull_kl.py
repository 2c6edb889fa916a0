"""Closed-form KL(p ‖ q) for p a Weibull: q ∈ {Weibull, Gamma (and so Exponential and Chi2)},
and +inf against a bounded q (Beta, ContinuousBernoulli, Uniform) or a Pareto. The
Pareto pairs (``pareto_kl``) use the same method.

As in ``gamma_kl``, every formula is a sum of non-negative terms (or of terms small
next to the total), built from exact differences, exact products and the Bregman divergence
B(d) = lgamma(1 + d) + γ·d of lgamma at 1, so that the results keep relative accuracy near
p = q, at the common member of Weibull and Gamma (the Exponential), and at extreme
parameters. Results have the broadcast batch shape of p and q and their compute dtype
(float32 for bfloat16/float16 parameters).

Examples:
    Checked against ``scipy.integrate.quad`` of p·(log p − log q) with scipy.stats'
    ``weibull_min``, ``pareto`` and ``gamma`` densities (0.4460512, 1.4584261, 0.1088816):

    >>> import jaxkl
    >>> from jaxkl.distributions import Gamma, Pareto, Weibull
    >>> round(float(jaxkl.kl_divergence(Weibull(2.0, 1.5), Weibull(1.5, 2.0))), 6)
    0.446051
    >>> round(float(jaxkl.kl_divergence(Pareto(1.0, 3.0), Pareto(0.5, 2.0))), 6)
    1.458426
    >>> round(float(jaxkl.kl_divergence(Weibull(2.0, 1.5), Gamma(2.0, 1.5))), 6)
    0.108882
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import gammaln
from scipy.special import zeta as _hurwitz_zeta

from .._math import EULER, HALF_LOG_2PI, log_near1, log_quotient, two_prod
from .._math import log1p as _log1p
from .._special import expm1mx, gamma_stirling_mu, kl_div1p, phi1p
from ..registry import register_kl
from ._kl_common import infinite_kl, pair_params
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .gamma import Gamma
from .pareto import Pareto
from .uniform import Uniform
from .weibull import Weibull


def _log_prod_ratio(a: jax.Array, b: jax.Array, c: jax.Array) -> jax.Array:
    """log(a·b/c) for a, b, c > 0, with the product a·b exact: near 1 as log1p((a·b − c)/c)
    (the subtraction exact), so the result is accurate relative to its own size."""
    hi, lo = two_prod(a, b)
    d = ((hi - c) + lo) / c
    near = jnp.abs(d) <= 0.5
    return jnp.where(near, _log1p(jnp.where(near, d, 0.0)), jnp.log(jnp.where(near, 1.0, hi / c)))


# B(d) = phi1p(d) + phi1p(d/2) + Σ_{k≥2} c_k d^k with c_k = (−1)^k ζ(k, 3)/k (Hurwitz ζ).
_B_COEFFS = tuple(float((-1) ** k * _hurwitz_zeta(k, 3.0) / k) for k in range(2, 20))


def _lgamma1p_bregman(d: jax.Array) -> jax.Array:
    """B(d) = lgamma(1 + d) + γ·d = lgamma(1 + d) − lgamma(1) − ψ(1)·d ≥ 0 for d > −1.

    From the exact d, never from a rounded 1 + d. lgamma(1 + d) + γd = Σ_{k≥2} (−1)^k ζ(k) d^k/k;
    splitting ζ(k) = 1 + 2^(−k) + ζ(k, 3) gives B = φ(d) + φ(d/2) + Σ (−1)^k ζ(k, 3) d^k/k with
    φ(x) = x − log1p(x), whose remainder series shrinks like (d/3)^k: used for |d| ≤ 1/4 in
    float64 (16 terms) and |d| ≤ 1 in float32 (18 terms). Outside, lgamma(1 + d) + γd
    directly (relative error below 3e-14 / 2e-6 there).
    """
    is64 = d.dtype == np.float64
    window, terms = (0.25, 16) if is64 else (1.0, 18)
    near = jnp.abs(d) <= window
    ds = jnp.where(near, d, 0.0)
    acc = jnp.full_like(ds, _B_COEFFS[terms - 1])
    for c in reversed(_B_COEFFS[: terms - 1]):
        acc = acc * ds + c
    series = phi1p(ds) + phi1p(0.5 * ds) + ds * ds * acc
    df = jnp.where(near, 1.0, d)
    return jnp.where(near, series, gammaln(1.0 + df) + EULER * df)


@register_kl(Weibull, Weibull, jit=True)
def _kl_weibull_weibull(p, q):
    """KL(p ‖ q) between two Weibull distributions.

    With p = Weibull(λ1, k1), q = Weibull(λ2, k2), r = k2/k1 and L = log(λ1/λ2) the textbook
    form log(k1/k2) − k2·L + γ(r − 1) − 1 + e^(k2·L)·Γ(1 + r) (Bauckhage, 2013) is rewritten
    with u = k2·L + lgamma(1 + r) as

        KL = (e^u − 1 − u) + [lgamma(r) − lgamma(1) − ψ(1)(r − 1)],

    two non-negative terms (``expm1mx`` and the lgamma Bregman divergence at 1), evaluated
    from the exact differences r − 1 = (k2 − k1)/k1 and λ1 − λ2.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.

    References:
        C. Bauckhage, "Computing the Kullback-Leibler divergence between two Weibull
        distributions", arXiv:1310.3713, 2013.
    """
    l1, k1, l2, k2 = pair_params(p, q, ("scale", "concentration"), ("scale", "concentration"))
    d = (k2 - k1) / k1
    breg = _lgamma1p_bregman(d)
    near = jnp.abs(d) <= 0.5
    # lgamma(2 + d) = log1p(d) + lgamma(1 + d), exact in d near 0.
    lg_near = _log1p(jnp.where(near, d, 0.0)) + breg - EULER * d
    lg_far = gammaln(1.0 + jnp.where(near, 2.0, k2 / k1))
    u = k2 * log_quotient(l1, l2) + jnp.where(near, lg_near, lg_far)
    return expm1mx(u) + breg


@register_kl(Weibull, Gamma, jit=True)
def _kl_weibull_gamma(p, q):
    """KL(p ‖ q) from a Weibull to a Gamma distribution (also to Exponential and Chi2).

    For p = Weibull(λ, k), q = Gamma(a, rate b), with s = 1/k and E_p[x] = λΓ(1 + s),
    E_p[log x] = log λ − γs:

        KL = log k − a·log(bλ) + lgamma(a) − 1 + γ(a − k)/k + bλΓ(1 + s)
           = a·(e^L − 1 − L) + F(a, k),   L = log(bλΓ(1 + s)/a),

    where F(a, k) ≥ 0 is the minimum over b. Near the common member (k = 1, a = 1, the
    Exponential) F is written as R(a) + a·B(1/k − 1) − (a − 1)·log k, with
    B(d) = lgamma(1 + d) + γd and R(a) = B(a − 1) − kl_div1p(a − 1) ≥ 0 the Bregman
    divergence of lgamma(x) − x·log x + x at 1 (terms that vanish to second order there;
    used for a < 2); for a ≥ 2 it is μ(a) + a·B(1/k) + log k − ½·log a + ½·log 2π − 1 − γ with μ
    Stirling's remainder, which keeps the a·log a parts of lgamma(a) out. log(bλ/a) is formed
    from the exact product bλ, as log1p((bλ − a)/a) when bλ ≈ a, so L keeps its accuracy
    there however large a is.

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    lam, k, a, b = pair_params(p, q, ("scale", "concentration"), ("concentration", "rate"))
    g = (1.0 - k) / k  # 1/k − 1, exact difference near k = 1
    s = 1.0 / k
    pivot_one = a < 2.0
    breg = _lgamma1p_bregman(jnp.where(pivot_one, g, s))
    log_k = log_near1(k)
    # lgamma(1 + s) = lgamma(2 + g) = log1p(g) + lgamma(1 + g), or B(s) − γs.
    lg1s = jnp.where(pivot_one, -log_k + breg - EULER * g, breg - EULER * s)
    big_l = _log_prod_ratio(b, lam, a) + lg1s
    e = a - 1.0
    # lgamma_remainder(1, a) = lgamma(a) − a·log a + a − 1 + γ(a − 1) = B(a − 1) − kl_div1p(a − 1)
    f_one = (_lgamma1p_bregman(e) - kl_div1p(e)) + a * breg - e * log_k
    f_big = gamma_stirling_mu(a) + a * breg + log_k - 0.5 * jnp.log(a) + (HALF_LOG_2PI - 1.0 - EULER)
    return a * expm1mx(big_l) + jnp.where(pivot_one, f_one, f_big)


# +inf: a Weibull puts mass on all of (0, ∞); each of these q lives on a bounded interval,
# or (Pareto) on [m, ∞) with m > 0.
for _q in (Beta, ContinuousBernoulli, Uniform, Pareto):
    register_kl(Weibull, _q, jit=True)(infinite_kl)
