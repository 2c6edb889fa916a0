"""Stable primitives shared by the rest of jaxkl.

Everything here is private. The public functions document their own numerics; this
module holds the pieces they share:

* dtype handling (``as_inexact``): integers promote to the default float dtype,
  bfloat16/float16 compute in float32, complex input is a ``TypeError``;
* exact scaling of tiny numbers (``scale_tiny`` / ``unscale``). XLA's CPU backend runs
  with flush-to-zero and denormals-are-zero, so any arithmetic on a subnormal input
  sees 0 and a subnormal result comes back as 0. The element-wise functions promise
  scipy's values for subnormals too, so they move tiny numbers up by ``2**64`` through
  their bit patterns (integer operations, which the flush does not touch), compute in
  the normal range, and build a subnormal result back from its bits;
* ``log_ratio``: log(x / y) for positive x, y, accurate to a few ulp over the whole
  floating-point range and to full *relative* precision when x ≈ y;
* ``rel_entr_fast``: the per-entry term p·log(p/q) for the reductions (``kl``,
  ``cross_entropy``, ``js_divergence``): one division and one log1p per entry,
  written without comparisons or selects so XLA:CPU keeps it fused into the sum.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
from collections.abc import Callable
from typing import Any, NamedTuple, overload

import jax
import jax.numpy as jnp
import jaxlib
import numpy as np
from jax import lax
from jax.typing import ArrayLike

# Constants shared by the formulas of every module (Python floats, so weakly typed in JAX
# expressions: they take the dtype of the arrays they meet).
EULER = 0.57721566490153286060651209008240243  # γ, the Euler–Mascheroni constant
LN2 = math.log(2.0)
LOG_PI = math.log(math.pi)
LOG_2PI = math.log(2.0 * math.pi)
HALF_LOG_2PI = 0.5 * LOG_2PI  # log √(2π)

SHIFT = 64  # tiny numbers are scaled by 2**SHIFT


class _FloatInfo(NamedTuple):
    int_dtype: type
    min_normal_bits: int  # bit pattern of the smallest positive normal number
    abs_mask: int  # clears the sign bit
    min_sub_exp: int  # the smallest subnormal is 2**min_sub_exp
    tiny: float  # smallest positive normal
    small: float  # values below this are scaled (2**-60)


_INFO = {
    np.dtype(np.float32): _FloatInfo(
        np.int32, 0x00800000, 0x7FFFFFFF, -149, float(np.finfo(np.float32).tiny), 2.0**-60
    ),
    np.dtype(np.float64): _FloatInfo(
        np.int64, 0x0010000000000000, 0x7FFFFFFFFFFFFFFF, -1074, float(np.finfo(np.float64).tiny), 2.0**-60
    ),
}


# --------------------------------------------------------------------------- dtypes


def compute_dtype(*dtypes) -> np.dtype:
    """The floating dtype jaxkl computes in for inputs of these dtypes.

    Integers and booleans promote to JAX's default float (float32, or float64 with x64
    enabled), as ``jnp.log`` would; bfloat16 and float16 compute in float32; complex
    dtypes are rejected by ``as_inexact``.
    """
    dt = jnp.result_type(*dtypes)
    if not jnp.issubdtype(dt, jnp.inexact):
        dt = jnp.result_type(float)
    if dt in (jnp.bfloat16, jnp.float16):
        dt = jnp.dtype(jnp.float32)
    return np.dtype(dt)


def row_dtype(*dtypes) -> np.dtype:
    """The dtype the logits engine computes rows in: float64 if any input is float64, else
    float32 (bfloat16/float16 included). For floating inputs this is ``compute_dtype``;
    integer inputs, which reach it only as ``fused_linear_kl``'s hidden states and weights,
    compute in float32 even with x64 enabled."""
    return np.dtype(np.float64) if any(np.dtype(d) == np.float64 for d in dtypes) else np.dtype(np.float32)


def promoted_dtype(*dtypes) -> np.dtype:
    """``jnp.result_type`` of the inputs: the rule of the Gaussian pairs, which compute in the
    dtype the two distributions store. Unlike ``compute_dtype`` it keeps bfloat16/float16 (so
    half-precision Gaussians do not yet follow ``kl_divergence``'s documented float32)."""
    return np.dtype(jnp.result_type(*dtypes))


@overload
def as_inexact(fn: str, **arrays: ArrayLike) -> list[jax.Array]: ...
@overload
def as_inexact(fn: str, **arrays: ArrayLike | None) -> list[jax.Array | None]: ...
def as_inexact(fn: str, **arrays: ArrayLike | None) -> list[Any]:
    """Convert named inputs to arrays of one compute dtype (see ``compute_dtype``).

    Raises a ``TypeError`` that names the argument for complex or non-numeric input.
    ``None`` entries pass through.
    """
    out: dict[str, jax.Array | None] = {}
    for name, a in arrays.items():
        if a is None:
            out[name] = None
            continue
        try:
            arr = jnp.asarray(a)
        except TypeError as e:
            raise TypeError(f"{fn}: `{name}` must be a real numeric array, got {type(a).__name__}") from e
        if jnp.issubdtype(arr.dtype, jnp.complexfloating):
            raise TypeError(f"{fn}: `{name}` must be real; got complex dtype {arr.dtype}")
        if not (jnp.issubdtype(arr.dtype, jnp.number) or arr.dtype == jnp.bool_):
            raise TypeError(f"{fn}: `{name}` must be a real numeric array; got dtype {arr.dtype}")
        out[name] = arr
    dt = compute_dtype(*(a.dtype for a in out.values() if a is not None))
    return [None if a is None else a.astype(dt) for a in out.values()]


# ------------------------------------------------------ exact handling of tiny numbers


def _info(x: jax.Array) -> _FloatInfo:
    return _INFO[np.dtype(x.dtype)]


def _bits(x: jax.Array, info: _FloatInfo) -> jax.Array:
    # The barrier keeps the compiler from folding integer tests on the bit pattern back
    # into floating-point comparisons, which would see subnormals as zero again.
    return lax.optimization_barrier(lax.bitcast_convert_type(x, info.int_dtype))


class Kind(NamedTuple):
    """Masks describing each element, read off the bit pattern (see ``classify``)."""

    nan: jax.Array
    positive: jax.Array  # > 0, subnormals and +inf included
    zero: jax.Array  # +0 or -0
    finite: jax.Array
    inf: jax.Array  # +inf or -inf


def classify(x: jax.Array) -> Kind:
    """Classify each element by its bit pattern, so subnormals count as nonzero.

    Comparisons such as ``x > 0`` see a subnormal as 0 on backends that flush
    denormals, and so would any floating-point test the compiler is allowed to merge
    with these integer ones; hence every test here is on the bits, and the masks leave
    through an optimization barrier.
    """
    info = _info(x)
    bits = _bits(x, info)
    mag = bits & info.abs_mask
    exp_all = info.abs_mask ^ (info.min_normal_bits - 1)  # bits of +inf
    nan = mag > exp_all
    finite = mag < exp_all
    kind = Kind(nan=nan, positive=(bits > 0) & ~nan, zero=mag == 0, finite=finite, inf=mag == exp_all)
    return Kind(*lax.optimization_barrier(tuple(kind)))


def scale_tiny(x: jax.Array, shift: jax.Array) -> jax.Array:
    """``x * 2**64`` where ``shift`` is true (exact, subnormal x included), else ``x``."""
    info = _info(x)
    bits = _bits(x, info)
    mag = bits & info.abs_mask
    is_sub = (mag > 0) & (mag < info.min_normal_bits)
    # A subnormal's magnitude bits are its integer mantissa m, and x = m * 2**min_sub_exp.
    sub = mag.astype(x.dtype) * (2.0 ** (SHIFT + info.min_sub_exp))
    sub = jnp.where(bits < 0, -sub, sub)
    scaled = jnp.where(is_sub, sub, x * (2.0**SHIFT))
    return jnp.where(shift, scaled, x)


def unscale(v: jax.Array, shift: jax.Array) -> jax.Array:
    """``v * 2**-64`` where ``shift`` is true, rounding a subnormal result correctly.

    The result is assembled from its bit pattern when it is subnormal, so it survives a
    backend that flushes denormal results to zero.
    """
    info = _info(v)
    plain = v * (2.0**-SHIFT)
    av = jnp.abs(v)
    # Subnormal result: |v| * 2**-64 = m * 2**min_sub_exp with the integer m < 2**mantissa.
    m = jnp.round(jnp.where(av < info.tiny * 2.0**SHIFT, av, 0.0) * (2.0 ** (-SHIFT - info.min_sub_exp)))
    sign = jnp.where(v < 0, jnp.asarray(jnp.iinfo(info.int_dtype).min, info.int_dtype), 0)
    sub = lax.bitcast_convert_type(m.astype(info.int_dtype) | sign, v.dtype)
    is_sub = (av < info.tiny * 2.0**SHIFT) & (av > 0)
    return jnp.where(shift, jnp.where(is_sub, sub, plain), v)


def materialize(x: jax.Array) -> jax.Array:
    """x itself (bit for bit, NaN included; subnormals as any arithmetic on the backend leaves
    them), computed once rather than once per consumer.

    XLA fuses cheap element-wise producers (add, multiply, select, bit operations) into
    every fusion that consumes them, duplicating them, and it does so through broadcasts:
    a long polynomial chain on a batch of parameters that feeds per-node arrays (a
    quadrature) or many gradient terms is compiled, and evaluated, once per consumer. A
    division is "expensive" to XLA and is not duplicated into a consumer that broadcasts
    it, so dividing by a 1 the compiler cannot fold (2 only where x is NaN, which stays
    NaN) ends the chain in one buffer. ``lax.optimization_barrier`` does not do this: it
    is removed before fusion. Exact: x/1 = x, and the derivative is 1.
    """
    return x / jnp.where(x == x, 1.0, 2.0).astype(x.dtype)


def sum_last(x: jax.Array) -> jax.Array:
    """Σ over the last axis of a long element-wise computation, as a product with a vector of ones.

    With jaxlib 0.10 XLA:CPU fuses the producer of a row reduction into it and evaluates it
    there about three times slower than on its own (a Dirichlet KL's ``lgamma_remainder``
    terms: 82 ms summed against 27 ms element-wise for 1e5 × 32 float32); a dot keeps the
    producer in its own vectorized loop. The products are exact (·1) and the sum is taken in
    the input's precision (``precision="highest"``: no reduced-precision matrix units).
    """
    ones = jnp.ones(x.shape[-1:], x.dtype)
    return jnp.matmul(x, ones, precision=lax.Precision.HIGHEST)


def log1p(d: jax.Array) -> jax.Array:
    """log(1 + d) to about 1 ulp in float32 and float64.

    XLA's float64 ``log1p`` on CPU is off by up to ~120 ulp, so float64 uses
    log(u)·d/(u − 1) with u = 1 + d (Goldberg, "What every computer scientist should
    know about floating-point arithmetic", 1991); the barrier stops the compiler from
    simplifying (1 + d) − 1 to d, which would undo the correction.
    """
    if d.dtype != np.float64:
        return jnp.log1p(d)
    u = lax.optimization_barrier(1.0 + d)
    return jnp.where(u == 1.0, d, jnp.log(u) * (d / jnp.where(u == 1.0, 1.0, u - 1.0)))


def log_ratio(x: jax.Array, y: jax.Array):
    """log(x / y) for finite positive x, y (subnormals included).

    Returns ``(lr, xs, ys, sx, sy, near, d)``: the log-ratio; the scaled values
    ``xs``/``ys`` (x·2**64 where the shift mask ``sx``/``sy`` is set); whether x/y lies in
    [1/2, 2] with both on the same scale; and d = (x − y)/y, valid where ``near``. Accuracy: a few ulp relative to
    |log(x/y)|; for x/y in [1/2, 2] it is computed as ``log1p((x − y)/y)`` with the
    subtraction exact (Sterbenz), so it keeps full relative precision as x → y.
    Values outside the stated domain give garbage that callers discard with ``where``.
    """
    info = _info(x)
    x_small = x < info.small  # true for subnormals too (they compare as 0)
    y_small = y < info.small
    both_small = jnp.maximum(x, y) < 2.0**-30
    common = (x_small | y_small) & both_small
    sx = common | (x_small & ~both_small)
    sy = common | (y_small & ~both_small)
    xs = scale_tiny(x, sx)
    ys = scale_tiny(y, sy)
    # Same scale (common, or neither scaled): ratio and difference are meaningful.
    same = sx == sy
    r = xs / ys
    near = same & (r >= 0.5) & (r <= 2.0)
    d = (xs - ys) / ys
    lr_near = log1p(jnp.where(near, d, 0.0))
    r_ok = same & (r >= info.tiny) & (r <= np.finfo(x.dtype).max)
    lr_ratio = jnp.log(jnp.where(r_ok, r, 1.0))
    shift_diff = (sy.astype(x.dtype) - sx.astype(x.dtype)) * (SHIFT * LN2)
    lr_split = jnp.log(jnp.where(near | r_ok, 1.0, xs)) - jnp.log(jnp.where(near | r_ok, 1.0, ys)) + shift_diff
    lr = jnp.where(near, lr_near, jnp.where(r_ok, lr_ratio, lr_split))
    return lr, xs, ys, sx, sy, near, d


def xlog1py_minus(d: jax.Array) -> jax.Array:
    """h(d) = (1 + d)·log1p(d) − d ≥ 0 for d ∈ [−1/2, 1], without cancellation.

    With s = d/(2 + d) ∈ [−1/3, 1/3], log1p(d) = 2·atanh(s) gives
    h = 2s²/(1 − s) · [1 + (s + s²)·B(s²)],  B(t) = Σ_{j≥1} t^{j−1}/(2j + 1),
    every term of which is computed without cancellation; B is summed by Horner's rule
    to 18 terms in float64 (truncation < 1e-18 relative) and 9 in float32.
    """
    s_ = d / (2.0 + d)
    t = s_ * s_
    terms = 18 if d.dtype == np.float64 else 9
    b = jnp.full_like(d, 1.0 / (2 * terms + 1))
    for j in range(terms - 1, 0, -1):
        b = b * t + 1.0 / (2 * j + 1)
    return 2.0 * t / (1.0 - s_) * (1.0 + (s_ + t) * b)


def two_diff(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(s, e) with s = fl(a − b) and s + e = a − b exactly (Knuth's TwoSum).

    XLA does not reassociate floating-point arithmetic (no fast-math), so the
    error-free transformation survives compilation without barriers, and stays fusable.
    """
    s = a - b
    z = s - a
    return s, (a - (s - z)) - (b + z)


def log_near1(x: jax.Array) -> jax.Array:
    """log x for x > 0, to full relative precision also near x = 1 (log1p of the exact x − 1)."""
    near = jnp.abs(x - 1.0) <= 0.5
    return jnp.where(near, log1p(jnp.where(near, x - 1.0, 0.0)), jnp.log(jnp.where(near, 1.0, x)))


def log_quotient(x: jax.Array, y: jax.Array) -> jax.Array:
    """log(x/y) for x, y > 0: log1p((x − y)/y) (x − y exact) when x/y ∈ [1/2, 3/2], else log x − log y."""
    d = (x - y) / y
    near = jnp.abs(d) <= 0.5
    return jnp.where(
        near, log1p(jnp.where(near, d, 0.0)), jnp.log(jnp.where(near, 1.0, x)) - jnp.log(jnp.where(near, 1.0, y))
    )


def split_mantissa(x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """x = hi + lo exactly, hi with at most 26 (float64) / 12 (float32) significant bits.

    The low mantissa bits are cleared through the bit pattern, so no multiplication is
    involved and a fused multiply-add cannot perturb the split.
    """
    if x.dtype == np.float64:
        hi = lax.bitcast_convert_type(lax.bitcast_convert_type(x, np.int64) & np.int64(~((1 << 27) - 1)), np.float64)
    else:
        hi = lax.bitcast_convert_type(lax.bitcast_convert_type(x, np.int32) & np.int32(~((1 << 12) - 1)), np.float32)
    return hi, x - hi


def two_prod(a: jax.Array, b: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(p, e) with p = fl(a·b) and a·b = p + e (to a rounding of e): Dekker's product."""
    p = a * b
    ah, al = split_mantissa(a)
    bh, bl = split_mantissa(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def log_prod(a: jax.Array, b: jax.Array) -> jax.Array:
    """log(a·b) for a, b > 0 with the product's rounding error added back, so the result is
    accurate to a few ulp of its own size also when a·b ≈ 1 (e.g. a = 1e4, b ≈ 1e-4)."""
    p, e = two_prod(a, b)
    return log_near1(p) + e / p


def _release(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", v)[:3])


# The installed jaxlib as (major, minor, patch): several CPU code paths depend on it.
JAXLIB_VERSION = _release(jaxlib.__version__)


# ------------------------------------------------------------ the reductions' term
#
# XLA's CPU backend hands reductions to YNNPACK. With jaxlib 0.10 it fuses the
# element-wise producer when that is made of arithmetic it supports (a comparison or a
# select splits the fusion); with jaxlib 0.9 it materializes the producer of every
# ``jnp.sum``/``jnp.max`` as a whole, whatever it is made of. The per-entry terms below
# are written with arithmetic, ``sign`` and ``max`` only, for the first case; ``logits.py``
# and ``discrete.kl`` work around the second with row blocks.


def _rel_entr_fast_parts(p, q):
    one_minus_eps = 1.0 - float(np.finfo(p.dtype).eps) / 2.0
    # p = 0 makes the denominator q + 1 > 0, so (0, 0) gives a finite d and a 0 term.
    d = jnp.maximum((p - q) / (q + (1.0 - jnp.sign(p))), -one_minus_eps)
    log_r = jnp.log1p(d)
    return p * log_r, log_r


@jax.custom_jvp
def rel_entr_fast(p: jax.Array, q: jax.Array) -> jax.Array:
    """p·log(p/q) for the reductions over valid probability vectors.

    p = 0 gives 0 (also where q = 0), p > 0 with q = 0 gives +inf, NaN gives NaN.
    Negative entries are invalid input and give an unspecified value (the public
    functions offer ``validate=True``); subnormal entries count as 0 on backends that
    flush them. The log is log1p(d) with d = (p − q)/q, the subtraction exact when
    p/q ∈ [1/2, 2], so near p = q each term keeps full relative precision. For
    p/q < 1/2 the rounding of p − q costs at most eps·q in the term (d is clamped at
    −1 + eps/2 so p ≪ q cannot give log(0)); summed over the event, the absolute
    error is at most about eps·Σq, the size of the error of the plain
    ``p * (log p − log q)`` but without its cancellation near p = q.
    """
    return _rel_entr_fast_parts(p, q)[0]


@rel_entr_fast.defjvp
def _rel_entr_fast_jvp(primals, tangents):
    p, q = primals
    dp, dq = tangents
    val, log_r = _rel_entr_fast_parts(p, q)
    live = jnp.sign(p)
    gp = live * (log_r + 1.0)  # 0 at p = 0 by convention
    gq = -p / (q + (1.0 - live))  # −p/q, and 0 at p = 0
    return val, gp * dp + gq * dq


def _jit_arg_ok(v) -> bool:
    """Whether ``jax.jit`` takes ``v`` as an array argument the way the plain function would."""
    return v is None or isinstance(v, (bool, int, float, complex, np.ndarray, np.generic, jax.Array))


def _nested_array(value: list | tuple) -> np.ndarray | jax.Array | None:
    """A list or tuple of numbers (or arrays) as one numeric array, ``None`` if it is not one.

    NumPy converts on the host (no compilation; ``jit`` then gives it the dtype
    ``jnp.asarray`` would); lists holding traced values go through ``jnp.asarray``."""
    try:
        out = np.asarray(value)
    except TypeError:  # traced entries
        try:
            return jnp.asarray(value)
        except (TypeError, ValueError):
            return None
    except ValueError:  # ragged
        return None
    return out if out.dtype.kind in "biufc" else None


def _binder(signature: inspect.Signature) -> Callable[[tuple, dict], dict]:
    """``signature.bind(*args, **kwargs).arguments`` (without defaults), with a fast path.

    ``Signature.bind`` costs a few microseconds, as much as the dispatch of a compiled call:
    a call that passes known names once and every required parameter is bound by a dict
    instead; anything else (a wrong call included) goes through ``bind``, which raises.
    """
    params = list(signature.parameters.values())
    kinds = inspect.Parameter
    positional = tuple(p.name for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD))
    by_name = frozenset(p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY))
    required = frozenset(p.name for p in params if p.default is p.empty)
    simple = all(p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD) for p in params)

    def bind(args: tuple, kwargs: dict) -> dict:
        if simple and len(args) <= len(positional):
            arguments = dict(zip(positional, args))
            if all(k in by_name and k not in arguments for k in kwargs):
                arguments.update(kwargs)
                if required <= arguments.keys():
                    return arguments
        return signature.bind(*args, **kwargs).arguments

    return bind


def jit_entry(
    static_argnames: tuple[str, ...],
    *,
    plain_if: Callable[[dict], bool] | None = None,
    pytree_argnames: tuple[str, ...] = (),
):
    """Decorator: the public function runs compiled (``jax.jit``) also when called eagerly.

    Outside ``jit`` a function runs op by op, and each operation is compiled for each new
    shape: tens to hundreds of milliseconds per call on tiny inputs, more for loops,
    conditionals and custom derivatives. Compiled whole, a call costs one compilation per
    shape and dtype, then one dispatch. The parameters named in ``static_argnames`` are
    static (whether passed by position or keyword); those named in ``pytree_argnames`` are
    passed to ``jit`` as they are (pytrees of arrays, such as distributions). A call with an
    unhashable value for a static parameter (e.g. a traced ``temperature``), with another
    argument that is not an array, a Python number, a (nested) list or tuple of numbers, or
    ``None``, or for which ``plain_if(arguments)`` is true, runs the plain function, which
    raises its own errors. Lists and tuples are converted to arrays first (``_nested_array``).
    Inside an outer ``jit`` the call is inlined.
    """

    def decorate(fn):
        bind = _binder(inspect.signature(fn))
        compiled = jax.jit(fn, static_argnames=static_argnames)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                arguments = bind(args, kwargs)
            except TypeError:
                return fn(*args, **kwargs)  # Python's own message for a wrong call
            if plain_if is not None and plain_if(arguments):
                return fn(*args, **kwargs)
            for name, value in arguments.items():
                if name in pytree_argnames:
                    continue
                if name in static_argnames:
                    try:
                        hash(value)
                    except TypeError:
                        return fn(*args, **kwargs)
                elif isinstance(value, (list, tuple)):
                    value = _nested_array(value)
                    if value is None:
                        return fn(*args, **kwargs)
                    arguments[name] = value
                elif not _jit_arg_ok(value):
                    return fn(*args, **kwargs)
            return compiled(**arguments)

        return wrapper

    return decorate


def safe_log(x: jax.Array) -> jax.Array:
    """log(x) for x ≥ 0, −inf at 0, with a finite (zero) gradient there."""
    pos = x > 0
    return jnp.where(pos, jnp.log(jnp.where(pos, x, 1.0)), -jnp.inf)


def safe_log1m(x: jax.Array) -> jax.Array:
    """log(1 − x) for x ≤ 1, −inf at 1, with a finite (zero) gradient there."""
    below = x < 1
    return jnp.where(below, jnp.log1p(-jnp.where(below, x, 0.0)), -jnp.inf)


def xmul(x: jax.Array, log_y: jax.Array) -> jax.Array:
    """x·log_y with 0 where x = 0 (also when log_y = −inf), gradients finite there."""
    live = x != 0
    return jnp.where(live, x * jnp.where(live, log_y, 0.0), 0.0)


def log1p_square(t: jax.Array) -> jax.Array:
    """log(1 + t²) without overflow of t² (for |t| > 1 it is 2·log|t| + log1p(1/t²))."""
    big = jnp.abs(t) > 1.0
    ts = jnp.where(big, 1.0, t)
    tb = jnp.where(big, jnp.abs(t), 2.0)
    return jnp.where(big, 2.0 * jnp.log(tb) + log1p(1.0 / (tb * tb)), log1p(ts * ts))
