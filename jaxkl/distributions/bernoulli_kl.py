"""Closed-form KL(p ‖ q) for p a Bernoulli: q ∈ {Bernoulli, Poisson}.

The method, shared by every discrete pair of jaxkl (the terms live in ``_kl_common``):

Same family: Bernoulli, Binomial, Geometric, Poisson, Categorical, OneHotCategorical.
Across families: Bernoulli ‖ Poisson (finite), Poisson ‖ Bernoulli and Poisson ‖ Binomial
(+inf unless the Poisson rate is 0: a Poisson puts mass on every count, a Bernoulli or a
Binomial on finitely many).

Every formula is a sum over outcomes of the non-negative terms
kl_div(P(k), Q(k)) = P(k)·log(P(k)/Q(k)) − P(k) + Q(k), which sum to the KL because both
distributions sum to one. Each term is computed by ``_kl_term`` from the exactly
computed difference P(k) − Q(k) as Q(k)·kl_div1p((P(k) − Q(k))/Q(k)) when the ratio is
within [1/2, 2], so the result keeps relative accuracy as p → q, where the textbook
forms (p·log(p/q) + (1 − p)·log((1 − p)/(1 − q)), or Σ p·(log p − log q)) cancel to
nothing; and from log-probabilities otherwise, so that probabilities that underflow
(logits of ±1e4, Poisson rates of 1e5) still give the finite exact value. From logits,
the difference of two sigmoids is formed from the difference of the logits, never from
the rounded probabilities.

Conventions at the boundary: an outcome with P(k) = 0 contributes Q(k) and gets gradient
0 with respect to P(k) (the one-sided derivative is −∞); P(k) > 0 = Q(k) gives +inf with
zero gradients. Results have the broadcast batch shape of p and q and their compute
dtype (float32 for bfloat16/float16 parameters).

Examples:
    Bernoulli(0.3) ‖ Bernoulli(0.6) is ``scipy.stats.entropy([0.7, 0.3], [0.4, 0.6])`` =
    0.1837869; Poisson(2) ‖ Poisson(3) is λp·log(λp/λq) + λq − λp = 0.1890698; a Poisson
    against a Bernoulli is +inf (counts above 1 have no mass under q):

    >>> import jaxkl
    >>> from jaxkl.distributions import Bernoulli, Poisson
    >>> round(float(jaxkl.kl_divergence(Bernoulli(probs=0.3), Bernoulli(probs=0.6))), 6)
    0.183787
    >>> round(float(jaxkl.kl_divergence(Poisson(2.0), Poisson(3.0))), 6)
    0.18907
    >>> float(jaxkl.kl_divergence(Poisson(2.0), Bernoulli(probs=0.5)))
    inf
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._special import expm1mx
from ..registry import register_kl
from ._kl_common import cast_all, kl_term, pair_dtype, ratio
from .bernoulli import Bernoulli, BinaryParams
from .poisson import Poisson


def _sigmoid_difference(a, b):
    """sigmoid(a) − sigmoid(b), to a few ulp relative, from w = a − b.

    σ(a) − σ(b) = σ(−a)·σ(b)·expm1(w) = −σ(a)·σ(−b)·expm1(−w); the first form is used for
    w ≤ 0 and the second for w > 0, so neither exponential overflows. Equal infinite
    logits give 0.
    """
    same_inf = (a == b) & jnp.isinf(a)
    w = jnp.where(same_inf, 0.0, a) - jnp.where(same_inf, 0.0, b)
    neg = w <= 0
    d_neg = jax.nn.sigmoid(-a) * jax.nn.sigmoid(b) * jnp.expm1(jnp.where(neg, w, 0.0))
    d_pos = -jax.nn.sigmoid(a) * jax.nn.sigmoid(-b) * jnp.expm1(-jnp.where(neg, 0.0, w))
    return jnp.where(neg, d_neg, d_pos)


def bernoulli_params_kl(p: BinaryParams, q: BinaryParams, weight=None, per_success: bool = False) -> jax.Array:
    """w·KL(Bernoulli(p) ‖ Bernoulli(q)) of the success probabilities of p and q, batch-broadcast.

    The weight (``weight``, or 1/p with ``per_success``) scales the probabilities and their
    differences before the terms are formed (kl_div is 1-homogeneous), so a Binomial with
    n = 1e5 trials or a Geometric with a small p keeps a result that the unweighted
    Bernoulli KL would underflow.
    """
    dt = pair_dtype(p, q)
    p1, p0, lp1, lp0 = cast_all(dt, *p.probability_parts())
    q1, q0, lq1, lq0 = cast_all(dt, *q.probability_parts())
    if p.parameterization == q.parameterization == "logits":
        a, b = cast_all(dt, p.given_param(), q.given_param())
        a, b = jnp.broadcast_arrays(a, b)
        delta = _sigmoid_difference(a, b)
    else:
        delta = p1 - q1  # exact when p ≈ q (Sterbenz) for probs
    p_zero, p_one = lp1 == -jnp.inf, lp0 == -jnp.inf
    q_zero, q_one = lq1 == -jnp.inf, lq0 == -jnp.inf
    r1 = jnp.where(p_zero | q_zero, 0.0, lp1) - jnp.where(p_zero | q_zero, 0.0, lq1)
    r0 = jnp.where(p_one | q_one, 0.0, lp0) - jnp.where(p_one | q_one, 0.0, lq0)
    if per_success:
        p1s = jnp.where(p_zero, 1.0, p1)
        t1 = kl_term(ratio(p1, p1s), ratio(q1, p1s), ratio(delta, p1s), r1, p_zero, q_zero)
        t0 = kl_term(ratio(p0, p1s), ratio(q0, p1s), ratio(-delta, p1s), r0, p_one, q_one)
        return t1 + t0
    if weight is not None:
        p1, q1, p0, q0, delta = (weight * v for v in (p1, q1, p0, q0, delta))
    t1 = kl_term(p1, q1, delta, r1, p_zero, q_zero)
    t0 = kl_term(p0, q0, -delta, r0, p_one, q_one)
    return t1 + t0


@register_kl(Bernoulli, Bernoulli, jit=True)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> jax.Array:
    """KL(p ‖ q) between two Bernoulli distributions.

    KL = p·log(p/q) + (1 − p)·log((1 − p)/(1 − q)), computed as
    q·kl_div1p((p − q)/q) + (1 − q)·kl_div1p((q − p)/(1 − q)) (both terms ≥ 0, the
    linear parts cancel exactly) with p − q exact; from logits a, b,
    p − q = σ(−a)σ(b)·expm1(a − b), so logits that differ by 1e-6 still give the KL to
    a few ulp. p = 0 or 1 contributes the other outcome only; q = 0 < p or q = 1 > p is
    +inf.

    Args:
        p, q: Bernoulli distributions (probs or logits, in any combination).

    Returns:
        The KL, shape the broadcast batch shape, compute dtype.
    """
    return bernoulli_params_kl(p, q)


@register_kl(Bernoulli, Poisson, jit=True)
def _kl_bernoulli_poisson(p: Bernoulli, q: Poisson) -> jax.Array:
    """KL(p ‖ q) from a Bernoulli to a Poisson distribution.

    KL = (1 − p)·log((1 − p)/e^(−λ)) + p·log(p/(λe^(−λ))) = λ − p·log λ − H(p), written as
    kl_div(1 − p, e^(−λ)) + kl_div(p, λe^(−λ)) + Q(X ≥ 2), three non-negative terms
    (Q(X ≥ 2) = e^(−λ)·(e^λ − 1 − λ)), with the differences
    p − λe^(−λ) = (p − λ) − λ·expm1(−λ) and (1 − p) − e^(−λ) = (λ − p) − (e^(−λ) − 1 + λ)
    formed from p − λ, so that the small-λ regime, where the Poisson is close to a
    Bernoulli, keeps its accuracy. λ = 0 with p > 0 is +inf.
    """
    dt = pair_dtype(p, q)
    p1, p0, lp1, lp0 = cast_all(dt, *p.probability_parts())
    (lam,) = cast_all(dt, q.broadcast_params("rate")[0])
    p1, p0, lp1, lp0, lam = jnp.broadcast_arrays(p1, p0, lp1, lp0, lam)
    lam_zero = lam == 0
    lam_s = jnp.where(lam_zero, 1.0, lam)
    d = p1 - lam
    em1 = jnp.expm1(-lam)
    # outcome 1: P = p, Q = λe^(−λ)
    q1 = lam * jnp.exp(-lam)
    diff1 = d - lam * em1
    p_zero, p_one = lp1 == -jnp.inf, lp0 == -jnp.inf
    r1 = jnp.where(p_zero, 0.0, lp1) - (jnp.log(lam_s) - lam)
    t1 = kl_term(p1, q1, diff1, r1, p_zero, lam_zero)
    # outcome 0: P = 1 − p, Q = e^(−λ)
    q0 = jnp.exp(-lam)
    diff0 = -d - expm1mx(-lam)
    r0 = jnp.where(p_one, 0.0, lp0) + lam
    t0 = kl_term(p0, q0, diff0, r0, p_one, jnp.zeros_like(p_one))
    # Q(X ≥ 2) = 1 − e^(−λ)(1 + λ)
    small = lam < 1.0
    ls = jnp.where(small, lam, 0.0)
    lb = jnp.where(small, 1.0, lam)
    tail = jnp.where(small, jnp.exp(-ls) * expm1mx(ls), -jnp.expm1(-lb) - lb * jnp.exp(-lb))
    return t1 + t0 + tail
