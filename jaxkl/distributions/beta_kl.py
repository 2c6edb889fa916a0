"""Closed-form KL(p ‖ q) for p a Beta: q ∈ {Beta, ContinuousBernoulli, Dirichlet (two
categories), Exponential, Gamma, Normal, Pareto (+inf), Uniform}.

Each formula is split into non-negative pieces that vanish where p and q can coincide or
approach each other (Beta(1, 1) = Uniform(0, 1), Beta(1, b) ≈ Exponential(b) for large b,
Beta(a, b) ≈ Gamma(a, a + b) and ≈ Normal for large concentrations, Kumaraswamy(1, b) =
Beta(1, b), Kumaraswamy(a, 1) = Beta(a, 1)), using the Bregman primitives of
``jaxkl._special`` and Stirling's series μ(x) = lgamma(x) − (x − ½)·log x + x − ½·log 2π
for large arguments, so that concentrations of 1e5 cost no accuracy. Results have the
broadcast batch shape of p and q and their compute dtype (float32 for bfloat16/float16).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import digamma

from .._math import log1p as _log1p
from .._special import beta_kl, gamma_kl, stirling_dmu
from ..registry import register_kl
from ._kl_common import common, normal_kl_moments
from .beta import Beta, beta_gamma_gap, beta_neg_entropy, beta_normal_gap, stirling_terms
from .continuous_bernoulli import ContinuousBernoulli, cb_cross
from .dirichlet import Dirichlet
from .dirichlet_kl import beta_vector, concentrations
from .exponential import Exponential
from .gamma import Gamma
from .normal import Normal
from .pareto import Pareto
from .uniform import Uniform


@register_kl(Beta, Beta, jit=True)
def _kl_beta_beta(p, q):
    """KL(p ‖ q) between two Beta distributions.

    The Bregman divergence of the log-partition log B(a, b) between (ap, bp) and (aq, bq),
    ``beta_kl`` (the Dirichlet formula ``log_beta_bregman`` on the pairs), a sum of non-negative
    terms: relative accuracy near p = q and for concentrations up to 1e6.

    Examples:
        >>> import jaxkl
        >>> from jaxkl.distributions import Beta
        >>> round(float(jaxkl.kl_divergence(Beta(2.0, 3.0), Beta(1.0, 1.0))), 4)
        0.2349
    """
    ap, bp = p.broadcast_params("concentration1", "concentration0")
    aq, bq = q.broadcast_params("concentration1", "concentration0")
    ap, bp, aq, bq = common(ap, bp, aq, bq)
    return beta_kl(ap, bp, aq, bq)


@register_kl(Beta, Uniform, jit=True)
def _kl_beta_uniform(p, q):
    """KL(p ‖ q) for p = Beta(a, b) and q = Uniform(l, h).

    −H(p) + log(h − l) for l ≤ 0 and h ≥ 1, +inf otherwise; −H(p) = KL(p ‖ Beta(1, 1)) is
    ``beta_kl`` (≥ 0) and log(h − l) = log1p((h − 1) − l) ≥ 0.
    """
    a, b = p.broadcast_params("concentration1", "concentration0")
    low, high = q.broadcast_params("low", "high")
    a, b, low, high = common(a, b, low, high)
    ok = (low <= 0) & (high >= 1)
    d = jnp.where(ok, (high - 1.0) - low, 0.0)
    return jnp.where(ok, beta_neg_entropy(a, b) + _log1p(d), jnp.inf)


@register_kl(Beta, ContinuousBernoulli, jit=True)
def _kl_beta_continuous_bernoulli(p, q):
    """KL(p ‖ q) for p = Beta(a, b) and q = ContinuousBernoulli(λ), η = logit λ, u = η/2.

    KL = −H(p) − η·E[X] + A(η) with A(η) = η/2 + S(u), S(u) = log(sinh u/u), written around
    Beta(1, 1) = CB(½) = Uniform(0, 1) as D + S(u) + u·(b − a)/(a + b): D = KL(p ‖ U(0, 1))
    and S(u) are ≥ 0, the cross term is of second order there (``cb_cross``, which for
    |u| > 1 combines the terms of size |u| analytically).
    """
    a, b = p.broadcast_params("concentration1", "concentration0")
    a, b, u = common(a, b, 0.5 * q.logits)
    s = a + b
    return jnp.maximum(beta_neg_entropy(a, b) + cb_cross(u, a / s, b / s), 0.0)


@register_kl(Beta, Pareto, jit=True)
def _kl_beta_pareto(p, q):
    """KL(p ‖ q) = +inf: Beta puts mass below any positive Pareto scale."""
    a, b = p.broadcast_params("concentration1", "concentration0")
    (m,) = q.broadcast_params("scale")
    a, b, m = common(a, b, m)
    return jnp.full_like(a, jnp.inf)


@register_kl(Beta, Normal, jit=True)
def _kl_beta_normal(p, q):
    """KL(p ‖ q) for p = Beta(a, b) and q = Normal(μ, σ).

    KL = −H(p) + ½·log(2πσ²) + (v + (m − μ)²)/(2σ²), m, v the mean and variance of p,
    evaluated as J + KL(N(m, v) ‖ N(μ, σ²)) with J = ``beta_normal_gap`` the negentropy of
    p: two non-negative terms, accurate also when large concentrations make p nearly normal
    and q matches it.
    """
    a, b = p.broadcast_params("concentration1", "concentration0")
    loc, scale = q.broadcast_params("loc", "scale")
    a, b, loc, scale = common(a, b, loc, scale)
    s = a + b
    m = a / s
    v = (m * (b / s)) / (s + 1.0)
    return beta_normal_gap(a, b) + normal_kl_moments(m, v, loc, scale)


def _log_minus_digamma(s: jax.Array) -> jax.Array:
    """log s − ψ(s) > 0 (≈ 1/(2s)): 1/(2s) − μ'(s) for s ≥ N0, direct below."""
    n0, terms = stirling_terms(s)
    big = s >= n0
    sb = jnp.where(big, s, n0)
    ss = jnp.where(big, 1.0, s)
    return jnp.where(big, 0.5 / sb - stirling_dmu(sb, terms), jnp.log(ss) - digamma(ss))


