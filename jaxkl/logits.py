"""KL and generalized Jensen–Shannon divergences between distributions given by logits.

Built for the [tokens, vocab] arrays of distillation and RL fine-tuning:

* memory that does not grow with the vocabulary: both functions are ``custom_vjp``
  functions whose residuals are the inputs and a few per-row scalars; the backward pass forms
  the gradients element-wise from them;
* on CPU, rows are processed in blocks of about ``2**18`` entries (a loop over row
  blocks), because XLA:CPU materializes the element-wise producer of every reduction:
  without blocks each reduction would hold a float32 [tokens, vocab] temporary. On
  GPU/TPU the whole array is one block (XLA fuses producers into reductions there);
* bfloat16/float16 inputs are read as they are and converted inside the fused
  element-wise code (accumulation in float32); gradients come back in the input dtype;
* accuracy near p = q: the per-entry log-ratio ℓ_k = log p_k − log q_k is formed to
  full *relative* precision however close the distributions are, and the KL is summed
  from non-negative Bregman terms, so a KL of 1e-11 in float32 keeps ~7 digits (the
  textbook ``Σ p (log p − log q)`` keeps none below about 1e-7).

How ℓ is formed. With w_k = a_k − b_k and C = logsumexp(a) − logsumexp(b), ℓ_k = w_k − C.
Near p = q all w_k share a large common part, so w_k is kept as an exact pair s_k + e_k
(TwoSum), shifted by w0 = max(a) − max(b) (exact: s_k − w0 is small), giving
d_k = w_k − w0 to a few ulp *of d_k*. Then C − w0 = log Σ_k q_k·e^{d_k} =
log1p(S) with S = Σ_k q_k·expm1(d_k), a sum of small terms without cancellation, and
ℓ_k = d_k − log1p(S). One pass over the row gives, besides the two normalizers, S and
H = Σ_k q_k·h(d_k) with h(d) = 1 + (d − 1)·e^d ≥ 0, from which
KL = H/(1 + S) − (log1p(S) − S/(1 + S)): two non-negative terms whose difference is
the KL (both are small near p = q; they cancel badly only when w0 is far from every
w_k, which happens only for distant distributions, where the direct
E_p[d] − log(Σe^a/Σe^b) is used instead).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from jax.typing import ArrayLike

from ._math import jit_entry, two_diff
from ._special import expm1mx_series, phi1p
from .checks import assert_same_event_size, normalize_axis
from .discrete import broadcast_pair, check_mask, log_base

__all__ = ["jsd_logits", "kl_logits"]

_BLOCK_ELEMENTS = 2**18  # entries per row block on CPU (a few MiB of temporaries per block)


# --------------------------------------------------------------------------- helpers


def _compute_dtype(*dtypes) -> np.dtype:
    """float64 if any input is float64, else float32 (bfloat16/float16 compute in float32)."""
    return np.dtype(np.float64) if any(np.dtype(d) == np.float64 for d in dtypes) else np.dtype(np.float32)


_GRAD_SMALL = 0.125  # |ℓ| below which the gradient uses q − p = −q·expm1(ℓ) by series


def _expm1_small(x):
    """expm1(x) for |x| ≤ 1/8 by its Taylor series (truncation < 1e-9 relative in float32,
    < 1e-16 in float64); no transcendental call."""
    terms = 13 if x.dtype == np.float64 else 6
    acc = 1.0 / math.factorial(terms)
    for n in range(terms - 1, 0, -1):
        acc = acc * x + 1.0 / math.factorial(n)
    return x * acc


def _rows_per_block(n: int, v: int) -> int:
    """The largest divisor of n that keeps a block at about ``_BLOCK_ELEMENTS`` entries."""
    return _divisor_at_most(n, _BLOCK_ELEMENTS // max(v, 1))


def _divisor_at_most(n: int, target: int) -> int:
    """The largest divisor of n that is ≤ target (≥ 1)."""
    target = max(1, min(n, target))
    best, i = 1, 1
    while i * i <= n:
        if n % i == 0:
            for dv in (i, n // i):
                if dv <= target:
                    best = max(best, dv)
        i += 1
    return best


def _use_blocks(*dtypes) -> bool:
    """Row blocks on CPU for float32/float64 inputs; everything else is one fused pass.

    16-bit inputs are not blocked on CPU: XLA:CPU cannot slice a bfloat16 array inside a
    loop without first widening all of it to float32. They take the fused path, whose
    reductions are single multi-output XLA reductions (no temporary, slower on CPU).
    Neither are runs with several devices (sharded inputs).
    """
    if any(jnp.dtype(d).itemsize < 4 for d in dtypes):
        return False
    if _FORCE_BLOCKS is not None:
        return _FORCE_BLOCKS
    # With several devices the inputs may be sharded; the fused path leaves the
    # partitioning of its plain reductions to XLA.
    return jax.default_backend() == "cpu" and jax.device_count() == 1


_FORCE_BLOCKS: bool | None = None  # tests set this to exercise both code paths


def _map_row_blocks(fn, full, n: int, v: int):
    """Per-row statistics of blocks of complete rows.

    ``full``: arrays of shape [N or 1, V or 1] (or ``None``); ``fn(full_blocks)`` returns
    per-row outputs of shape [r, 1]. Returns them for all N rows. Blocks are strided
    (block i holds rows i, i + nb, i + 2·nb, …). Only float32/float64 arrays come here
    (see ``_use_blocks``).
    """
    rb = _rows_per_block(n, v)
    nb = n // rb
    if nb == 1:
        return fn(full)
    full3 = [None if x is None or x.shape[0] == 1 else x.reshape(rb, nb, x.shape[-1]) for x in full]
    shapes = jax.eval_shape(fn, [None if x is None else x[:1] for x in full])

    def body(i, acc):
        blocks = [
            x if x3 is None else lax.dynamic_index_in_dim(x3, i, axis=1, keepdims=False) for x3, x in zip(full3, full)
        ]
        return tuple(lax.dynamic_update_index_in_dim(a, o, i, axis=1) for a, o in zip(acc, fn(blocks)))

    acc = lax.fori_loop(0, nb, body, tuple(jnp.zeros((rb, nb, 1), s.dtype) for s in shapes))
    return tuple(x.reshape(n, 1) for x in acc)


def _widen(x, cdt):
    """x in the compute dtype. bfloat16 is widened through its bits (an integer shift),
    which XLA:CPU does not move out of the block loop; a plain ``convert`` there gets
    hoisted and converts, and stores, the whole input at once."""
    if x.dtype == jnp.bfloat16 and cdt == np.float32:
        bits = lax.bitcast_convert_type(x, jnp.uint16).astype(jnp.uint32) << 16
        return lax.bitcast_convert_type(bits, jnp.float32)
    return x.astype(cdt)


def _prepare(a, b, m, inv_t, cdt):
    """The logits in the compute dtype, scaled by 1/temperature, masked entries at −inf."""
    A, B = _widen(a, cdt), _widen(b, cdt)
    if inv_t != 1.0:
        A, B = A * inv_t, B * inv_t
    if m is not None:
        A = jnp.where(m, A, -jnp.inf)
        B = jnp.where(m, B, -jnp.inf)
    return A, B


def _shifted_difference(A, B, ma, mb, form=0):
    """d = (a − b) − w0 to a few ulp of d (w0 = ma − mb, rounded), and w0's rounding e0.

    ``form`` (0–3) selects one of four expressions with bit-identical results (b − a
    negated, another test for masked entries): separate passes on the fused path use
    different forms so that XLA does not merge them (see ``_log_ratio_and_probs``).
    """
    if form == 0:
        both = (A > -jnp.inf) & (B > -jnp.inf)
    elif form == 1:
        both = ~((A == -jnp.inf) | (B == -jnp.inf))
    elif form == 2:
        both = jnp.minimum(A, B) > -jnp.inf
    else:
        both = jnp.maximum(-A, -B) < jnp.inf
    w0, e0 = two_diff(ma, mb)
    x, y = jnp.where(both, A, 0.0), jnp.where(both, B, 0.0)
    if form & 1:
        s, e = two_diff(y, x)
        return both, -((s + w0) + e), e0
    s, e = two_diff(x, y)
    return both, (s - w0) + e, e0


def _row_reduce(xs, op, fused: bool):
    """Reduce each array over the last axis (keepdims).

    ``fused``: one multi-output XLA reduction, into which XLA fuses the element-wise
    producers (no temporary). Otherwise one ``jnp`` reduction each (on CPU these run
    through YNNPACK, fast, but each materializes its producer: used on row blocks).
    """
    if not fused:
        red = jnp.sum if op is lax.add else jnp.max
        return tuple(red(x, axis=-1, keepdims=True) for x in xs)
    init = tuple(jnp.array(0 if op is lax.add else -jnp.inf, x.dtype) for x in xs)
    out = lax.reduce(tuple(xs), init, lambda u, w: tuple(op(x, y) for x, y in zip(u, w)), (xs[0].ndim - 1,))
    return tuple(o[..., None] for o in out)


def _row_sums(A, B, ma, mb, fused: bool, terms: int):
    """Row sums Σe^{a−ma}, Σe^{b−mb}, Σq·expm1(d) and, for ``terms`` ≥ 4, Σq·h(d) (and, for
    5, Σe^{a−ma}·d), with d = (a − b) − (ma − mb); also w0's rounding e0."""
    both, d, e0 = _shifted_difference(A, B, ma, mb)
    live_a, live_b = A > -jnp.inf, B > -jnp.inf
    eA = jnp.exp(A - ma)
    eB = jnp.exp(B - mb)
    small = jnp.abs(d) <= 1.0
    ds = jnp.where(small, d, 0.0)
    r = (ds * ds) * expm1mx_series(ds)  # e^d − 1 − d
    eAe = eA * (1.0 + e0)  # = eB·e^d (e0 is a rounding error: e^e0 = 1 + e0)
    s_term = jnp.where(both, jnp.where(small, eB * (ds + r), eAe - eB), -eB)  # q·expm1(d)
    lost = live_a & ~live_b  # p has mass where q has none: KL = +inf
    sums = [eA, eB, s_term]
    if terms >= 4:
        # q·h(d), h(d) = 1 + (d − 1)e^d = d² − (1 − d)(e^d − 1 − d) ≥ 0
        h_term = jnp.where(both, jnp.where(small, eB * (ds * ds - r * (1.0 - ds)), eB + (d - 1.0) * eAe), eB)
        sums.append(jnp.where(lost, jnp.inf, h_term))
    if terms >= 5:
        sums.append(jnp.where(lost, jnp.inf, jnp.where(both, eA * jnp.where(both, d, 0.0), 0.0)))
    return _row_reduce(sums, lax.add, fused), e0


