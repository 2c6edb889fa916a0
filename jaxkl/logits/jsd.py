"""``jsd_logits``: the generalized Jensen–Shannon divergence between softmaxes of logits."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from .._math import jit_entry, row_dtype
from .._special import phi1p
from ..discrete import log_base
from .engine import (
    DEFAULT_PLAN,
    RowPlan,
    check_temperature,
    finish,
    flatten,
    log_ratio_and_probs,
    normalizers,
    prepare,
    row_cotangent,
    row_pass,
    row_reduce,
    two_pass_grads,
)
from .kl import kl_logits_planned

__all__ = ["jsd_logits"]


def _jsd_terms(ell, p, q, both, live_a, live_b, beta, form=0):
    """Per-entry kl_div(p, m) and kl_div(q, m), m = βp + (1 − β)q, and log(p/m), log(q/m).

    From ℓ = log(p/q): m/p − 1 = x = (1 − β)·expm1(−ℓ) and m/q − 1 = y = β·expm1(ℓ), and
    kl_div(p, m) = p·φ(x), kl_div(q, m) = q·φ(y) with φ(x) = x − log1p(x) ≥ 0 (``phi1p``),
    free of cancellation however small ℓ is. Where an expm1 would overflow (|ℓ| beyond
    ``cap``: one probability is e^-cap times the other) the exact rearrangements
    kl_div(p, m) = −p·log(m/p) + (1 − β)(q − p), log(m/p) = −ℓ + log1p(y) (and the mirror
    for q) are used; they do not cancel there. ``form`` varies the expressions only
    (see ``log_ratio_and_probs``).
    """
    cap = 600.0 if ell.dtype == np.float64 else 60.0
    if form == 0:
        arg_neg, arg_pos = -jnp.maximum(ell, -cap), jnp.minimum(ell, cap)
    elif form == 1:
        arg_neg, arg_pos = jnp.minimum(-ell, cap), -jnp.maximum(-ell, -cap)
    else:
        lo, hi = np.array(-np.inf, ell.dtype), np.array(cap, ell.dtype)
        arg_neg, arg_pos = lax.clamp(lo, -ell, hi), lax.clamp(lo, ell, hi)
    x = (1.0 - beta) * jnp.expm1(arg_neg)  # m/p − 1 (exact where ℓ ≥ −cap)
    y = beta * jnp.expm1(arg_pos)  # m/q − 1 (exact where ℓ ≤ cap)
    p_main, q_main = ell >= -cap, ell <= cap
    log_mp_far = -ell + jnp.log1p(y)  # used where ℓ < −cap (then y = β·expm1(ℓ))
    log_mq_far = ell + jnp.log1p(x)  # used where ℓ > cap
    kp = jnp.where(p_main, p * phi1p(x), jnp.maximum(-p * log_mp_far + (1.0 - beta) * (q - p), 0.0))
    kq = jnp.where(q_main, q * phi1p(y), jnp.maximum(-q * log_mq_far + beta * (p - q), 0.0))
    lpm = jnp.where(p_main, -jnp.log1p(x), -log_mp_far)
    lqm = jnp.where(q_main, -jnp.log1p(y), -log_mq_far)
    # masked entries: p = 0 → m = (1 − β)q, kl_div(p, m) = m, kl_div(q, m) = −q·log(1 − β) − βq
    lb, l1b = math.log(beta), math.log1p(-beta)
    dead_p = live_b & ~live_a
    dead_q = live_a & ~live_b
    kp = jnp.where(both, kp, jnp.where(dead_q, -p * lb - (1.0 - beta) * p, jnp.where(dead_p, (1.0 - beta) * q, 0.0)))
    kq = jnp.where(both, kq, jnp.where(dead_p, -q * l1b - beta * q, jnp.where(dead_q, beta * p, 0.0)))
    lpm = jnp.where(both, lpm, jnp.where(dead_q, -lb, 0.0))
    lqm = jnp.where(both, lqm, jnp.where(dead_p, -l1b, 0.0))
    return kp, kq, lpm, lqm


def _jsd_fwd_core(a, b, m, inv_t, beta, plan):
    def per_block(A, B, fused, again):
        stats, _ = normalizers(A, B, with_kl=False, fused=fused)
        form = 1 if fused else 0  # fused: keep apart from the backward's passes
        ell, p, q, both, live_a, live_b = log_ratio_and_probs(A, B, stats, form, form)
        kp, kq, _, _ = _jsd_terms(ell, p, q, both, live_a, live_b, beta, form)
        kpm, kqm = row_reduce((kp, kq), lax.add, fused)
        return (kpm, kqm, *stats)

    out = row_pass(a, b, m, inv_t, per_block, plan)
    kpm, kqm, stats = out[0], out[1], out[2:]
    jsd = jnp.where(stats[5] > 0, beta * kpm + (1.0 - beta) * kqm, 0.0)
    jsd = jnp.where(jnp.isnan(stats[5]), jnp.nan, jsd)  # a row with a NaN logit
    return jsd, (kpm, kqm, stats)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4, 5))
def _jsd_core(a, b, m, inv_t, beta, plan):
    return _jsd_fwd_core(a, b, m, inv_t, beta, plan)[0]


def _jsd_core_fwd(a, b, m, inv_t, beta, plan):
    jsd, (kpm, kqm, stats) = _jsd_fwd_core(a, b, m, inv_t, beta, plan)
    return jsd, (a, b, m, stats, kpm, kqm)


def _jsd_core_bwd(inv_t, beta, plan, res, g):
    a, b, m, stats, kpm, kqm = res
    cdt = row_dtype(a.dtype, b.dtype)
    g = row_cotangent(g.astype(cdt), stats[5]) * inv_t
    full, rows = [a, b, m], [g, kpm, kqm, *stats]
    dtypes = (a.dtype, b.dtype)

    def grads(f, r, parts):
        A, B = prepare(f[0], f[1], f[2], inv_t, cdt)
        g_r, kpm_r, kqm_r, *st = r
        alone = len(parts) == 1  # the fused path's separate passes: distinct forms
        form = (0 if "a" in parts else 2) if alone else 0
        d_form = (2 if "a" in parts else 3) if alone else 0
        ell, p, q, both, live_a, live_b = log_ratio_and_probs(A, B, st, 0, d_form)
        _, _, lpm, lqm = _jsd_terms(ell, p, q, both, live_a, live_b, beta, form)
        out = []
        if "a" in parts:
            out.append(jnp.where(live_a, (beta * g_r) * (p * (lpm - kpm_r)), 0.0).astype(dtypes[0]))
        if "b" in parts:
            out.append(jnp.where(live_b, ((1.0 - beta) * g_r) * (q * (lqm - kqm_r)), 0.0).astype(dtypes[1]))
        return tuple(out)

    ga, gb = two_pass_grads(grads, full, rows)  # see kl._kl_core_bwd
    return ga, gb, None


_jsd_core.defvjp(_jsd_core_fwd, _jsd_core_bwd)


def jsd_logits(
    p_logits: ArrayLike,
    q_logits: ArrayLike,
    *,
    beta: float = 0.5,
    axis: int = -1,
    temperature: float = 1.0,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
) -> jax.Array:
    r"""Generalized Jensen–Shannon divergence JSD_β(p ‖ q) between softmaxes of logits.

    $$
    \mathrm{JSD}_\beta(p\,\|\,q) = \beta\,\mathrm{KL}(p\,\|\,m) + (1-\beta)\,\mathrm{KL}(q\,\|\,m),
    \qquad m = \beta p + (1-\beta) q
    $$

    (the GKD convention: p the teacher, q the student; β = ½ is the Jensen–Shannon
    divergence, bounded by log 2). The mixture is formed in log space from the
    log-ratio ℓ = log p − log q, never from probabilities, so log-probabilities far
    below −104 (where float32 probabilities underflow) give no NaN, and each term is a
    non-negative Bregman term, accurate near p = q.

    β = 0 and β = 1, where the formula is identically 0, follow the convention of the
    distillation libraries (the limits of JSD_β/β and JSD_β/(1 − β)): β = 0 returns the
    forward KL(p ‖ q) and β = 1 the reverse KL(q ‖ p), both computed by
    [`kl_logits`][jaxkl.kl_logits].

    Gradients: ∂/∂a_k = β·p_k(log(p_k/m_k) − KL(p‖m))/T and
    ∂/∂b_k = (1 − β)·q_k(log(q_k/m_k) − KL(q‖m))/T; masked entries get 0. Memory, dtypes,
    masks, ``temperature``, logits of any magnitude and NaN rows (NaN) as in
    [`kl_logits`][jaxkl.kl_logits].

    Args:
      p_logits: logits of p, event on ``axis``.
      q_logits: logits of q; same event size, batch axes broadcast.
      beta: β ∈ [0, 1], a Python number (static).
      axis: the event axis.
      temperature: T > 0, a Python number (static under ``jit``).
      base: logarithm base; ``None`` for nats.
      where: optional boolean mask broadcastable to the inputs.
      keepdims: keep the reduced axis with size 1.

    Returns:
      The broadcast batch shape, float32 (float64 if an input is float64).

    Examples:
      Two distributions without common support are 1 bit apart; p = softmax([0, 0]) and
      q = softmax([2, 0]) give ``scipy.spatial.distance.jensenshannon(p, q) ** 2`` =
      0.08954090, and β = 0 gives KL(p ‖ q) (see [`kl_logits`][jaxkl.kl_logits]):

      >>> import jaxkl
      >>> round(float(jaxkl.jsd_logits([0.0, -1e9], [-1e9, 0.0], base=2)), 6)
      1.0
      >>> round(float(jaxkl.jsd_logits([0.0, 0.0], [2.0, 0.0])), 6)
      0.089541
      >>> round(float(jaxkl.jsd_logits([0.0, 0.0], [2.0, 0.0], beta=0.0)), 6)
      0.433781

    References:
      Agarwal et al., "On-Policy Distillation of Language Models: Learning from
      Self-Generated Mistakes" (GKD), ICLR 2024.
    """
    return jsd_logits_planned(
        p_logits, q_logits, beta=beta, axis=axis, temperature=temperature, base=base, where=where, keepdims=keepdims
    )


@jit_entry(("beta", "axis", "temperature", "base", "keepdims", "plan"))
def jsd_logits_planned(
    p_logits: ArrayLike,
    q_logits: ArrayLike,
    *,
    beta: float = 0.5,
    axis: int = -1,
    temperature: float = 1.0,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
    plan: RowPlan = DEFAULT_PLAN,
) -> jax.Array:
    """``jsd_logits`` with its rows reduced as ``plan`` says (see ``engine.RowPlan``)."""
    fn = "jaxkl.jsd_logits"
    if isinstance(beta, jax.core.Tracer) or not isinstance(beta, int | float | np.number) or isinstance(beta, bool):
        raise TypeError(f"{fn}: `beta` must be a Python number in [0, 1] (it is static), got {beta!r}")
    beta = float(beta)
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"{fn}: `beta` must be in [0, 1], got {beta!r}")
    if beta == 0.0:
        return kl_logits_planned(
            p_logits, q_logits, axis=axis, temperature=temperature, base=base, where=where, keepdims=keepdims, plan=plan
        )
    if beta == 1.0:
        return kl_logits_planned(
            q_logits, p_logits, axis=axis, temperature=temperature, base=base, where=where, keepdims=keepdims, plan=plan
        )
    lb = log_base(fn, base)
    inv_t = check_temperature(fn, temperature)
    a, b, m, batch, axis = flatten(fn, p_logits, q_logits, axis, where, ("p_logits", "q_logits"))
    out = _jsd_core(a, b, m, inv_t, beta, plan)
    return finish(out, batch, axis, keepdims, lb)
