"""Closed-form KL(p ‖ q) for p a Categorical: q ∈ {Categorical}.

The category-wise sum that OneHotCategorical and Multinomial pairs reuse; the method is that
of ``bernoulli_kl``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import checks
from .._math import safe_log, two_diff
from ..registry import register_kl
from ._kl_common import kl_term, pair_dtype, ratio
from .categorical import Categorical, CategoricalParams


def _categorical_params(p: CategoricalParams, q: CategoricalParams, fn: str):
    """The parameters of p and q broadcast to one batch shape, after the event-size check."""
    dt = pair_dtype(p, q)
    pa = p.given_param().astype(dt)
    qa = q.given_param().astype(dt)
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
    t = ratio(jnp.where(gen, pp - qq, 0.0), q_s)
    s = jnp.sum(pp - qq, axis=-1, keepdims=True) / sq
    v = (t - s) / (1.0 + s)
    ph, qh = pp / sp, qq / sq
    up = v >= -0.5
    lr = jnp.where(
        up,
        jnp.log1p(jnp.where(up, v, 0.0)),
        safe_log(jnp.where(up, 1.0, pp)) - safe_log(jnp.where(up, 1.0, q_s)) - jnp.log1p(s),
    )
    return jnp.sum(kl_term(ph, qh, qh * v, lr, p_zero, q_zero), axis=-1)


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
    return jnp.sum(kl_term(ph, qh, diff, d, ~p_live, ~q_live), axis=-1)


def categorical_params_kl(p: CategoricalParams, q: CategoricalParams, fn: str) -> jax.Array:
    pa, qa = _categorical_params(p, q, fn)
    if p.parameterization == q.parameterization == "probs":
        out = _categorical_kl_probs(pa, qa)
    else:
        a = pa if p.parameterization == "logits" else safe_log(pa)
        b = qa if q.parameterization == "logits" else safe_log(qa)
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
    return categorical_params_kl(p, q, "KL(Categorical ‖ Categorical)")