# Near p = q, KL = H/(1 + S) − φ(S) is a difference of two small non-negative terms. With
# the shift w0 = max a − max b they cancel by a factor H/((1 + S)·KL) ≈ 1 + E_q[d]²/Var_q[d],
# which is large when the mass of q sits away from the entry where b peaks (many tied
# logits: a flat q with one raised entry cancels by ~V). Rows past this factor are summed
# again with the shift w0 + c = log(Σe^a/Σe^b) itself, where S ≈ 0 and nothing cancels
# (the formula holds for any shift; an error in c moves the KL only to second order).
_CANCELLATION = 8.0


def _kl_near(H, S):
    return H / (1.0 + S) - phi1p(-S / (1.0 + S))


def _normalizers(A, B, with_kl: bool, fused: bool, again=None):
    """Per-row statistics: maxima, log-normalizers, c = C − w0 and (optionally) the KL.

    ``again()`` gives A and B for the second sum of rows that cancel (by default A and B
    themselves); on the fused path it prepares them from the inputs once more, so that the
    conditional second sum does not keep the prepared [tokens, vocab] arrays alive.
    """
    ma, mb = _row_reduce((A, B), lax.max, fused)
    ma = jnp.where(jnp.isfinite(ma), ma, 0.0)
    mb = jnp.where(jnp.isfinite(mb), mb, 0.0)
    (za, zb, s_sum, *hm), e0 = _row_sums(A, B, ma, mb, fused, 5 if with_kl else 3)
    za_s = jnp.where(za > 0, za, 1.0)
    zb_s = jnp.where(zb > 0, zb, 1.0)
    S = s_sum / zb_s
    near = S >= -0.5
    Sn = jnp.where(near, S, 0.0)
    c_far = e0 + jnp.log(za_s / zb_s)
    c = jnp.where(near, jnp.log1p(Sn), c_far)
    support = ((za > 0) & (zb > 0)).astype(A.dtype)  # 0: p or q has no entry left
    stats = (ma, mb, jnp.log(za_s), jnp.log(zb_s), c, support)
    if not with_kl:
        return stats, None
    H = hm[0] / zb_s
    M = hm[1] / za_s
    kl_near = _kl_near(H, Sn)
    redo = near & (support > 0) & (H < jnp.inf) & (H / (1.0 + Sn) > _CANCELLATION * kl_near)

    def refine(kl_near):
        mb2 = jnp.where(redo, mb - c, mb)  # the shift ma − mb2 = w0 + c
        A2, B2 = (A, B) if again is None else again()
        (_, zb2, s2, h2), _ = _row_sums(A2, B2, ma, mb2, fused, 4)
        zb2 = jnp.where(zb2 > 0, zb2, 1.0)
        S2 = s2 / zb2
        S2 = jnp.where(S2 >= -0.5, S2, 0.0)
        return jnp.where(redo, _kl_near(h2 / zb2, S2), kl_near)

    kl_near = lax.cond(jnp.any(redo), refine, lambda k: k, kl_near)
    kl = jnp.where(near, kl_near, M - c_far)
    kl = jnp.where(zb > 0, kl, jnp.inf)
    kl = jnp.where(za > 0, jnp.maximum(kl, 0.0), 0.0)
    return stats, kl


