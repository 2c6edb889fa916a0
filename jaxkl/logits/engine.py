"""The row engine behind ``kl_logits``, ``jsd_logits`` and ``fused_linear_kl``.

Logits come in as [N, V] arrays (``flatten``), are read in the compute dtype and scaled by
1/temperature (``prepare``), and are reduced row by row: one fused pass on GPU/TPU and for
16-bit inputs, blocks of complete rows on CPU (``row_pass``, ``map_row_blocks``; see the
package docstring for why). ``normalizers`` gives each row's maxima, log-normalizers, the
shift c and the KL; ``log_ratio_and_probs`` rebuilds the per-entry log-ratio and
probabilities from them, which the backward passes use. A ``RowPlan`` says how rows are
blocked; the public functions use ``DEFAULT_PLAN`` (tests pass other plans to exercise the
row-block path with tiny blocks).

This module's names without a leading underscore are the interface the divergences in this
package and ``jaxkl.fused_linear`` are built on; none is part of jaxkl's public API.
"""

from __future__ import annotations

import dataclasses
import math
from typing import cast

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._math import row_dtype, two_diff
from .._special import expm1mx_series, phi1p
from ..checks import assert_same_event_size, normalize_axis
from ..discrete import broadcast_pair, check_mask


@dataclasses.dataclass(frozen=True)
class RowPlan:
    """How rows are reduced (static: part of the compiled program's key).

    Attributes:
        blocks: ``None`` chooses by platform and dtype (``use_blocks``); ``True``/``False``
            forces the row-block or the fused path for float32/float64 inputs.
        block_elements: entries per row block (a few MiB of temporaries per block).
    """

    blocks: bool | None = None
    block_elements: int = 2**18


DEFAULT_PLAN = RowPlan()


GRAD_SMALL = 0.125  # |ℓ| below which the gradient uses q − p = −q·expm1(ℓ) by series


def expm1_small(x):
    """expm1(x) for |x| ≤ 1/8 by its Taylor series (truncation < 1e-9 relative in float32,
    < 1e-16 in float64); no transcendental call."""
    terms = 13 if x.dtype == np.float64 else 6
    acc = 1.0 / math.factorial(terms)
    for n in range(terms - 1, 0, -1):
        acc = acc * x + 1.0 / math.factorial(n)
    return x * acc


