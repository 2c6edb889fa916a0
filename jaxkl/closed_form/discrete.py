"""Closed-form KL divergences where p is a discrete family.

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
import numpy as np
from jax.scipy.special import gammaln

from .. import checks
from .._math import compute_dtype, two_diff
from .._special import expm1mx, kl_div1p
from ..distributions.categorical import Categorical, CategoricalParams, OneHotCategorical
from ..distributions.discrete import Bernoulli, BinaryParams, Binomial, Geometric, Poisson, safe_log, xmul
from .registry import register_kl

__all__: list[str] = []


@jax.custom_jvp
def _ratio(d, y):
    """d / y, differentiated as (ḋ − (d/y)·ẏ)/y so that no 1/y² overflows for tiny y."""
    return d / y


@_ratio.defjvp
def _ratio_jvp(primals, tangents):
    d, y = primals
    dd, dy = tangents
    u = d / y
    return u, (dd - u * dy) / y


def _kl_term(x, y, diff, log_ratio, x_zero, y_zero):
    """kl_div(x, y) = x·log(x/y) − x + y ≥ 0 for one outcome.

    ``diff`` is x − y computed accurately by the caller, ``log_ratio`` log(x/y) (used only
    where x/y ∉ [1/2, 2], where it cannot cancel), ``x_zero``/``y_zero`` mark exact zeros
    (x and y themselves may have underflowed to 0 while their logs are finite). Where
    x/y ∈ [1/2, 2] the value is y·kl_div1p(diff/y), free of cancellation; elsewhere
    x·log(x/y) − diff, whose two terms cancel by at most a factor of 7.
    """
    gen = ~(x_zero | y_zero)
    y_pos = gen & (y > 0)
    y_s = jnp.where(y_pos, y, 1.0)
    u = _ratio(jnp.where(y_pos, diff, 0.0), y_s)
    near = y_pos & (u >= -0.5) & (u <= 1.0)
    v_near = y_s * kl_div1p(jnp.where(near, u, 0.0))
    far = gen & ~near
    v_far = jnp.where(far, x, 0.0) * jnp.where(far, log_ratio, 0.0) - jnp.where(far, diff, 0.0)
    val = jnp.maximum(jnp.where(near, v_near, v_far), 0.0)
    return jnp.where(gen, val, jnp.where(x_zero, jnp.where(y_zero, 0.0, y), jnp.inf))


def _dtype(p, q):
    return compute_dtype(p.dtype, q.dtype)


def _cast(dt, *arrays):
    return [a.astype(dt) for a in arrays]


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


def _bernoulli_kl(p: BinaryParams, q: BinaryParams, weight=None, per_success: bool = False) -> jax.Array:
    """w·KL(Bernoulli(p) ‖ Bernoulli(q)) of the success probabilities of p and q, batch-broadcast.

    The weight (``weight``, or 1/p with ``per_success``) scales the probabilities and their
    differences before the terms are formed (kl_div is 1-homogeneous), so a Binomial with
    n = 1e5 trials or a Geometric with a small p keeps a result that the unweighted
    Bernoulli KL would underflow.
    """
    dt = _dtype(p, q)
    p1, p0, lp1, lp0 = _cast(dt, *p.probability_parts())
    q1, q0, lq1, lq0 = _cast(dt, *q.probability_parts())
    if p._logits is not None and q._logits is not None:
        a, b = _cast(dt, p.broadcast_params("_logits")[0], q.broadcast_params("_logits")[0])
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
        t1 = _kl_term(_ratio(p1, p1s), _ratio(q1, p1s), _ratio(delta, p1s), r1, p_zero, q_zero)
        t0 = _kl_term(_ratio(p0, p1s), _ratio(q0, p1s), _ratio(-delta, p1s), r0, p_one, q_one)
        return t1 + t0
    if weight is not None:
        p1, q1, p0, q0, delta = (weight * v for v in (p1, q1, p0, q0, delta))
    t1 = _kl_term(p1, q1, delta, r1, p_zero, q_zero)
    t0 = _kl_term(p0, q0, -delta, r0, p_one, q_one)
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
    return _bernoulli_kl(p, q)


@register_kl(Geometric, Geometric, jit=True)
def _kl_geometric_geometric(p: Geometric, q: Geometric) -> jax.Array:
    """KL(p ‖ q) between two Geometric distributions (failures before the first success).

    KL = log(p/q) + ((1 − p)/p)·log((1 − p)/(1 − q)) = KL(Bernoulli(p) ‖ Bernoulli(q)) / p:
    the Geometric family is the Bernoulli one observed until the first success, and the
    expected number of trials is 1/p. The Bernoulli KL is computed accurately (see the
    Bernoulli pair). q = 1 > p gives +inf.
    """
    return _bernoulli_kl(p, q, per_success=True)


def _is_concrete(*arrays) -> bool:
    return not any(isinstance(a, jax.core.Tracer) for a in arrays)


# Not jit=True: with concrete total counts it raises eagerly where no closed form exists.
@register_kl(Binomial, Binomial)
def _kl_binomial_binomial(p: Binomial, q: Binomial) -> jax.Array:
    """KL(p ‖ q) between two Binomial distributions.

    With equal total counts n: n·KL(Bernoulli(p) ‖ Bernoulli(q)), accurate as the
    Bernoulli pair. With n_p > n_q, p puts mass on counts q cannot reach: +inf (unless
    p's success probability is 0, when p is the point mass at 0 and KL = −n_q·log(1 − q)).
    With n_p < n_q the KL is finite but has no closed form (E_p[log((n_q − k)!/(n_p − k)!)]
    remains); it is given where p is a point mass (success probability 0 or 1:
    −log Q(0) or −log Q(n_p)) and NaN elsewhere; eagerly (concrete parameters) a NaN of
    that kind raises instead.

    Raises:
        NotImplementedError: eagerly, where n_p < n_q and p is not a point mass; estimate
            such pairs with ``jaxkl.monte_carlo_kl``.
    """
    dt = _dtype(p, q)
    n_p, n_q = _cast(dt, p.broadcast_params("total_count")[0], q.broadcast_params("total_count")[0])
    n_p, n_q = jnp.broadcast_arrays(n_p, n_q)
    _, _, lp1, lp0 = _cast(dt, *p.probability_parts())
    _, _, lq1, lq0 = _cast(dt, *q.probability_parts())
    same = n_p == n_q
    kl_same = jnp.where(n_p == 0, 0.0, _bernoulli_kl(p, q, weight=jnp.where(same, n_p, 1.0)))
    p_zero, p_one = lp1 == -jnp.inf, lp0 == -jnp.inf
    # p = point mass at 0: −log Q(0) = −n_q·log(1 − q).
    kl_at0 = -xmul(n_q, lq0)
    # p = point mass at n_p ≤ n_q: −log Q(n_p).
    fits = n_p <= n_q
    k = jnp.where(fits, n_p, 0.0)
    log_comb = gammaln(n_q + 1.0) - gammaln(k + 1.0) - gammaln(n_q - k + 1.0)
    kl_atn = -(log_comb + xmul(k, lq1) + xmul(n_q - k, lq0))
    kl_over = jnp.where(p_zero, kl_at0, jnp.inf)
    kl_under = jnp.where(p_zero, kl_at0, jnp.where(p_one, kl_atn, jnp.nan))
    out = jnp.where(same, kl_same, jnp.where(n_p > n_q, kl_over, kl_under))
    if _is_concrete(out) and bool(jnp.any(jnp.isnan(out) & (n_p < n_q))):
        raise NotImplementedError(
            "KL(Binomial ‖ Binomial) with p.total_count < q.total_count has no closed form; "
            "estimate it with jaxkl.monte_carlo_kl(p, q, key=..., num_samples=...)"
        )
    return out


def _poisson_rates(p, q, dt):
    return _cast(dt, *jnp.broadcast_arrays(p.broadcast_params("rate")[0], q.broadcast_params("rate")[0]))


@register_kl(Poisson, Poisson, jit=True)
def _kl_poisson_poisson(p: Poisson, q: Poisson) -> jax.Array:
    """KL(p ‖ q) between two Poisson distributions.

    KL = λp·log(λp/λq) − λp + λq = λq·kl_div1p((λp − λq)/λq), with λp − λq exact when the
    rates are close; for rates far apart the log form, so rates from 1e-30 to 1e30 need
    no overflow. λp = 0 gives λq; λq = 0 < λp gives +inf.
    """
    lp, lq = _poisson_rates(p, q, _dtype(p, q))
    zp, zq = lp == 0, lq == 0
    r = safe_log(jnp.where(zp | zq, 1.0, lp)) - safe_log(jnp.where(zp | zq, 1.0, lq))
    return _kl_term(lp, lq, lp - lq, r, zp, zq)


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
    dt = _dtype(p, q)
    p1, p0, lp1, lp0 = _cast(dt, *p.probability_parts())
    (lam,) = _cast(dt, q.broadcast_params("rate")[0])
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
    t1 = _kl_term(p1, q1, diff1, r1, p_zero, lam_zero)
    # outcome 0: P = 1 − p, Q = e^(−λ)
    q0 = jnp.exp(-lam)
    diff0 = -d - expm1mx(-lam)
    r0 = jnp.where(p_one, 0.0, lp0) + lam
    t0 = _kl_term(p0, q0, diff0, r0, p_one, jnp.zeros_like(p_one))
    # Q(X ≥ 2) = 1 − e^(−λ)(1 + λ)
    small = lam < 1.0
    ls = jnp.where(small, lam, 0.0)
    lb = jnp.where(small, 1.0, lam)
    tail = jnp.where(small, jnp.exp(-ls) * expm1mx(ls), -jnp.expm1(-lb) - lb * jnp.exp(-lb))
    return t1 + t0 + tail


@register_kl(Poisson, Bernoulli, jit=True)
def _kl_poisson_bernoulli(p: Poisson, q: Bernoulli) -> jax.Array:
    """KL(p ‖ q) from a Poisson to a Bernoulli distribution.

    +inf for λ > 0 (p puts mass on every count ≥ 2); for λ = 0, p is the point mass at 0
    and KL = −log(1 − q).
    """
    dt = _dtype(p, q)
    (lam,) = _cast(dt, p.broadcast_params("rate")[0])
    lq0 = q.probability_parts()[3].astype(dt)
    return jnp.where(lam > 0, jnp.inf, -lq0 + jnp.zeros_like(lam))


@register_kl(Poisson, Binomial, jit=True)
def _kl_poisson_binomial(p: Poisson, q: Binomial) -> jax.Array:
    """KL(p ‖ q) from a Poisson to a Binomial distribution.

    +inf for λ > 0 (p puts mass on counts above q's total count); for λ = 0, p is the
    point mass at 0 and KL = −n·log(1 − q).
    """
    dt = _dtype(p, q)
    (lam,) = _cast(dt, p.broadcast_params("rate")[0])
    (n,) = _cast(dt, q.broadcast_params("total_count")[0])
    lq0 = q.probability_parts()[3].astype(dt)
    return jnp.where(lam > 0, jnp.inf, -xmul(n, lq0) + jnp.zeros_like(lam))


# ------------------------------------------------------------------------ categorical


def _categorical_params(p: CategoricalParams, q: CategoricalParams, fn: str):
    """The parameters of p and q broadcast to one batch shape, after the event-size check."""
    dt = _dtype(p, q)
    pa = (p.broadcast_params("_probs") if p._probs is not None else p.broadcast_params("_logits"))[0].astype(dt)
    qa = (q.broadcast_params("_probs") if q._probs is not None else q.broadcast_params("_logits"))[0].astype(dt)
    checks.assert_same_event_size(fn, pa, qa, -1)
    shape = jnp.broadcast_shapes(pa.shape, qa.shape)
    return jnp.broadcast_to(pa, shape), jnp.broadcast_to(qa, shape)


def _categorical_kl_probs(pp, qq):
    """Σ_k kl_div(p̂_k, q̂_k) for probability vectors, taken up to normalization.

    With t_k = (p_k − q_k)/q_k and s = Σ(p − q)/Σq (both from exact differences), the
    normalized ratio is p̂_k/q̂_k − 1 = (t_k − s)/(1 + s): the rounding of the two sums
    (a few ulp off 1) does not enter the small differences the KL is made of. For vectors
    that sum to 1 this is Σ p·log(p/q).
    """
    sp = jnp.sum(pp, axis=-1, keepdims=True)
    sq = jnp.sum(qq, axis=-1, keepdims=True)
    p_zero, q_zero = pp == 0, qq == 0
    gen = ~(p_zero | q_zero)
    q_s = jnp.where(gen, qq, 1.0)
    t = _ratio(jnp.where(gen, pp - qq, 0.0), q_s)
    s = jnp.sum(pp - qq, axis=-1, keepdims=True) / sq
    v = (t - s) / (1.0 + s)
    ph, qh = pp / sp, qq / sq
    up = v >= -0.5
    lr = jnp.where(
        up,
        jnp.log1p(jnp.where(up, v, 0.0)),
        safe_log(jnp.where(up, 1.0, pp)) - safe_log(jnp.where(up, 1.0, q_s)) - jnp.log1p(s),
    )
    return jnp.sum(_kl_term(ph, qh, qh * v, lr, p_zero, q_zero), axis=-1)


def _categorical_kl_logits(a, b):
    """Σ_k kl_div(p̂_k, q̂_k) for p̂ = softmax(a), q̂ = softmax(b) (−inf entries allowed).

    The log-ratio of entry k is d_k = w_k − c with w = a − b and c = log Σ_k q̂_k·e^(w_k)
    the log-ratio of the normalizers, and its term is q̂_k·kl_div1p(expm1(d_k)). Near
    p = q the w_k share a large common part (logits shifted by a constant) and d_k is
    small, so both are formed without rounding that common part: w_k is kept as the
    exact pair s_k + e_k, and c = c0 + log1p(Σ_k q̂_k·expm1(w_k − c0)) with c0 = s_j
    for the most probable category j under q, so that every w_k − c0 is exact and the
    log1p sees only the small differences. Where some w_k − c0 is large (distant
    distributions) c is the difference of the two logsumexps instead.
    """
    dt = a.dtype
    p_live, q_live = a > -jnp.inf, b > -jnp.inf
    both = p_live & q_live
    ma = jax.lax.stop_gradient(jnp.max(a, axis=-1, keepdims=True))
    mb = jax.lax.stop_gradient(jnp.max(b, axis=-1, keepdims=True))
    ma = jnp.where(jnp.isfinite(ma), ma, 0.0)
    mb = jnp.where(jnp.isfinite(mb), mb, 0.0)
    lza = jnp.log(jnp.sum(jnp.exp(a - ma), axis=-1, keepdims=True))
    lzb = jnp.log(jnp.sum(jnp.exp(b - mb), axis=-1, keepdims=True))
    ph = jnp.exp((a - ma) - lza)
    qh = jnp.exp((b - mb) - lzb)
    s, e = two_diff(jnp.where(both, a, 0.0), jnp.where(both, b, 0.0))
    j = jnp.argmax(jnp.where(both, b, -jnp.inf), axis=-1, keepdims=True)
    c0 = jax.lax.stop_gradient(jnp.take_along_axis(s, j, axis=-1))
    z = (s - c0) + e
    big = 40.0 if dt == np.float32 else 300.0
    z_max = jnp.max(jnp.where(both, z, -jnp.inf), axis=-1, keepdims=True)
    dead_mass = jnp.sum(jnp.where(~p_live & q_live, qh, 0.0), axis=-1, keepdims=True)
    near_c = (z_max <= big) & (dead_mass <= 0.5)
    em = jnp.where(both, jnp.expm1(jnp.where(near_c & both, z, 0.0)), jnp.where(q_live, -1.0, 0.0))
    c1 = jnp.log1p(jnp.where(near_c, jnp.sum(qh * em, axis=-1, keepdims=True), 0.0))
    c_far = (ma + lza) - (mb + lzb)
    d = jnp.where(near_c, z - c1, (s - c_far) + e)
    d = jnp.where(both, d, 0.0)
    dn = jnp.minimum(d, 1.0)
    diff = jnp.where(d <= 1.0, qh * jnp.expm1(dn), ph - qh)
    return jnp.sum(_kl_term(ph, qh, diff, d, ~p_live, ~q_live), axis=-1)


def categorical_kl(p: CategoricalParams, q: CategoricalParams, fn: str) -> jax.Array:
    pa, qa = _categorical_params(p, q, fn)
    if p._probs is not None and q._probs is not None:
        out = _categorical_kl_probs(pa, qa)
    else:
        a = pa if p._logits is not None else safe_log(pa)
        b = qa if q._logits is not None else safe_log(qa)
        out = _categorical_kl_logits(a, b)
    return jnp.maximum(out, 0.0)


@register_kl(Categorical, Categorical, jit=True)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> jax.Array:
    """KL(p ‖ q) between two Categorical distributions.

    KL = Σ_k p_k·log(p_k/q_k), computed as Σ_k q_k·kl_div1p(p_k/q_k − 1) (each term ≥ 0)
    with the ratios formed from exact differences: from probs, (p_k − q_k)/q_k corrected
    for the rounding of the sums (the KL is that of the normalized vectors); from logits,
    expm1((a_k − b_k) − c) with c the log-ratio of the normalizers computed from the same
    differences. Near p = q the result keeps relative accuracy (the textbook sum loses
    about log10(1/KL) digits). A category with p_k = 0 (or a −inf logit) contributes q_k
    and gets gradient 0; p_k > 0 = q_k gives +inf. A probs-versus-logits pair converts the
    probs to log-probabilities (accurate to ~eps/Δ relative for distributions differing by
    Δ).

    Raises:
        ValueError: the numbers of categories differ (at trace time, naming both shapes).
    """
    return categorical_kl(p, q, "KL(Categorical ‖ Categorical)")


@register_kl(OneHotCategorical, OneHotCategorical, jit=True)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> jax.Array:
    """KL(p ‖ q) between two OneHotCategorical distributions (as for Categorical).

    Raises:
        ValueError: the numbers of categories differ (at trace time, naming both shapes).
    """
    return categorical_kl(p, q, "KL(OneHotCategorical ‖ OneHotCategorical)")