def _log_ratio_and_probs(A, B, stats, form=0, d_form=0):
    """ℓ = log p − log q (0 where either entry is masked), p, q and the liveness masks.

    ``form`` picks one of equivalent expressions for p and q (p = q·e^ℓ): XLA merges
    identical expressions of separate passes and would then store the shared
    exponential as a [tokens, vocab] temporary; different forms keep the passes apart
    (used on the fused path, where the passes are not separated by row blocks).
    """
    ma, mb, lza, lzb, c, _ = stats
    both, d, _ = _shifted_difference(A, B, ma, mb, d_form)
    ell = jnp.where(both, d - c, 0.0)
    lp, lq = (A - ma) - lza, (B - mb) - lzb
    if form == 0:
        p, q = jnp.exp(lp), jnp.exp(lq)
    else:
        p, q = jnp.exp(lq + ell), jnp.exp(lp - ell)
    p = jnp.where(A > -jnp.inf, p, 0.0)
    q = jnp.where(B > -jnp.inf, q, 0.0)
    return ell, p, q, both, A > -jnp.inf, B > -jnp.inf


def _flatten(fn, p_logits, q_logits, axis, where, names):
    """Validate and bring the inputs to [N, V] (event last); the mask to [N or 1, V or 1].

    A mask that is constant along every batch axis stays [1, V]; any other mask is
    broadcast to the batch shape (a boolean [N, V] or [N, 1]).
    """
    arrays = []
    for x, name in zip((p_logits, q_logits), names):
        x = jnp.asarray(x)
        if jnp.issubdtype(x.dtype, jnp.complexfloating) or not (
            jnp.issubdtype(x.dtype, jnp.number) or x.dtype == jnp.bool_
        ):
            raise TypeError(f"{fn}: `{name}` must be real; got dtype {x.dtype}")
        if not jnp.issubdtype(x.dtype, jnp.floating):
            x = x.astype(jnp.result_type(float))
        arrays.append(x)
    a, b = arrays
    assert_same_event_size(fn, a, b, axis, names)
    a, b = broadcast_pair(fn, a, b, names)
    axis = normalize_axis(fn, axis, a.ndim)
    shape = a.shape
    if axis != a.ndim - 1:
        a, b = jnp.moveaxis(a, axis, -1), jnp.moveaxis(b, axis, -1)
    batch, v = a.shape[:-1], a.shape[-1]
    n = math.prod(batch)
    m = None
    if where is not None:
        m = check_mask(fn, where, shape)
        m = m.reshape((1,) * (len(shape) - m.ndim) + m.shape)
        m = jnp.moveaxis(m, axis, -1)
        rows = math.prod(m.shape[:-1]) > 1
        if rows:
            m = jnp.broadcast_to(m, batch + m.shape[-1:])
        m = m.reshape(n if rows else 1, m.shape[-1])
    return a.reshape(n, v), b.reshape(n, v), m, batch, axis


