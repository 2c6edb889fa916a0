"""Input checks: static shape assertions (always on) and opt-in value validation.

Static checks run at trace time with chex and cost nothing at run time: a mismatch of
event sizes between two distributions is a ``ValueError`` that names both shapes, never
a silent broadcast.

Value checks (``validate=True`` on the public functions) verify properties that depend
on the numbers: probabilities in [0, 1] that sum to one along the event axis within a
dtype tolerance. They work eagerly and under ``jax.jit``/``jax.vmap`` through a host
callback. Cost: one extra fused pass over each checked input (a min, max and sum per
row) plus one device-to-host transfer of a boolean and a synchronisation point per
call. Eagerly the failure is a ``ValueError``; under ``jax.jit`` it surfaces as
``jax.errors.JaxRuntimeError`` whose message contains the same text.
"""

from __future__ import annotations

import chex
import jax
import jax.numpy as jnp
import numpy as np

from ._factor import cholesky

__all__ = [
    "assert_same_event_size",
    "constraint_holds",
    "normalize_axis",
    "probability_tolerance",
    "symmetric",
    "validate_params",
    "validate_probabilities",
]


def normalize_axis(fn: str, axis: int, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` as a non-negative int, or raise ``ValueError`` naming it.

    Args:
        fn: the public function's name, for the message.
        axis: an axis, negative values counting from the end.
        ndim: the rank of the input.
        name: the argument's name, for the message.

    Returns:
        ``axis`` in ``[0, ndim)``.

    Raises:
        TypeError: ``axis`` is not an int.
        ValueError: ``axis`` is out of range for rank ``ndim``.

    Examples:
        >>> from jaxkl.checks import normalize_axis
        >>> normalize_axis("jaxkl.kl", -1, 3)
        2
        >>> normalize_axis("jaxkl.kl", 3, 3)
        Traceback (most recent call last):
        ...
        ValueError: jaxkl.kl: `axis`=3 is out of range for an input of rank 3
    """
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"{fn}: `{name}` must be an int, got {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{fn}: `{name}`={axis} is out of range for an input of rank {ndim}")
    return int(axis) % ndim


def assert_same_event_size(fn: str, a: jax.Array, b: jax.Array, axis: int, names=("p", "q")) -> None:
    """Trace-time check that ``a`` and ``b`` have the same size along ``axis``.

    Mismatched event sizes are an error, never a broadcast: the message names both
    arguments and their shapes. Costs nothing at run time (shapes are static).

    Args:
        fn: the public function's name, for the message.
        a: the first array (at least one axis).
        b: the second array (at least one axis).
        axis: the event axis of both.
        names (tuple[str, str]): the two arguments' names, for the message.

    Raises:
        ValueError: a scalar input, or event sizes that differ.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.checks import assert_same_event_size
        >>> assert_same_event_size("jaxkl.kl", jnp.ones((2, 3)), jnp.ones(3), -1)  # batch axes may differ
        >>> assert_same_event_size("jaxkl.kl", jnp.ones(3), jnp.ones((2, 4)), -1)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: ...jaxkl.kl: event sizes differ along axis -1: `p` has shape (3,), `q` has shape (2, 4)]
    """
    for x, name in zip((a, b), names):
        if x.ndim == 0:
            raise ValueError(f"{fn}: `{name}` must have at least one (event) axis; got shape {x.shape}")
    ka = a.shape[normalize_axis(fn, axis, a.ndim)]
    kb = b.shape[normalize_axis(fn, axis, b.ndim)]
    chex.assert_equal(
        ka,
        kb,
        custom_message=(
            f"{fn}: event sizes differ along axis {axis}: `{names[0]}` has shape {a.shape}, "
            f"`{names[1]}` has shape {b.shape}"
        ),
        exception_type=ValueError,
    )


def probability_tolerance(dtype, size: int) -> float:
    """Tolerance on |sum − 1| for a probability vector of ``size`` entries in ``dtype``.

    16·eps·√size: the rounding of a sum of ``size`` terms, with a margin.

    Args:
        dtype (numpy dtype-like): the floating dtype of the vector.
        size: its number of entries.

    Returns:
        The tolerance, a Python float.

    Examples:
        16 · 2⁻²³ · √100 for float32:

        >>> import numpy as np
        >>> from jaxkl.checks import probability_tolerance
        >>> probability_tolerance(np.float32, 100)
        1.9073486328125e-05
    """
    return 16.0 * float(jnp.finfo(dtype).eps) * float(np.sqrt(max(size, 1)))


def raise_if(bad, messages):
    bad = np.atleast_1d(np.asarray(bad))
    for flag, message in zip(bad, messages):
        if flag:
            raise ValueError(message)


def validate_probabilities(fn: str, arrays: dict, axis: int, where: jax.Array | None = None) -> None:
    """Opt-in check that each named array holds probability vectors along ``axis``.

    Entries must lie in [0, 1] and each vector must sum to 1 within
    [`probability_tolerance`][jaxkl.checks.probability_tolerance]. Entries outside
    ``where`` are ignored; NaN entries fail. All arrays are checked with one host callback
    (cost: one pass over the inputs and one host round trip), which raises a
    ``ValueError`` (eagerly) or ``jax.errors.JaxRuntimeError`` (under jit) naming the
    first invalid argument. This is what ``validate=True`` runs.

    Args:
        fn: the public function's name, for the message.
        arrays: maps argument names to arrays.
        axis: the event axis.
        where: optional boolean mask broadcastable to the arrays.

    Raises:
        ValueError: eagerly, for an array that is not a probability vector.
        jax.errors.JaxRuntimeError: the same, under ``jax.jit``.

    Examples:
        >>> import jaxkl
        >>> jaxkl.kl([0.5, 0.5], [0.9, 0.1], validate=True) is not None
        True
        >>> jaxkl.kl([0.5, 0.6], [0.9, 0.1], validate=True)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: jaxkl.kl: `p` is not a probability vector along axis 0: entries must lie in [0, 1] and sum to 1...
    """
    flags, messages = [], []
    for name, p in arrays.items():
        tol = probability_tolerance(p.dtype, p.shape[axis])
        live = jnp.ones(p.shape, bool) if where is None else jnp.broadcast_to(where, p.shape)
        in_range = jnp.all(jnp.where(live, (p >= 0) & (p <= 1), True))
        total = jnp.sum(jnp.where(live, p, 0), axis=axis)
        flags.append(~(in_range & jnp.all(jnp.abs(total - 1) <= tol)))
        messages.append(
            f"{fn}: `{name}` is not a probability vector along axis {axis}: entries must lie in [0, 1] and "
            f"sum to 1 within {tol:.1e} (dtype {p.dtype})"
        )
    jax.debug.callback(raise_if, jnp.stack(flags), tuple(messages))


def symmetric(v: jax.Array) -> jax.Array:
    """Where a matrix ``v`` ``[..., d, d]`` is symmetric to rounding: |v − vᵀ| within
    64·d·eps of its largest entry (the rounding of a product A·Aᵀ, far below any
    asymmetry that is a mistake). One flag per matrix.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.checks import symmetric
        >>> symmetric(jnp.array([[[2.0, 0.5], [0.5, 1.0]], [[2.0, 0.5], [0.6, 1.0]]])).tolist()
        [True, False]
    """
    tol = 64 * v.shape[-1] * jnp.finfo(v.dtype).eps * jnp.max(jnp.abs(v), axis=(-2, -1), keepdims=True)
    return jnp.all(jnp.abs(v - jnp.swapaxes(v, -1, -2)) <= tol, axis=(-2, -1))


def _simplex(v: jax.Array) -> jax.Array:
    total = jnp.sum(_at_least_float32(v), axis=-1)
    tol = probability_tolerance(total.dtype, v.shape[-1])
    return jnp.all((v >= 0) & (v <= 1), axis=-1) & (jnp.abs(total - 1) <= tol)


def _at_least_float32(v: jax.Array) -> jax.Array:
    return v.astype(jnp.promote_types(v.dtype, jnp.float32))


def _diagonal(v: jax.Array) -> jax.Array:
    return jnp.diagonal(v, axis1=-2, axis2=-1)


# Constraint name -> (predicate, core dims, description). A predicate reads the last ``core``
# axes of a parameter (a probability vector, a matrix) and returns one flag per remaining
# entry; NaN fails every constraint.
_CONSTRAINTS = {
    "real": (jnp.isfinite, 0, "finite"),
    "positive": (lambda v: (v > 0) & jnp.isfinite(v), 0, "positive and finite"),
    "nonnegative": (lambda v: (v >= 0) & jnp.isfinite(v), 0, "non-negative and finite"),
    "nonzero": (lambda v: (v != 0) & jnp.isfinite(v), 0, "non-zero and finite"),
    "unit_interval": (lambda v: (v >= 0) & (v <= 1), 0, "in [0, 1]"),
    "open_unit_interval": (lambda v: (v > 0) & (v < 1), 0, "in (0, 1)"),
    "half_open_unit_interval": (lambda v: (v > 0) & (v <= 1), 0, "in (0, 1]"),
    "nonnegative_integer": (
        lambda v: (v >= 0) & (v == jnp.floor(v)) & jnp.isfinite(v),
        0,
        "a non-negative integer",
    ),
    "positive_integer": (lambda v: (v >= 1) & (v == jnp.floor(v)) & jnp.isfinite(v), 0, "a positive integer"),
    "real_or_inf": (lambda v: ~jnp.isnan(v), 0, "a real number or ±inf (not NaN)"),
    "logits": (lambda v: ~jnp.isnan(v) & (v < jnp.inf), 0, "a logit: real or -inf"),
    "simplex": (_simplex, 1, "a probability vector along its last axis (entries in [0, 1] summing to 1)"),
    # symmetric (to the rounding of a product A·Aᵀ) and a Cholesky factorization exists
    # (cholesky returns NaN where it fails)
    "positive_definite": (
        lambda v: symmetric(v) & jnp.all(jnp.isfinite(cholesky(_at_least_float32(v))), axis=(-2, -1)),
        2,
        "a symmetric positive-definite matrix",
    ),
    # a square root of L·Lᵀ: its lower triangle is read (the upper one is ignored), and any
    # sign of the diagonal gives the same L·Lᵀ; singular (a zero on the diagonal) is out
    "nonsingular_tril": (
        lambda v: jnp.all(jnp.isfinite(jnp.tril(v)), axis=(-2, -1)) & jnp.all(_diagonal(v) != 0, axis=-1),
        2,
        "a lower-triangular matrix with a non-zero diagonal (finite)",
    ),
}


def constraint_holds(constraint: str, v: jax.Array, event_ndims: int = 0) -> jax.Array:
    """Where a parameter satisfies ``constraint``: one flag per batch entry.

    ``v`` is the parameter, whose last ``event_ndims`` axes belong to the event (a
    probability vector: 1; a matrix: 2); the flag is ``True`` where every entry of the
    event satisfies the constraint (for ``simplex`` and the matrix constraints, where the
    vector or matrix does). See ``validate_params`` for the constraint names.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.checks import constraint_holds
        >>> constraint_holds("positive", jnp.array([1.0, 0.0, -1.0, jnp.nan])).tolist()
        [True, False, False, False]
        >>> constraint_holds("simplex", jnp.array([[0.5, 0.5], [0.5, 0.6]]), event_ndims=1).tolist()
        [True, False]
    """
    pred, core, _ = _CONSTRAINTS[constraint]
    flag = pred(v)
    extra = event_ndims - core
    return jnp.all(flag, axis=tuple(range(-extra, 0))) if extra > 0 else flag


def validate_params(cls_name: str, params: dict, relations: tuple = ()) -> None:
    """Opt-in check of distribution parameters (``validate_args=True``).

    ``params`` maps a parameter name to ``(array, constraint)`` with ``constraint`` one of
    ``real`` (finite), ``positive``, ``nonnegative``, ``nonzero``, ``unit_interval``,
    ``open_unit_interval``, ``half_open_unit_interval``, ``nonnegative_integer``,
    ``positive_integer``, ``real_or_inf``, ``logits`` (real or −inf), ``simplex`` (entries in
    [0, 1] summing to 1 along the last axis, within ``probability_tolerance``),
    ``positive_definite`` (symmetric to rounding, with a Cholesky factor) or
    ``nonsingular_tril`` (a finite lower triangle with no zero on its diagonal); the same
    predicates as ``constraint_holds``, which the distributions' ``in_domain`` reads, so a
    parameter that passes here is one whose methods give numbers, and one that fails is
    one they give NaN for. Every parameter is reduced to one flag on the
    device and all flags travel to the host in one callback (cost: one pass over the
    parameters and one host round trip per construction); eagerly the failure is a
    ``ValueError`` naming the parameter and the constraint, under jit a
    ``jax.errors.JaxRuntimeError`` with the same text.

    Args:
        cls_name: the distribution's class name, for the message.
        params: maps a parameter name to ``(array, constraint)``.
        relations: pairs ``(flags, message)`` of constraints between parameters (``low <
            high``): a failure where any flag is ``False``.

    Raises:
        ValueError: eagerly, for a parameter that violates its constraint.
        jax.errors.JaxRuntimeError: the same, under ``jax.jit``.

    Examples:
        >>> from jaxkl.distributions import Normal
        >>> Normal(0.0, -1.0, validate_args=True)
        Traceback (most recent call last):
        ...
        ValueError: Normal: `scale` must be positive and finite
    """
    flags, messages = [], []
    for name, (v, constraint) in params.items():
        v = jnp.asarray(v)
        flags.append(~jnp.all(constraint_holds(constraint, v)))
        messages.append(f"{cls_name}: `{name.lstrip('_')}` must be {_CONSTRAINTS[constraint][2]}")
    for ok, message in relations:
        flags.append(~jnp.all(ok))
        messages.append(f"{cls_name}: {message}")
    if flags:
        jax.debug.callback(raise_if, jnp.stack(flags), tuple(messages))
