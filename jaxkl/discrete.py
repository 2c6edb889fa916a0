"""Discrete distributions held as arrays: entropy, KL, cross-entropy, Jensen–Shannon.

The event is one axis (``axis``); every other axis is a batch axis and broadcasts.
``kl``, ``cross_entropy`` and ``js_divergence`` take probability vectors and do not
renormalize; ``entropy`` is a drop-in for ``scipy.stats.entropy`` and does.
"""

from __future__ import annotations

import math
from typing import cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._math import JAXLIB_VERSION, as_inexact, jit_entry, rel_entr_fast
from .checks import assert_same_event_size, normalize_axis, validate_probabilities
from .elementwise import entr, rel_entr

__all__ = ["cross_entropy", "entropy", "js_divergence", "kl"]


def _validating(arguments: dict) -> bool:
    """``validate=True`` runs uncompiled when called eagerly, so that its check raises
    ``ValueError`` there (see ``checks.validate_probabilities``)."""
    return bool(arguments.get("validate", False))


def concrete_float(x) -> float | None:
    """``float(x)`` for a concrete scalar, ``None`` for a traced one (no value check possible)."""
    try:
        return float(x)
    except (TypeError, jax.errors.ConcretizationTypeError):
        return None


def log_base(fn: str, base) -> float | jax.Array | None:
    """log(base) after checking that ``base`` is a positive number (or ``None``).

    The message contains scipy's text, "`base` must be a positive number or `None`.".
    """
    if base is None:
        return None
    b = concrete_float(base)
    if b is None:
        return jnp.log(base)
    if not b > 0:
        raise ValueError(f"{fn}: `base` must be a positive number or `None`. Got {base!r}.")
    return math.log(b)


def check_mask(fn: str, where, shape) -> jax.Array:
    """``where`` as a boolean array that broadcasts to ``shape`` (not broadcast yet)."""
    where = jnp.asarray(where)
    if where.dtype != jnp.bool_:
        raise TypeError(f"{fn}: `where` must be a boolean array; got dtype {where.dtype}")
    try:
        ok = np.broadcast_shapes(where.shape, tuple(shape)) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{fn}: `where` with shape {where.shape} does not broadcast to {tuple(shape)}")
    return where


def broadcast_mask(fn: str, where, shape) -> jax.Array | None:
    """The boolean ``where`` mask broadcast to ``shape`` (``None`` passes through)."""
    if where is None:
        return None
    return jnp.broadcast_to(check_mask(fn, where, shape), shape)


def broadcast_pair(fn: str, p, q, names=("p", "q")):
    """Broadcast two arrays, with a ``ValueError`` naming both shapes on failure."""
    try:
        shape = jnp.broadcast_shapes(p.shape, q.shape)
    except ValueError:
        raise ValueError(
            f"{fn}: `{names[0]}` with shape {p.shape} and `{names[1]}` with shape {q.shape} do not broadcast"
        ) from None
    return jnp.broadcast_to(p, shape), jnp.broadcast_to(q, shape)


def prepare_pair(
    fn, p, q, axis, where, validate, names=("p", "q")
) -> tuple[jax.Array, jax.Array, jax.Array | None, int]:
    """Shared input handling of the two-argument reductions.

    Returns ``(p, q, mask, axis)``: floating arrays broadcast to one shape, the
    broadcast boolean ``where`` mask (or ``None``) and the normalized event axis.
    """
    p, q = as_inexact(fn, **{names[0]: p, names[1]: q})
    assert_same_event_size(fn, p, q, axis, names)
    p, q = broadcast_pair(fn, p, q, names)
    axis = normalize_axis(fn, axis, p.ndim)
    mask = broadcast_mask(fn, where, p.shape)
    if validate:
        validate_probabilities(fn, {names[0]: p, names[1]: q}, axis, mask)
    return p, q, mask, axis


def _finish(total, lb):
    return total if lb is None else total / lb