def _finish(out, batch, axis, keepdims, lb):
    out = out.reshape(batch)
    if keepdims:
        out = jnp.expand_dims(out, axis)
    return out if lb is None else out / lb


def _check_temperature(fn, temperature) -> float:
    if isinstance(temperature, jax.core.Tracer) or not isinstance(temperature, int | float | np.number):
        raise TypeError(f"{fn}: `temperature` must be a Python number (it is static), got {temperature!r}")
    t = float(temperature)
    if not (t > 0 and math.isfinite(t)):
        raise ValueError(f"{fn}: `temperature` must be positive and finite, got {temperature!r}")
    return 1.0 / t


# ----------------------------------------------------------------------------- KL


def _row_pass(a, b, m, inv_t, per_block):
    """Per-row outputs of ``per_block(A, B, fused, again)`` (A, B: the prepared logits of a block
    of complete rows), over row blocks on CPU or in one fused pass (see ``_use_blocks``)."""
    cdt = _compute_dtype(a.dtype, b.dtype)
    fused = not _use_blocks(a.dtype, b.dtype)

    def block(full):
        A, B = _prepare(full[0], full[1], full[2], inv_t, cdt)
        return per_block(A, B, fused, lambda: _prepare(full[0], full[1], full[2], inv_t, cdt))

    return block([a, b, m]) if fused else _map_row_blocks(block, [a, b, m], *a.shape)