@register_kl(Beta, Exponential, jit=True)
@register_kl(Beta, Gamma, jit=True)
def _kl_beta_gamma(p, q):
    """KL(p ‖ q) for p = Beta(a, b) and q = Gamma(k, rate λ) (Exponential: k = 1).

    KL = −H(p) + lgamma(k) − k·log λ − (k − 1)(ψ(a) − ψ(s)) + λ·a/s, s = a + b. With
    r = Gamma(a, rate s) (same mean as p) the log-density ratio log r − log q is linear in
    (x, log x), and E_p[x] = E_r[x], so
    KL(p ‖ q) = KL(p ‖ r) + KL(r ‖ q) + (a − k)·(log s − ψ(s)):
    ``beta_gamma_gap`` + ``gamma_kl`` (both ≥ 0) + a cross term that is of second order
    where p is close to q (Beta(1, b) against Exponential(b), or Beta(a, b) against
    Gamma(a, a + b) for large b). It has no O(s log s) term anywhere.
    """
    a, b = p.broadcast_params("concentration1", "concentration0")
    k, rate = q.broadcast_params("concentration", "rate")
    a, b, k, rate = common(a, b, k, rate)
    s = a + b
    kl = beta_gamma_gap(a, b) + gamma_kl(a, s, k, rate) + (a - k) * _log_minus_digamma(s)
    return jnp.maximum(kl, 0.0)


@register_kl(Beta, Dirichlet, jit=True)
def _kl_beta_dirichlet(p: Beta, q: Dirichlet) -> jax.Array:
    """KL(p ‖ q) from Beta(a, b) to a Dirichlet over two categories.

    Beta(a, b) is the law of the first coordinate of Dirichlet([a, b]) (X ↔ (X, 1 − X)), so
    the KL is the Dirichlet ‖ Dirichlet one, ``log_beta_bregman([a, b], β)`` (``beta_kl``).

    Raises:
        ValueError: q does not have exactly two categories (at trace time, naming both shapes).
    """
    a, b = concentrations(beta_vector(p), q.concentration, "KL(Beta ‖ Dirichlet)", ("p [a, b]", "q"))
    return beta_kl(a[..., 0], a[..., 1], b[..., 0], b[..., 1])