@jit_entry(("axis", "base", "keepdims", "validate"), plain_if=_validating)
def kl(
    p: ArrayLike,
    q: ArrayLike,
    *,
    axis: int = -1,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
    validate: bool = False,
) -> jax.Array:
    r"""KL(p ‖ q) between probability vectors along ``axis``.

    $$
    \mathrm{KL}(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}
    $$

    with the conventions of [`rel_entr`][jaxkl.rel_entr]: an entry with p_i = 0 contributes 0
    (even where q_i = 0), p_i > 0 with q_i = 0 makes the result +inf, and a NaN entry
    makes it NaN. The inputs are not renormalized. For probability vectors the result is
    ≥ 0 up to the rounding of their sums; for any nonnegative vectors it is ≥ Σ(p − q).

    Domain: non-negative entries. A negative entry gives an unspecified value on this
    fused path (checking for it costs 27–90 % of the run time on CPU); ``validate=True``
    rejects it, and ``jnp.sum(jaxkl.rel_entr(p, q), axis)`` gives scipy's +inf there.

    Accuracy: each entry is computed as p·log1p((p − q)/q), exact in its subtraction
    when p/q ∈ [1/2, 2], so near p = q the error is a few ulp of Σ|p − q| rather than of Σp·|log p|
    (for KL ≈ 1e-10 in float64: ~1e-11 relative here, ~1e-6 with
    ``sum(p * (log p - log q))``). Subnormal entries are treated as the backend treats
    them (zero on XLA:CPU); [`rel_entr`][jaxkl.rel_entr] is exact for them.

    Gradients: ∂/∂p_i = log(p_i/q_i) + 1 and ∂/∂q_i = −p_i/q_i. An entry with p_i = 0
    gets gradient 0 with respect to both p_i and q_i (the −∞ one-sided derivative in p_i
    is not returned). Masked entries get gradient 0.

    Args:
      p: probabilities, shape ``[..., K, ...]`` with the event on ``axis``.
      q: probabilities; same event size K as ``p``, batch axes broadcast. Mismatched
        event sizes raise ``ValueError`` at trace time.
      axis: the event axis.
      base: logarithm base (``2`` for bits); ``None`` for nats. Must be positive.
      where: optional boolean mask broadcastable to the inputs; entries where it is
        False contribute nothing and get zero gradient.
      keepdims: keep the reduced axis with size 1.
      validate: check at run time that ``p`` and ``q`` are probability vectors (see
        [`jaxkl.checks`][jaxkl.checks] for the cost); off by default.

    Returns:
      The broadcast batch shape (``axis`` removed, or kept with ``keepdims``). dtype: the
      promoted floating dtype; integers promote to the default float dtype;
      bfloat16/float16 compute and return float32.

    Examples:
      0.5·log(0.5/0.9) + 0.5·log(0.5/0.1), as ``scipy.stats.entropy([0.5, 0.5], [0.9, 0.1])``;
      a batch of two rows, the second with an entry p = q = 0 that contributes 0 (and q not
      renormalized: log(1/0.5) = log 2); in bits:

      >>> import jaxkl
      >>> float(jaxkl.kl([0.5, 0.5], [0.9, 0.1]))  # scipy: 0.51082562
      0.510826
      >>> [round(v, 6) for v in jaxkl.kl([[0.5, 0.5], [1.0, 0.0]], [[0.9, 0.1], [0.5, 0.0]]).tolist()]
      [0.510826, 0.693147]
      >>> round(float(jaxkl.kl([0.5, 0.5], [0.9, 0.1], base=2)), 6)  # scipy, base=2: 0.73696559
      0.736966
    """
    fn = "jaxkl.kl"
    lb = log_base(fn, base)
    same_shape = np.shape(p) == np.shape(q)  # before broadcasting
    p, q, mask, axis = prepare_pair(fn, p, q, axis, where, validate)
    if mask is not None:
        p = jnp.where(mask, p, 0.0)
        q = jnp.where(mask, q, 1.0)
    if mask is None and same_shape and _row_blocked(p, axis):
        total = _row_block_sum(rel_entr_fast, p, q, keepdims)
    else:
        total = jnp.sum(rel_entr_fast(p, q), axis=axis, keepdims=keepdims)
    return _finish(total, lb)