def _kl_fwd_core(a, b, m, inv_t):
    def per_block(A, B, fused, again):
        stats, kl = _normalizers(A, B, with_kl=True, fused=fused, again=again)
        return (kl, *stats)

    out = _row_pass(a, b, m, inv_t, per_block)
    return out[0], out[1:]


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _kl_core(a, b, m, inv_t):
    return _kl_fwd_core(a, b, m, inv_t)[0]


def _kl_core_fwd(a, b, m, inv_t):
    kl, stats = _kl_fwd_core(a, b, m, inv_t)
    return kl, (a, b, m, stats, kl)


def _kl_grads(full, rows, inv_t, cdt, parts, dtypes):
    """The requested gradient blocks ("a", "b") of the KL for rows of inputs."""
    A, B = _prepare(full[0], full[1], full[2], inv_t, cdt)
    g_r, kl_r, *st = rows
    alone = len(parts) == 1  # the fused path's separate passes: distinct forms
    ell, p, q, both, _, live_b = _log_ratio_and_probs(A, B, st, 0, (2 if "b" in parts else 1) if alone else 0)
    out = []
    if "a" in parts:
        out.append(jnp.where(both, g_r * (p * (ell - kl_r)), 0.0).astype(dtypes[0]))
    if "b" in parts:
        if alone:
            p = _log_ratio_and_probs(A, B, st, 1, 2)[1]
        # q − p = −q·expm1(ℓ), exact near p = q; beyond |ℓ| = 1/8, q − p loses < 3 bits
        small = jnp.abs(ell) <= _GRAD_SMALL
        em = _expm1_small(jnp.where(small, ell, 0.0))
        gb = jnp.where(both, jnp.where(small, -(g_r * q) * em, g_r * (q - p)), jnp.where(live_b, g_r * q, 0.0))
        out.append(gb.astype(dtypes[1]))
    return tuple(out)


