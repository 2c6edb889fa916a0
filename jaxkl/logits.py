"""KL between distributions given by logits, in log space.

``kl_logits`` never forms a probability in a way that can underflow into a NaN: the
softmaxes are handled through their maxima and normalizers, ``-inf`` logits are masked
entries, and logits of ±1e4 in float32 give finite results and gradients.

The function is a ``jax.custom_vjp`` whose saved residuals are per-row scalars (two
maxima, two log-normalizers and the KL): the backward pass recomputes the softmaxes
element-wise from the inputs, so forward+backward keeps no [tokens, vocab] temporaries
beyond the gradients themselves.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from ._math import as_inexact
from .checks import assert_same_event_size, normalize_axis
from .discrete import broadcast_mask, broadcast_pair, log_base

__all__ = ["kl_logits"]


_BIG = 1e30  # stands in for -inf inside sums; exp(-1e30) is 0 in every float dtype


def _log_normalizers(a, b, axis):
    """Per-row maxima and log-normalizers: log softmax(a) = (a − ma) − lza.

    Kept apart (not summed into a logsumexp) so that a − ma is exact and large logits
    (±1e4 in float32) lose nothing to the rounding of ma + lza. Rows that are all -inf
    get ma = 0 and lza = 0; ``za > 0`` tells whether a row has any support.
    """
    ma = jnp.max(a, axis=axis, keepdims=True)
    mb = jnp.max(b, axis=axis, keepdims=True)
    ma = jax.lax.stop_gradient(jnp.where(jnp.isfinite(ma), ma, 0.0))
    mb = jax.lax.stop_gradient(jnp.where(jnp.isfinite(mb), mb, 0.0))
    za = jnp.sum(jnp.exp(a - ma), axis=axis, keepdims=True)
    zb = jnp.sum(jnp.exp(b - mb), axis=axis, keepdims=True)
    lza = jnp.log(jnp.where(za > 0, za, 1.0))
    lzb = jnp.log(jnp.where(zb > 0, zb, 1.0))
    return (ma, lza), (mb, lzb), za


def _kl_logits_fwd_impl(a, b, axis):
    # Written with arithmetic, sign and max only, so that XLA:CPU fuses the whole
    # element-wise producer into the reduction (see _math.py).
    lse_a, lse_b, za = _log_normalizers(a, b, axis)
    lp = (a - lse_a[0]) - lse_a[1]
    lq = (b - lse_b[0]) - lse_b[1]
    p = jnp.exp(lp)
    # Where p = 0 (a = -inf), clamp log q at -1e30 so that 0 * (log p - log q) is 0 even
    # if b = -inf too; where p > 0 the clamp is -1e30/0 = -inf, i.e. none, and b = -inf
    # there gives the +inf that losing support means.
    lq_c = jnp.maximum(lq, -_BIG / (1.0 - jnp.sign(p)))
    kl = jnp.sum(p * (jnp.maximum(lp, -_BIG) - lq_c), axis=axis, keepdims=True)
    kl = jnp.where(za > 0, kl, 0.0)  # p has no support at all: nothing contributes
    return jnp.maximum(kl, 0.0), (lse_a, lse_b, za > 0)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _kl_logits(a, b, axis):
    return _kl_logits_fwd_impl(a, b, axis)[0]


def _kl_logits_fwd(a, b, axis):
    kl, (lse_a, lse_b, support) = _kl_logits_fwd_impl(a, b, axis)
    return kl, (a, b, lse_a, lse_b, support, kl)


def _kl_logits_bwd(axis, res, g):
    a, b, lse_a, lse_b, support, kl = res
    lp = (a - lse_a[0]) - lse_a[1]
    lq = (b - lse_b[0]) - lse_b[1]
    p = jnp.exp(lp)
    q = jnp.exp(lq)
    finite = jnp.isfinite(kl)
    g = jnp.where(finite & support, g, 0.0)
    kl0 = jnp.where(finite, kl, 0.0)
    diff = jnp.where(p > 0, lp - jnp.maximum(lq, -_BIG), 0.0)
    ga = g * p * (diff - kl0)
    gb = g * (q - p)
    return ga, gb


_kl_logits.defvjp(_kl_logits_fwd, _kl_logits_bwd)


def kl_logits(
    p_logits: ArrayLike,
    q_logits: ArrayLike,
    *,
    axis: int = -1,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
) -> jax.Array:
    r"""KL(softmax(p_logits) ‖ softmax(q_logits)) along ``axis``, in log space.

    .. math::

        \mathrm{KL} = \sum_i p_i (\log p_i - \log q_i),\qquad
        p = \mathrm{softmax}(a),\ q = \mathrm{softmax}(b)

    with log p = a − logsumexp(a) and log q = b − logsumexp(b) formed from the row
    maxima, so nothing overflows or underflows into a NaN. Three passes over the row
    (maxima, normalizers, the KL), fused by XLA into its reductions.

    Masking: an entry whose logit is ``-inf`` has probability 0. ``-inf`` in
    ``p_logits`` contributes nothing; ``-inf`` in ``q_logits`` where p has mass gives
    +inf. ``where=False`` entries are removed from *both* softmaxes (as if both logits
    were ``-inf``), so the KL is between the distributions renormalized over the kept
    entries. A row whose p-logits are all masked gives 0. The result is clamped at 0
    from below (rounding could otherwise leave a value of order −eps·KL).

    Gradients (reverse mode; this is a ``custom_vjp``, so ``jax.jvp``/``jacfwd`` are not
    supported): ∂/∂a_i = p_i (log p_i − log q_i − KL), ∂/∂b_i = q_i − p_i. They are
    finite for any finite or ``-inf`` input; masked entries and rows with an infinite
    KL get gradient 0. The backward pass recomputes p and q from the inputs and keeps
    only per-row scalars from the forward pass.

    Args:
      p_logits: logits of p, shape ``[..., V, ...]`` with the event on ``axis``.
      q_logits: logits of q; same event size, batch axes broadcast.
      axis: the event axis.
      base: logarithm base; ``None`` for nats.
      where: optional boolean mask broadcastable to the inputs.
      keepdims: keep the reduced axis with size 1.

    Returns:
      The broadcast batch shape. dtype: the promoted floating dtype; bfloat16/float16
      inputs compute and return float32.

    Example:
      >>> import jaxkl
      >>> float(jaxkl.kl_logits([0.0, 0.0], [2.0, 0.0]))
      0.433781
    """
    fn = "jaxkl.kl_logits"
    lb = log_base(fn, base)
    a, b = as_inexact(fn, p_logits=p_logits, q_logits=q_logits)
    assert_same_event_size(fn, a, b, axis, ("p_logits", "q_logits"))
    a, b = broadcast_pair(fn, a, b, ("p_logits", "q_logits"))
    axis = normalize_axis(fn, axis, a.ndim)
    mask = broadcast_mask(fn, where, a.shape)
    if mask is not None:
        a = jnp.where(mask, a, -jnp.inf)
        b = jnp.where(mask, b, -jnp.inf)
    out = _kl_logits(a, b, axis)
    out = out if keepdims else jnp.squeeze(out, axis)
    return out if lb is None else out / lb