# XLA:CPU before jaxlib 0.10 materializes the element-wise producer of a reduction as a
# whole array (a write and a read of N·K entries); summed over blocks of rows, that
# temporary stays in cache. From jaxlib 0.10 the producer is fused into the reduction.
_REDUCTION_MATERIALIZES = JAXLIB_VERSION < (0, 10)
_ROW_BLOCK_MIN = 2**20  # entries below which one reduction is as fast


def _row_blocked(p: jax.Array, axis: int) -> bool:
    """Whether the last-axis reduction of ``p``'s shape runs over row blocks (CPU, old jaxlib)."""
    from .logits.engine import DEFAULT_PLAN, use_blocks  # local: the logits engine imports this module

    return (
        _REDUCTION_MATERIALIZES
        and p.ndim >= 2
        and axis == p.ndim - 1
        and p.size >= _ROW_BLOCK_MIN
        and use_blocks(DEFAULT_PLAN, p.dtype)
    )


def _row_block_sum(term, p: jax.Array, q: jax.Array, keepdims: bool) -> jax.Array:
    """Σ over the last axis of ``term(p, q)``, computed over blocks of rows."""
    from .logits.engine import DEFAULT_PLAN, map_row_blocks  # local: the logits engine imports this module

    batch, k = p.shape[:-1], p.shape[-1]
    n = math.prod(batch)
    (out,) = map_row_blocks(
        lambda blocks: (jnp.sum(term(blocks[0], blocks[1]), axis=-1, keepdims=True),),
        [p.reshape(n, k), q.reshape(n, k)],
        n,
        k,
        DEFAULT_PLAN,
    )
    return out.reshape(batch + ((1,) if keepdims else ()))


def _neg_xlogy(p, q):
    """−p·log q with 0 where p = 0 (gradients finite there), +inf where q = 0 < p."""
    live = p != 0
    q_safe = jnp.where(live, q, 1.0)
    return jnp.where(live, -p * jnp.log(q_safe), 0.0)


@jit_entry(("axis", "base", "keepdims", "validate"), plain_if=_validating)
def cross_entropy(
    p: ArrayLike,
    q: ArrayLike,
    *,
    axis: int = -1,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
    validate: bool = False,
) -> jax.Array:
    r"""Cross-entropy H(p, q) = −Σ p·log q between probability vectors along ``axis``.

    $$
    H(p, q) = -\sum_i p_i \log q_i = H(p) + \mathrm{KL}(p \,\|\, q)
    $$

    An entry with p_i = 0 contributes 0; p_i > 0 with q_i = 0 gives +inf; a negative q_i
    (with p_i ≠ 0) or a NaN gives NaN. Not renormalized. Domain: non-negative entries; a
    negative p_i gives an unspecified value (``validate=True`` rejects it).

    Gradients: ∂/∂p_i = −log q_i and ∂/∂q_i = −p_i/q_i; an entry with p_i = 0 gets
    gradient 0 in both. Masked entries get gradient 0.

    Args:
      p: probabilities, shape ``[..., K, ...]`` with the event on ``axis``.
      q: probabilities; same event size K as ``p``, batch axes broadcast. Mismatched
        event sizes raise ``ValueError`` at trace time.
      axis: the event axis.
      base: logarithm base (``2`` for bits); ``None`` for nats. Must be positive.
      where: optional boolean mask broadcastable to the inputs; entries where it is
        False contribute nothing and get zero gradient.
      keepdims: keep the reduced axis with size 1.
      validate: check at run time that ``p`` and ``q`` are probability vectors (see
        [`jaxkl.checks`][jaxkl.checks] for the cost); off by default.

    Returns:
      The broadcast batch shape (``axis`` removed, or kept with ``keepdims``); dtype as
      for [`kl`][jaxkl.kl].

    Examples:
      A fair coin coded for itself costs 1 bit; H(p, q) = H(p) + KL(p ‖ q), here
      log 2 + 0.5108256 = 1.2039728 nats (``scipy.stats.entropy`` gives both terms):

      >>> import jaxkl
      >>> float(jaxkl.cross_entropy([0.5, 0.5], [0.5, 0.5], base=2))
      1.0
      >>> round(float(jaxkl.cross_entropy([0.5, 0.5], [0.9, 0.1])), 6)
      1.203973
    """
    fn = "jaxkl.cross_entropy"
    lb = log_base(fn, base)
    p, q, mask, axis = prepare_pair(fn, p, q, axis, where, validate)
    if mask is not None:
        p = jnp.where(mask, p, 0.0)
    total = jnp.sum(_neg_xlogy(p, q), axis=axis, keepdims=keepdims)
    return _finish(total, lb)