def _two_pass_grads(grads, full, rows):
    """Gradients of both inputs from two separate element-wise passes (fused path).

    ``grads`` writes the two passes with different expressions for what they share
    (see ``_log_ratio_and_probs``), so that XLA fuses each into its own output.
    """
    return grads(full, rows, ("a",))[0], grads(full, rows, ("b",))[0]


def _kl_core_bwd(inv_t, res, g):
    a, b, m, stats, kl = res
    cdt = _compute_dtype(a.dtype, b.dtype)
    finite = jnp.isfinite(kl)
    g = jnp.where(finite & (stats[5] > 0), g.astype(cdt), 0.0) * inv_t
    kl0 = jnp.where(finite, kl, 0.0)
    full, rows = [a, b, m], [g, kl0, *stats]
    dtypes = (a.dtype, b.dtype)

    def grads(f, r, parts):
        return _kl_grads(f, r, inv_t, cdt, parts, dtypes)

    # Element-wise, so no row blocks are needed: two fused passes (one per gradient)
    # measured faster on CPU than a block loop, whose gradient buffers must first be
    # zero-filled.
    ga, gb = _two_pass_grads(grads, full, rows)
    return ga, gb, None


_kl_core.defvjp(_kl_core_fwd, _kl_core_bwd)


@jit_entry(("axis", "temperature", "base", "keepdims"), config=lambda: _settings())
def kl_logits(
    p_logits: ArrayLike,
    q_logits: ArrayLike,
    *,
    axis: int = -1,
    temperature: float = 1.0,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
) -> jax.Array:
    r"""KL(softmax(p_logits / T) ‖ softmax(q_logits / T)) along ``axis``, in log space.

    $$
    \mathrm{KL} = \sum_k p_k\,(\log p_k - \log q_k),\qquad
    p = \mathrm{softmax}(a/T),\ q = \mathrm{softmax}(b/T)
    $$

    computed as a sum of non-negative terms from log-ratios accurate to a few ulp
    *relative*, so the result keeps full relative precision however close p is to q
    (see [`jaxkl.logits`][jaxkl.logits]). For distillation, KL(teacher ‖ student) (forward,
    mass-covering) is ``kl_logits(teacher, student)`` and the reverse, mode-seeking
    KL(student ‖ teacher) is ``kl_logits(student, teacher)``; gradients flow to both
    arguments either way. Hinton's temperature-scaled loss multiplies the result by T².

    Memory: a ``custom_vjp`` whose residuals are the inputs and six per-row scalars; no
    [tokens, vocab] temporary in forward or backward (at N = 4096, V = 131072,
    value_and_grad needs well under 160 MiB of temporaries in float32 and bfloat16, where
    the log_softmax formulation needs 4–8 GiB). bfloat16/float16 inputs are converted
    inside the fused code and accumulate in float32; their gradients are returned in the
    input dtype. Memory is guaranteed for the event on the last axis and inputs of the
    same shape (another ``axis`` moves it last, broadcasting expands the inputs: both copy).

    Masking: an entry whose logit is ``-inf`` has probability 0: ``-inf`` in ``p_logits``
    contributes nothing, ``-inf`` in ``q_logits`` where p has mass gives +inf.
    ``where=False`` removes the entry from *both* softmaxes; a row with no entry left
    (e.g. ``where=mask[:, None]`` for ignored tokens) gives 0 and gradient 0.

    Gradients (reverse mode only: ``jax.jvp``/``jacfwd`` are not supported):
    ∂/∂a_k = p_k(ℓ_k − KL)/T and ∂/∂b_k = (q_k − p_k)/T, with ℓ_k = log p_k − log q_k;
    q_k − p_k is formed as −q_k·expm1(ℓ_k), exact near p = q. Masked entries, rows with
    an infinite KL and rows with no support get gradient 0.

    Args:
      p_logits: logits of p, shape ``[..., V, ...]`` with the event on ``axis``; any
        floating dtype (integers are promoted).
      q_logits: logits of q; same event size, batch axes broadcast.
      axis: the event axis.
      temperature: T > 0, a Python number (static under ``jit``).
      base: logarithm base; ``None`` for nats.
      where: optional boolean mask broadcastable to the inputs.
      keepdims: keep the reduced axis with size 1.

    Returns:
      The broadcast batch shape, in float32 (float64 if an input is float64).

    Examples:
      p = softmax([0, 0]) = (½, ½) and q = softmax([2, 0]); the value is
      ``scipy.stats.entropy([0.5, 0.5], scipy.special.softmax([2.0, 0.0]))`` = 0.43378083.
      A ``-inf`` logit in p is an entry with probability 0; at temperature T = 2 the
      logits are halved:

      >>> import jaxkl
      >>> float(jaxkl.kl_logits([0.0, 0.0], [2.0, 0.0]))
      0.433781
      >>> float(jaxkl.kl_logits([0.0, float("-inf")], [0.0, 0.0]))  # log 2
      0.693147
      >>> float(jaxkl.kl_logits([0.0, 0.0], [4.0, 0.0], temperature=2.0))
      0.433781
    """
    fn = "jaxkl.kl_logits"
    lb = log_base(fn, base)
    inv_t = _check_temperature(fn, temperature)
    a, b, m, batch, axis = _flatten(fn, p_logits, q_logits, axis, where, ("p_logits", "q_logits"))
    out = _kl_core(a, b, m, inv_t)
    return _finish(out, batch, axis, keepdims, lb)


