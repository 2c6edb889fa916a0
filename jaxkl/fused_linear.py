"""KL between a teacher and a student whose logits are ``hidden @ weight``, never formed whole.

Distillation's last layer: the student's logits are a matmul of the final hidden states with
the unembedding. ``fused_linear_kl`` computes them a chunk of rows at a time (about
``2**23`` logits per chunk), reduces each chunk with the method of ``jaxkl.kl_logits``
(exact log-ratios, Bregman terms near p = q), and in the backward pass recomputes each
chunk's logits (one extra matmul) instead of keeping them: the only [tokens, vocab]-sized
buffer is the teacher's logits, if given as such.
"""

from __future__ import annotations

import functools
import math
from typing import cast

import jax
import jax.numpy as jnp
from jax import lax
from jax.typing import ArrayLike

from ._math import jit_entry, row_dtype
from .discrete import broadcast_mask
from .logits.engine import (
    DEFAULT_PLAN,
    check_temperature,
    divisor_at_most,
    normalizers,
    prepare,
    row_cotangent,
    use_blocks,
)
from .logits.kl import kl_grads

__all__ = ["fused_linear_kl"]

_LINEAR_CHUNK_ELEMENTS = 2**23  # logits per row chunk (32 MiB in float32)


def _chunk_logits(h, w, cdt):
    return jnp.matmul(h, w, preferred_element_type=cdt).astype(cdt)


def _linear_setup(hidden, weight, t_logits, t_hidden, t_weight, m, inv_t, reverse, chunk):
    """Per-chunk closures shared by the forward and backward passes."""
    cdt = row_dtype(hidden.dtype, weight.dtype, *(x.dtype for x in (t_logits, t_hidden, t_weight) if x is not None))
    n = hidden.shape[0]
    nb = n // chunk

    def rows(x, i):
        return None if x is None else lax.dynamic_slice_in_dim(x, i * chunk, chunk, 0)

    def logits(i):
        zs = _chunk_logits(rows(hidden, i), weight, cdt)
        zt = rows(t_logits, i).astype(cdt) if t_logits is not None else _chunk_logits(rows(t_hidden, i), t_weight, cdt)
        mi = rows(m, i)
        return (zs, zt, mi) if reverse else (zt, zs, mi)  # (p, q) = (teacher, student) or reversed

    return cdt, nb, rows, logits


@functools.partial(jax.custom_vjp, nondiff_argnums=(6, 7, 8))
def _linear_kl(hidden, weight, t_logits, t_hidden, t_weight, m, inv_t, reverse, chunk):
    return _linear_kl_fwd(hidden, weight, t_logits, t_hidden, t_weight, m, inv_t, reverse, chunk)[0]


def _linear_kl_fwd(hidden, weight, t_logits, t_hidden, t_weight, m, inv_t, reverse, chunk):
    cdt, nb, rows, logits = _linear_setup(hidden, weight, t_logits, t_hidden, t_weight, m, inv_t, reverse, chunk)

    def body(i, acc):
        a, b, mi = logits(i)
        A, B = prepare(a, b, None if mi is None else mi[:, None], inv_t, cdt)
        stats, kl = normalizers(A, B, with_kl=True, fused=not use_blocks(DEFAULT_PLAN, cdt))
        return lax.dynamic_update_slice_in_dim(acc, jnp.concatenate([kl, *stats], axis=1), i * chunk, 0)

    out = lax.fori_loop(0, nb, body, jnp.zeros((hidden.shape[0], 7), cdt))
    kl = out[:, 0]
    return kl, (hidden, weight, t_logits, t_hidden, t_weight, m, out)


def _linear_kl_bwd(inv_t, reverse, chunk, res, g):
    hidden, weight, t_logits, t_hidden, t_weight, m, out = res
    cdt, nb, rows, logits = _linear_setup(hidden, weight, t_logits, t_hidden, t_weight, m, inv_t, reverse, chunk)
    kl, stats = out[:, :1], out[:, 1:]
    finite = jnp.isfinite(kl)
    g = row_cotangent(g.astype(cdt)[:, None], stats[:, 5:6], kl) * inv_t
    kl0 = jnp.where(finite, kl, 0.0)
    student = "a" if reverse else "b"

    def body(i, carry):
        dh, dw = carry
        a, b, mi = logits(i)
        st = [rows(stats[:, k : k + 1], i) for k in range(6)]
        (dz,) = kl_grads(
            [a, b, None if mi is None else mi[:, None]],
            [rows(g, i), rows(kl0, i), *st],
            inv_t,
            cdt,
            (student,),
            (cdt, cdt),
        )
        h = rows(hidden, i)
        dh_i = jnp.matmul(dz.astype(weight.dtype), weight.T, preferred_element_type=cdt)
        dw = dw + jnp.matmul(h.T, dz.astype(h.dtype), preferred_element_type=cdt)
        # a row with a NaN logit has a NaN cotangent (row_cotangent), which a row of NaN
        # student logits (a NaN in h) would not pass on through dz: its dh is NaN (and dW,
        # once, after the loop)
        dh_i = jnp.where(jnp.isnan(rows(g, i)), jnp.nan, dh_i)
        return lax.dynamic_update_slice_in_dim(dh, dh_i.astype(dh.dtype), i * chunk, 0), dw

    dh, dw = lax.fori_loop(0, nb, body, (jnp.zeros(hidden.shape, cdt), jnp.zeros(weight.shape, cdt)))
    dw = jnp.where(jnp.any(jnp.isnan(g)), jnp.nan, dw)
    return dh.astype(hidden.dtype), dw.astype(weight.dtype), None, None, None, None