@jit_entry(("beta", "axis", "base", "keepdims", "validate"), plain_if=_validating)
def js_divergence(
    p: ArrayLike,
    q: ArrayLike,
    *,
    beta: float = 0.5,
    axis: int = -1,
    base: float | None = None,
    where: ArrayLike | None = None,
    keepdims: bool = False,
    validate: bool = False,
) -> jax.Array:
    r"""Jensen–Shannon divergence between probability vectors, optionally weighted.

    $$
    \mathrm{JS}_\beta(p, q) = \beta\,\mathrm{KL}(p \,\|\, m) + (1-\beta)\,\mathrm{KL}(q \,\|\, m),
    \qquad m = \beta p + (1 - \beta) q
    $$

    ``beta = 0.5`` is the usual symmetric JSD, bounded by log 2 (1 bit with
    ``base=2``). It is finite whatever the supports, and 0 iff p = q (for
    0 < beta < 1). ``beta`` = 0 or 1 gives 0 (one weight vanishes and m equals the
    other distribution). Each KL term uses the accurate form of [`kl`][jaxkl.kl].

    Gradients: finite everywhere, 0 for entries where both p and q are 0 and for masked
    entries. Domain: non-negative entries, as [`kl`][jaxkl.kl] (a negative entry gives an
    unspecified value; ``validate=True`` rejects it).

    Args:
      p: probabilities, shape ``[..., K, ...]`` with the event on ``axis``.
      q: probabilities; same event size K as ``p``, batch axes broadcast.
      beta: weight of ``p`` in the mixture, in [0, 1].
      axis: the event axis.
      base: logarithm base (``2`` for bits); ``None`` for nats. Must be positive.
      where: optional boolean mask broadcastable to the inputs; entries where it is
        False contribute nothing and get zero gradient.
      keepdims: keep the reduced axis with size 1.
      validate: check at run time that ``p`` and ``q`` are probability vectors; off by
        default.

    Returns:
      The broadcast batch shape (``axis`` removed, or kept with ``keepdims``); dtype as
      for [`kl`][jaxkl.kl].

    Raises:
      ValueError: ``beta`` outside [0, 1], a non-positive ``base``, or mismatched event sizes.

    Examples:
      Disjoint supports give the maximum, 1 bit; the second value is
      ``scipy.spatial.distance.jensenshannon([0.5, 0.5], [0.9, 0.1]) ** 2`` (0.10174923):

      >>> import jaxkl
      >>> float(jaxkl.js_divergence([1.0, 0.0], [0.0, 1.0], base=2))
      1.0
      >>> round(float(jaxkl.js_divergence([0.5, 0.5], [0.9, 0.1])), 6)
      0.101749

    References:
      J. Lin, "Divergence measures based on the Shannon entropy", IEEE Trans. Inf.
      Theory, 1991.
    """
    fn = "jaxkl.js_divergence"
    lb = log_base(fn, base)
    b = concrete_float(beta)
    if b is not None and not 0.0 <= b <= 1.0:
        raise ValueError(f"{fn}: `beta` must lie in [0, 1]; got {beta!r}")
    p, q, mask, axis = prepare_pair(fn, p, q, axis, where, validate)
    if mask is not None:
        p = jnp.where(mask, p, 0.0)
        q = jnp.where(mask, q, 0.0)
    beta_arr = jnp.asarray(beta, p.dtype)
    m = beta_arr * p + (1.0 - beta_arr) * q
    m_safe = jnp.where(m > 0, m, 1.0)  # m = 0 only where the weighted p and q are both 0
    tp = jnp.where(beta_arr > 0, beta_arr * rel_entr_fast(p, m_safe), 0.0)
    tq = jnp.where(beta_arr < 1, (1.0 - beta_arr) * rel_entr_fast(q, m_safe), 0.0)
    total = jnp.sum(tp + tq, axis=axis, keepdims=keepdims)
    return _finish(total, lb)