# ----------------------------------------------------------------------------- JSD


def _jsd_terms(ell, p, q, both, live_a, live_b, beta, form=0):
    """Per-entry kl_div(p, m) and kl_div(q, m), m = βp + (1 − β)q, and log(p/m), log(q/m).

    From ℓ = log(p/q): m/p − 1 = x = (1 − β)·expm1(−ℓ) and m/q − 1 = y = β·expm1(ℓ), and
    kl_div(p, m) = p·φ(x), kl_div(q, m) = q·φ(y) with φ(x) = x − log1p(x) ≥ 0 (``phi1p``),
    free of cancellation however small ℓ is. Where an expm1 would overflow (|ℓ| beyond
    ``cap``: one probability is e^-cap times the other) the exact rearrangements
    kl_div(p, m) = −p·log(m/p) + (1 − β)(q − p), log(m/p) = −ℓ + log1p(y) (and the mirror
    for q) are used; they do not cancel there. ``form`` varies the expressions only
    (see ``_log_ratio_and_probs``).
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


def _jsd_fwd_core(a, b, m, inv_t, beta):
    def per_block(A, B, fused, again):
        stats, _ = _normalizers(A, B, with_kl=False, fused=fused)
        form = 1 if fused else 0  # fused: keep apart from the backward's passes
        ell, p, q, both, live_a, live_b = _log_ratio_and_probs(A, B, stats, form, form)
        kp, kq, _, _ = _jsd_terms(ell, p, q, both, live_a, live_b, beta, form)
        kpm, kqm = _row_reduce((kp, kq), lax.add, fused)
        return (kpm, kqm, *stats)

    out = _row_pass(a, b, m, inv_t, per_block)
    kpm, kqm, stats = out[0], out[1], out[2:]
    jsd = jnp.where(stats[5] > 0, beta * kpm + (1.0 - beta) * kqm, 0.0)
    return jsd, (kpm, kqm, stats)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3, 4))
def _jsd_core(a, b, m, inv_t, beta):
    return _jsd_fwd_core(a, b, m, inv_t, beta)[0]


def _jsd_core_fwd(a, b, m, inv_t, beta):
    jsd, (kpm, kqm, stats) = _jsd_fwd_core(a, b, m, inv_t, beta)
    return jsd, (a, b, m, stats, kpm, kqm)


def _jsd_core_bwd(inv_t, beta, res, g):
    a, b, m, stats, kpm, kqm = res
    cdt = _compute_dtype(a.dtype, b.dtype)
    g = jnp.where(stats[5] > 0, g.astype(cdt), 0.0) * inv_t
    full, rows = [a, b, m], [g, kpm, kqm, *stats]
    dtypes = (a.dtype, b.dtype)

    def grads(f, r, parts):
        A, B = _prepare(f[0], f[1], f[2], inv_t, cdt)
        g_r, kpm_r, kqm_r, *st = r
        alone = len(parts) == 1  # the fused path's separate passes: distinct forms
        form = (0 if "a" in parts else 2) if alone else 0
        d_form = (2 if "a" in parts else 3) if alone else 0
        ell, p, q, both, live_a, live_b = _log_ratio_and_probs(A, B, st, 0, d_form)
        _, _, lpm, lqm = _jsd_terms(ell, p, q, both, live_a, live_b, beta, form)
        out = []
        if "a" in parts:
            out.append(jnp.where(live_a, (beta * g_r) * (p * (lpm - kpm_r)), 0.0).astype(dtypes[0]))
        if "b" in parts:
            out.append(jnp.where(live_b, ((1.0 - beta) * g_r) * (q * (lqm - kqm_r)), 0.0).astype(dtypes[1]))
        return tuple(out)

    ga, gb = _two_pass_grads(grads, full, rows)  # see _kl_core_bwd
    return ga, gb, None


_jsd_core.defvjp(_jsd_core_fwd, _jsd_core_bwd)


@jit_entry(("beta", "axis", "temperature", "base", "keepdims"), config=lambda: _settings())
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
    masks and ``temperature`` as in [`kl_logits`][jaxkl.kl_logits].

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
    fn = "jaxkl.jsd_logits"
    if isinstance(beta, jax.core.Tracer) or not isinstance(beta, int | float | np.number) or isinstance(beta, bool):
        raise TypeError(f"{fn}: `beta` must be a Python number in [0, 1] (it is static), got {beta!r}")
    beta = float(beta)
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"{fn}: `beta` must be in [0, 1], got {beta!r}")
    if beta == 0.0:
        return kl_logits(
            p_logits, q_logits, axis=axis, temperature=temperature, base=base, where=where, keepdims=keepdims
        )
    if beta == 1.0:
        return kl_logits(
            q_logits, p_logits, axis=axis, temperature=temperature, base=base, where=where, keepdims=keepdims
        )
    lb = log_base(fn, base)
    inv_t = _check_temperature(fn, temperature)
    a, b, m, batch, axis = _flatten(fn, p_logits, q_logits, axis, where, ("p_logits", "q_logits"))
    out = _jsd_core(a, b, m, inv_t, beta)
    return _finish(out, batch, axis, keepdims, lb)


def _settings() -> tuple:
    return (_FORCE_BLOCKS, _BLOCK_ELEMENTS)