_linear_kl.defvjp(_linear_kl_fwd, _linear_kl_bwd)


@jit_entry(("reverse", "temperature", "chunk_rows"))
def fused_linear_kl(
    hidden: ArrayLike,
    weight: ArrayLike,
    *,
    teacher_logits: ArrayLike | None = None,
    teacher_hidden: ArrayLike | None = None,
    teacher_weight: ArrayLike | None = None,
    reverse: bool = False,
    temperature: float = 1.0,
    where: ArrayLike | None = None,
    chunk_rows: int | None = None,
) -> jax.Array:
    r"""Per-token KL(teacher ‖ student) without forming the student's logits ``hidden @ weight``.

    $$
    \mathrm{KL}_t = \mathrm{KL}\big(\mathrm{softmax}(z^{\mathrm{teacher}}_t / T) \,\big\|\,
    \mathrm{softmax}(h_t W / T)\big)
    $$

    The student's logits are computed chunk by chunk of rows (tokens), the KL of each
    chunk by the method of [`kl_logits`][jaxkl.kl_logits], and the gradients with respect to ``hidden`` and
    ``weight`` from each chunk's logit gradients (dh = dz·Wᵀ, dW = Σ hᵀ·dz). The backward
    pass recomputes the chunk logits (one extra matmul, as in gradient checkpointing), so
    nothing of size [tokens, vocab] is kept: memory is a few chunks plus the gradients.

    The teacher is given either as logits ``teacher_logits`` [..., V] or, also without
    forming its logits, as ``teacher_hidden`` [..., H_t] and ``teacher_weight`` [H_t, V].
    The teacher is a constant: its inputs get zero gradient (distillation trains the
    student only). ``reverse=True`` gives KL(student ‖ teacher) instead.

    Args:
      hidden: the student's hidden states, [..., H].
      weight: the student's output projection, [H, V] (``hidden @ weight`` are the logits).
      teacher_logits: the teacher's logits, [..., V] (or give the next two instead).
      teacher_hidden: the teacher's hidden states, [..., H_t], with ``teacher_weight``.
      teacher_weight: the teacher's output projection, [H_t, V].
      reverse: compute KL(student ‖ teacher).
      temperature: T > 0, applied to both logits (a Python number).
      where: optional boolean mask of the token rows ([...]); ``False`` rows give 0 and
        zero gradient. A row with a NaN logit (a NaN in its hidden state or its teacher
        logits) gives NaN, and NaN gradients for its hidden state and for ``weight``.
      chunk_rows: rows per chunk; by default about ``2**23`` logits per chunk. Must divide
        the number of rows (the default picks the largest divisor).

    Returns:
      The per-token KL, shape [...], float32 (float64 if an input is float64).

    Examples:
      The same values and gradients as [`kl_logits`][jaxkl.kl_logits] on the full
      logits ``hidden @ weight``; with one hidden unit and the weight [[2, 0]] the student's
      logits are [2, 0] (first row) and [0, 0] (second), against uniform teacher logits:

      >>> import jax.numpy as jnp
      >>> import jaxkl
      >>> hidden = jnp.array([[1.0], [0.0]])
      >>> weight = jnp.array([[2.0, 0.0]])
      >>> [round(v, 6) for v in jaxkl.fused_linear_kl(hidden, weight, teacher_logits=jnp.zeros((2, 2))).tolist()]
      [0.433781, 0.0]
    """
    fn = "jaxkl.fused_linear_kl"
    inv_t = check_temperature(fn, temperature)
    h, w = jnp.asarray(hidden), jnp.asarray(weight)
    if w.ndim != 2 or h.ndim < 1 or h.shape[-1] != w.shape[0]:
        raise ValueError(f"{fn}: `hidden` [..., H] and `weight` [H, V] do not match: shapes {h.shape} and {w.shape}")
    batch, v = h.shape[:-1], w.shape[1]
    n = math.prod(batch)
    tl = th = tw = None
    if teacher_logits is not None:
        if teacher_hidden is not None or teacher_weight is not None:
            raise ValueError(f"{fn}: give `teacher_logits` or `teacher_hidden` and `teacher_weight`, not both")
        tl = jnp.asarray(teacher_logits)
        if tl.shape != batch + (v,):
            raise ValueError(f"{fn}: `teacher_logits` must have shape {batch + (v,)}, got {tl.shape}")
        tl = tl.reshape(n, v)
    elif teacher_hidden is not None and teacher_weight is not None:
        th, tw = jnp.asarray(teacher_hidden), jnp.asarray(teacher_weight)
        if tw.ndim != 2 or tw.shape[1] != v or th.shape != batch + (tw.shape[0],):
            raise ValueError(
                f"{fn}: `teacher_hidden` {th.shape} and `teacher_weight` {tw.shape} do not give logits of shape "
                f"{batch + (v,)}"
            )
        th = th.reshape(n, tw.shape[0])
    else:
        raise ValueError(f"{fn}: give `teacher_logits`, or `teacher_hidden` and `teacher_weight`")
    m = None
    if where is not None:
        m = cast(jax.Array, broadcast_mask(fn, where, batch)).reshape(n)
    if chunk_rows is None:
        chunk = divisor_at_most(n, _LINEAR_CHUNK_ELEMENTS // max(v, 1))
    else:
        chunk = int(chunk_rows)
        if chunk < 1 or n % chunk:
            raise ValueError(f"{fn}: `chunk_rows`={chunk_rows} must be a positive divisor of the {n} rows")
    out = _linear_kl(h.reshape(n, h.shape[-1]), w, tl, th, tw, m, inv_t, bool(reverse), chunk)
    return out.reshape(batch)