def _rows_per_block(n: int, v: int, plan: RowPlan) -> int:
    """The largest divisor of n that keeps a block at about ``plan.block_elements`` entries."""
    return divisor_at_most(n, plan.block_elements // max(v, 1))


def divisor_at_most(n: int, target: int) -> int:
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


def use_blocks(plan: RowPlan, *dtypes) -> bool:
    """Row blocks on CPU for float32/float64 inputs; everything else is one fused pass.

    16-bit inputs are not blocked on CPU: XLA:CPU cannot slice a bfloat16 array inside a
    loop without first widening all of it to float32. They take the fused path, whose
    reductions are single multi-output XLA reductions (no temporary, slower on CPU).
    Neither are runs with several devices (sharded inputs). ``plan.blocks`` overrides the
    choice for float32/float64 inputs.
    """
    if any(jnp.dtype(d).itemsize < 4 for d in dtypes):
        return False
    if plan.blocks is not None:
        return plan.blocks
    # With several devices the inputs may be sharded; the fused path leaves the
    # partitioning of its plain reductions to XLA.
    return jax.default_backend() == "cpu" and jax.device_count() == 1


def map_row_blocks(fn, full, n: int, v: int, plan: RowPlan):
    """Per-row statistics of blocks of complete rows.

    ``full``: arrays of shape [N or 1, V or 1] (or ``None``); ``fn(full_blocks)`` returns
    per-row outputs of shape [r, 1]. Returns them for all N rows. Blocks are strided
    (block i holds rows i, i + nb, i + 2·nb, …). Only float32/float64 arrays come here
    (see ``use_blocks``).
    """
    rb = _rows_per_block(n, v, plan)
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


def prepare(a, b, m, inv_t, cdt):
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
    different forms so that XLA does not merge them (see ``log_ratio_and_probs``).
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


def row_reduce(xs, op, fused: bool):
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
    return row_reduce(sums, lax.add, fused), e0


# Near p = q, KL = H/(1 + S) − φ(S) is a difference of two small non-negative terms. With
# the shift w0 = max a − max b they cancel by a factor H/((1 + S)·KL) ≈ 1 + E_q[d]²/Var_q[d],
# which is large when the mass of q sits away from the entry where b peaks (many tied
# logits: a flat q with one raised entry cancels by ~V). Rows past this factor are summed
# again with the shift w0 + c = log(Σe^a/Σe^b) itself, where S ≈ 0 and nothing cancels
# (the formula holds for any shift; an error in c moves the KL only to second order).
_CANCELLATION = 8.0


def _kl_near(H, S):
    return H / (1.0 + S) - phi1p(-S / (1.0 + S))


def normalizers(A, B, with_kl: bool, fused: bool, again=None):
    """Per-row statistics: maxima, log-normalizers, c = C − w0 and (optionally) the KL.

    ``again()`` gives A and B for the second sum of rows that cancel (by default A and B
    themselves); on the fused path it prepares them from the inputs once more, so that the
    conditional second sum does not keep the prepared [tokens, vocab] arrays alive.
    """
    ma, mb = row_reduce((A, B), lax.max, fused)
    nan_row = jnp.isnan(ma) | jnp.isnan(mb)  # a NaN logit (the maxima propagate it)
    ma = jnp.where(jnp.isfinite(ma), ma, 0.0)
    mb = jnp.where(jnp.isfinite(mb), mb, 0.0)
    (za, zb, s_sum, *hm), e0 = _row_sums(A, B, ma, mb, fused, 5 if with_kl else 3)
    za_s = jnp.where(za > 0, za, 1.0)
    zb_s = jnp.where(zb > 0, zb, 1.0)
    S = s_sum / zb_s
    # The sums read e^{e0} as 1 + e0, e0 the rounding of w0 = ma − mb: exact to rounding for
    # |e0| ≤ √eps. Rows whose maxima differ by more than ~1/√eps (a logit of 1e10) round w0 by
    # more, and take the far form, which is exact for any shift.
    near = (S >= -0.5) & (jnp.abs(e0) <= float(np.sqrt(np.finfo(A.dtype).eps)))
    Sn = jnp.where(near, S, 0.0)
    c_far = e0 + jnp.log(za_s / zb_s)
    c = jnp.where(near, jnp.log1p(Sn), c_far)
    # 0: p or q has no entry left; NaN: a row with a NaN logit, whose results are NaN
    support = jnp.where(nan_row, jnp.nan, ((za > 0) & (zb > 0)).astype(A.dtype))
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
    return stats, jnp.where(nan_row, jnp.nan, kl)


def row_cotangent(g, support, value=None):
    """The backward passes' per-row cotangent: 0 where a row has no entries (or its
    ``value`` is infinite), NaN for a row with a NaN logit (``support`` NaN)."""
    live = support > 0 if value is None else jnp.isfinite(value) & (support > 0)
    return jnp.where(jnp.isnan(support), jnp.nan, jnp.where(live, g, 0.0))


def log_ratio_and_probs(A, B, stats, form=0, d_form=0):
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
        # lq + ℓ loses ulp(|ℓ|) to cancellation: where |ℓ| is large (a logit of −1e9 against
        # an ordinary one) that is the whole of log p, so the other form is used there
        near = jnp.abs(ell) <= 1.0
        p, q = jnp.exp(jnp.where(near, lq + ell, lp)), jnp.exp(jnp.where(near, lp - ell, lq))
    p = jnp.where(A > -jnp.inf, p, 0.0)
    q = jnp.where(B > -jnp.inf, q, 0.0)
    return ell, p, q, both, A > -jnp.inf, B > -jnp.inf


def flatten(fn, p_logits, q_logits, axis, where, names):
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


def finish(out, batch, axis, keepdims, lb):
    out = out.reshape(batch)
    if keepdims:
        out = jnp.expand_dims(out, axis)
    return out if lb is None else out / lb


def check_temperature(fn, temperature) -> float:
    if isinstance(temperature, jax.core.Tracer) or not isinstance(temperature, int | float | np.number):
        raise TypeError(f"{fn}: `temperature` must be a Python number (it is static), got {temperature!r}")
    t = float(temperature)
    if not (t > 0 and math.isfinite(t)):
        raise ValueError(f"{fn}: `temperature` must be positive and finite, got {temperature!r}")
    return 1.0 / t


def row_pass(a, b, m, inv_t, per_block, plan: RowPlan):
    """Per-row outputs of ``per_block(A, B, fused, again)`` (A, B: the prepared logits of a block
    of complete rows), over row blocks on CPU or in one fused pass (see ``use_blocks``)."""
    cdt = row_dtype(a.dtype, b.dtype)
    fused = not use_blocks(plan, a.dtype, b.dtype)

    def block(full):
        A, B = prepare(full[0], full[1], full[2], inv_t, cdt)
        return per_block(A, B, fused, lambda: prepare(full[0], full[1], full[2], inv_t, cdt))

    return block([a, b, m]) if fused else map_row_blocks(block, [a, b, m], *cast("tuple[int, int]", a.shape), plan)


def two_pass_grads(grads, full, rows):
    """Gradients of both inputs from two separate element-wise passes (fused path).

    ``grads`` writes the two passes with different expressions for what they share
    (see ``log_ratio_and_probs``), so that XLA fuses each into its own output.
    """
    return grads(full, rows, ("a",))[0], grads(full, rows, ("b",))[0]