@jit_entry(("base", "axis", "keepdims"))
def entropy(
    pk: ArrayLike,
    qk: ArrayLike | None = None,
    base: float | None = None,
    axis: int | None = 0,
    *,
    keepdims: bool = False,
) -> jax.Array:
    r"""Shannon entropy, or KL divergence if ``qk`` is given: ``scipy.stats.entropy``.

    $$
    H(p) = -\sum_i p_i \log p_i, \qquad
    D(p \,\|\, q) = \sum_i p_i \log \frac{p_i}{q_i}
    $$

    after normalizing ``pk`` (and ``qk``) to sum to 1 along ``axis``, exactly as scipy
    does: ``pk`` and ``qk`` are broadcast against each other first (with ``axis=None``
    each is raveled first and the flat arrays broadcast), ``axis=None`` reduces over
    all elements, and the same errors are raised (``ValueError`` with scipy's messages:
    "Array shapes are incompatible for broadcasting." for incompatible shapes,
    "`base` must be a positive number or `None`." for a non-positive base). The element-wise terms are
    [`entr`][jaxkl.entr] and [`rel_entr`][jaxkl.rel_entr], so zeros, infinities and NaNs behave
    as in scipy. Unlike [`kl`][jaxkl.kl], the default axis is 0, as in scipy.

    Gradients: those of the normalization composed with [`entr`][jaxkl.entr] /
    [`rel_entr`][jaxkl.rel_entr] (finite at zero entries).

    Args:
      pk: (unnormalized) probabilities.
      qk: optional (unnormalized) probabilities of the reference distribution.
      base: logarithm base; ``None`` for nats.
      axis: the axis to reduce; ``None`` for all elements.
      keepdims: keep the reduced axes with size 1.

    Returns:
      The reduced array. dtype: JAX's floating dtype of the inputs (float32 unless x64
      is enabled, where scipy returns float64); integers promote to the default float,
      bfloat16/float16 give float32.

    Examples:
      scipy's own examples: a fair coin has 1 bit of entropy; a fair die against a loaded
      one (``scipy.stats.entropy`` gives 0.1642520335); unnormalized counts are normalized:

      >>> import jaxkl
      >>> float(jaxkl.entropy([0.5, 0.5], base=2))
      1.0
      >>> float(jaxkl.entropy([1/6] * 6, [0.4, 0.1, 0.1, 0.1, 0.1, 0.2]))
      0.164252
      >>> float(jaxkl.entropy([1, 1, 1, 1, 1, 1], [4, 1, 1, 1, 1, 2]))
      0.164252
    """
    fn = "jaxkl.entropy"
    lb = log_base(fn, base)
    pk, qk = cast("tuple[jax.Array, jax.Array | None]", as_inexact(fn, pk=pk, qk=qk))
    out_ndim = max(pk.ndim, 0 if qk is None else qk.ndim)
    if axis is None:  # as scipy: each input is raveled first, then they broadcast
        pk = pk.ravel()
        qk = None if qk is None else qk.ravel()
    if qk is not None:
        try:
            shape = np.broadcast_shapes(pk.shape, qk.shape)
        except ValueError:
            raise ValueError("Array shapes are incompatible for broadcasting.") from None
        pk, qk = jnp.broadcast_to(pk, shape), jnp.broadcast_to(qk, shape)
    raveled = axis is None
    if pk.ndim == 0:
        raise ValueError(f"{fn}: `pk` must have at least one axis for axis={axis}")
    axis = 0 if raveled else normalize_axis(fn, cast(int, axis), pk.ndim)
    pk = pk / jnp.sum(pk, axis=axis, keepdims=True)
    if qk is None:
        vec = entr(pk)
    else:
        qk = qk / jnp.sum(qk, axis=axis, keepdims=True)
        vec = rel_entr(pk, qk)
    s = jnp.sum(vec, axis=axis, keepdims=keepdims)
    if raveled and keepdims:
        s = s.reshape((1,) * out_ndim)
    return _finish(s, lb)
