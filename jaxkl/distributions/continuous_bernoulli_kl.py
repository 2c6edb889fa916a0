"""Closed-form KL(p ‖ q) for p a ContinuousBernoulli: q ∈ {ContinuousBernoulli, Exponential,
Normal, Pareto, Uniform}.

The method is that of ``uniform_kl``; S, L, L' and N come from ``continuous_bernoulli``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._math import log1p as _log1p
from .._special import phi1p, phi_quotient, taylor_remainder_quad
from ..registry import register_kl
from ._kl_common import common, inf_where, normal_kl_moments
from .continuous_bernoulli import ContinuousBernoulli, cb_langevin, cb_langevin_prime, cb_log_sinhc, cb_neg_entropy
from .exponential import Exponential
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform


def cb_bregman(u1: jax.Array, u2: jax.Array, d: jax.Array) -> jax.Array:
    """B_S(u1, u2) = S(u2) − S(u1) − L(u1)·d ≥ 0, S(u) = log(sinh u / u), d = u2 − u1.

    ``d`` is passed separately so that callers can form it without rounding u1 and u2
    first (from two probabilities, say).

    KL(CB(η1) ‖ CB(η2)) with u = η/2. Three forms, each free of cancellation where used:

    * close (|δ| ≤ max(1, |u1|)/4): δ²·∫₀¹ (1 − s)·L'(u1 + sδ) ds by Gauss–Legendre (8 nodes
      in float64, 4 in float32); L' is analytic in |Im u| < π, so the rule is exact to
      rounding;
    * same sign, both |u| ≥ 1: with S(u) = |u| − log(2|u|) + E(u), E(u) = log1p(−e^(−2|u|)),
      B_S = φ(|u2|/|u1|) + B_E(u1, u2) with φ(r) = r − 1 − log r, B_E exponentially small
      next to the first term;
    * otherwise S(u2) − L(u1)·u2 + N(u1), N(u1) = u1·L(u1) − S(u1) ≥ 0, whose terms are then
      within a modest factor of the result.
    """
    close = jnp.abs(d) <= 0.25 * jnp.maximum(1.0, jnp.abs(u1))
    ds = jnp.where(close, d, 0.0)
    quad = ds * ds * taylor_remainder_quad(cb_langevin_prime, u1, ds, 8 if u1.dtype == np.float64 else 4)
    big = ~close & (u1 * u2 > 0) & (jnp.abs(u1) >= 1.0) & (jnp.abs(u2) >= 1.0)
    v1 = jnp.where(big, jnp.abs(u1), 1.0)
    v2 = jnp.where(big, jnp.abs(u2), 2.0)
    dv = jnp.where(big, jnp.sign(u1) * d, 1.0)  # |u2| − |u1| (same signs)
    e1, e2 = jnp.log1p(-jnp.exp(-2.0 * v1)), jnp.log1p(-jnp.exp(-2.0 * v2))
    de1 = 2.0 / jnp.expm1(2.0 * v1)
    decomposed = phi_quotient(v2, v1) + (e2 - e1 - de1 * dv)
    uf1 = jnp.where(close | big, 0.5, u1)
    uf2 = jnp.where(close | big, 1.5, u2)
    direct = cb_log_sinhc(uf2) - cb_langevin(uf1) * uf2 + cb_neg_entropy(uf1)
    return jnp.maximum(jnp.where(close, quad, jnp.where(big, decomposed, direct)), 0.0)


@register_kl(ContinuousBernoulli, ContinuousBernoulli, jit=True)
def _kl_continuous_bernoulli_continuous_bernoulli(p, q):
    """KL(p ‖ q) between two ContinuousBernoulli distributions.

    Both are exponential families in x with log-partition A(η) = η/2 + S(η/2), so the KL is
    the Bregman divergence A(ηq) − A(ηp) − A'(ηp)(ηq − ηp) = B_S(ηp/2, ηq/2), evaluated by
    ``cb_bregman`` with relative accuracy near p = q (where torch's form cancels to
    rounding noise) and for logits of any size.

    Examples:
        >>> import jaxkl
        >>> from jaxkl.distributions import ContinuousBernoulli
        >>> p, q = ContinuousBernoulli(probs=0.3), ContinuousBernoulli(probs=0.6)
        >>> round(float(jaxkl.kl_divergence(p, q)), 4)
        0.0645
    """
    up, uq = common(0.5 * p.logits, 0.5 * q.logits)
    if p.parameterization == q.parameterization == "probs":
        # ηq − ηp = log1p(d/λp) − log1p(−d/(1 − λp)) with d = λq − λp exact: no rounding of
        # the two logits is differenced.
        # Used when |d| ≤ ½·min(λp, 1 − λp) (both log1p arguments in [−½, ½]); farther apart
        # the plain difference of the logits has no cancellation to fear.
        lp, lq = common(p.probs, q.probs)
        dl = lq - lp
        # (λp ≥ √tiny keeps the derivative of d/λp from underflowing to 0/0.)
        floor = math.sqrt(float(np.finfo(lp.dtype).tiny))
        near = (jnp.abs(dl) <= 0.5 * jnp.minimum(lp, 1.0 - lp)) & (jnp.minimum(lp, 1.0 - lp) >= floor)
        dn = jnp.where(near, dl, 0.0)
        lps = jnp.where(near, lp, 0.5)
        d = jnp.where(near, 0.5 * (_log1p(dn / lps) - _log1p(-dn / (1.0 - lps))), 0.5 * (q.logits - p.logits))
    else:
        d = uq - up
    up, uq, d = common(up, uq, d)
    return cb_bregman(up, uq, d)


@register_kl(ContinuousBernoulli, Uniform, jit=True)
def _kl_continuous_bernoulli_uniform(p, q):
    """KL(p ‖ q) for p = ContinuousBernoulli(λ) and q = Uniform(l, h).

    KL = −H(p) + log(h − l) for l ≤ 0 and h ≥ 1 (+inf otherwise): N(u) + log1p((h − 1) − l),
    both ≥ 0 (torch marks l = 0 or h = 1 as infinite, which is a bug: [0, 1] ⊆ [0, 1]).
    """
    u = 0.5 * p.logits
    low, high = q.broadcast_params("low", "high")
    u, low, high = common(u, low, high)
    ok = (low <= 0) & (high >= 1)
    d = jnp.where(ok, (high - 1.0) - low, 0.0)
    return inf_where(ok, cb_neg_entropy(u) + _log1p(d))


def cb_exponential_gap(u: jax.Array, m: jax.Array) -> jax.Array:
    """KL(CB(η) ‖ Exponential(1/m)) ≥ 0, m = E_CB[X], u = η/2.

    For u ≥ −½: N(u) + 1 + log m (no cancellation: 1 + log m ≥ 0.3 or N is large). For
    u < −½ (CB close to a truncated exponential of rate z = −η): the logs cancel
    analytically, leaving −log1p(−e^(−z)) − phi1p(−ε) with ε = z/expm1(z), whose first term
    dominates.
    """
    mid = u >= -0.5
    um = jnp.where(mid, u, 0.0)
    mm = jnp.where(mid, m, 0.5)
    z = jnp.where(mid, 2.0, -2.0 * u)
    eps = z / jnp.expm1(z)
    tail = -jnp.log1p(-jnp.exp(-z)) - phi1p(-eps)
    return jnp.where(mid, cb_neg_entropy(um) + 1.0 + jnp.log(mm), tail)


@register_kl(ContinuousBernoulli, Exponential, jit=True)
def _kl_continuous_bernoulli_exponential(p, q):
    """KL(p ‖ q) for p = ContinuousBernoulli(λ) and q = Exponential(b).

    KL = −H(p) − log b + b·m, m the mean of p. The exponential family of q has the
    sufficient statistic x, so with r = Exponential(1/m) (the moment match) the
    Pythagorean identity is exact: KL(p ‖ q) = KL(p ‖ r) + KL(r ‖ q) =
    ``cb_exponential_gap`` + phi1p(b·m − 1), both ≥ 0; this keeps relative accuracy when
    p is nearly a truncated exponential matched by q.
    """
    u = 0.5 * p.logits
    (rate,) = q.broadcast_params("rate")
    u, rate = common(u, rate)
    m = 0.5 + 0.5 * cb_langevin(u)
    return cb_exponential_gap(u, m) + phi_quotient(rate * m, jnp.ones_like(m))


@register_kl(ContinuousBernoulli, Normal, jit=True)
def _kl_continuous_bernoulli_normal(p, q):
    """KL(p ‖ q) for p = ContinuousBernoulli(λ) and q = Normal(μ, σ).

    KL = −H(p) + ½·log(2πσ²) + (v + (m − μ)²)/(2σ²) with m, v the mean and variance of p,
    evaluated as J + KL(N(m, v) ‖ N(μ, σ²)), J = ½·log(2πe·v) − H(p) ≥ 0.17 the negentropy
    of p: two non-negative terms.
    """
    u = 0.5 * p.logits
    loc, scale = q.broadcast_params("loc", "scale")
    u, loc, scale = common(u, loc, scale)
    m = 0.5 + 0.5 * cb_langevin(u)
    v = 0.25 * cb_langevin_prime(u)
    negentropy = 0.5 * jnp.log(2.0 * math.pi * math.e * v) + cb_neg_entropy(u)
    return negentropy + normal_kl_moments(m, v, loc, scale)


@register_kl(ContinuousBernoulli, Pareto, jit=True)
def _kl_continuous_bernoulli_pareto(p, q):
    """KL(p ‖ q) = +inf: p has mass on (0, scale), where the Pareto density is 0."""
    u = 0.5 * p.logits
    (m,) = q.broadcast_params("scale")
    u, m = common(u, m)
    return jnp.full_like(u, jnp.inf)
