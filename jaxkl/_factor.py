"""Dense factorizations for the Gaussian and Wishart families: Cholesky, triangular solves
and inverses, and the log-determinant of a small general matrix.

Every factorization in jaxkl goes through this module. Where it is safe, these are
``jax.lax.linalg``'s primitives (LAPACK on CPU, cuSOLVER on GPU). jaxlib 0.10's CPU kernels
for a batch of matrices split the batch into tasks on XLA's intra-op thread pool and block
a pool thread until the tasks are done. When as many such calls run at once as the pool has
threads (two independent Cholesky factorizations in one program on a 2-core machine, or
two programs in flight from two Python threads), every thread waits for tasks that no
thread is left to run, and ``block_until_ready`` never returns. For that jaxlib the CPU
lowering uses the formulations below instead, written in plain XLA operations (element-wise
arithmetic, reductions and matrix products), which never block a pool thread; other
platforms keep the primitives (``jax.lax.platform_dependent`` picks the branch when the
computation is lowered for its platform, so the choice holds under ``jit``, ``vmap`` and
autodiff, and a batch formed by ``vmap`` cannot reach the LAPACK kernels).

The formulations:

* Cholesky: recursive 2×2 blocking, L₁₁ = chol(A₁₁), L₂₁ = A₂₁ L₁₁⁻ᵀ,
  L₂₂ = chol(A₂₂ − L₂₁ L₂₁ᵀ), down to blocks of at most ``_LEAF`` rows, which are
  factored column by column (each column one fused multiply-reduce over the batch). Like
  ``jnp.linalg.cholesky`` the input is symmetrized first, and a matrix that is not positive
  definite gives a factor of NaNs.
* Triangular inverse: the same blocking, [[A, 0], [B, C]]⁻¹ = [[A⁻¹, 0], [−C⁻¹BA⁻¹, C⁻¹]],
  with leaves by forward substitution; a triangular solve is the inverse times the
  right-hand side (L⁻¹B, or L⁻ᵀB).
* log |det| of a general matrix: LU with partial pivoting, one column per step.

Derivatives are the usual ones, written as custom JVPs in terms of the same kernels
(L̇ = L·Φ(L⁻¹ȦL⁻ᵀ) with Φ the lower triangle and half the diagonal; d(L⁻¹) = −L⁻¹L̇L⁻¹), so
forward, reverse and higher-order differentiation never touch LAPACK either. The log-det is
differentiated through its elimination steps (pivots are piecewise constant).

All functions take ``[..., n, n]`` matrices (leading batch dims broadcast where stated).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax import lax

from ._math import JAXLIB_VERSION

__all__ = [
    "CPU_LAPACK_BATCH_MAY_BLOCK",
    "cholesky",
    "cholesky_xla",
    "logabsdet",
    "positive_diagonal",
    "tril_inverse",
    "tril_inverse_xla",
    "tril_solve",
]


# jaxlib releases whose CPU LAPACK kernels split a batch onto the intra-op pool and wait
# for it (0.10.0 - 0.10.2 seen; later releases are treated the same until shown otherwise).
CPU_LAPACK_BATCH_MAY_BLOCK = JAXLIB_VERSION >= (0, 10)

# Largest block factored column by column (larger ones are split in two).
_LEAF = 8
# Batches at least this large run the leaves unrolled (fast, but ~1 s to compile per
# factorization); smaller ones, and batches formed by vmap, loop (compiles in ~0.1 s).
UNROLL_BATCH = 128


def _swap(x: jax.Array) -> jax.Array:
    return jnp.swapaxes(x, -1, -2)


def _inexact(*xs: jax.Array) -> tuple[jax.Array, ...]:
    """The arrays in their common inexact dtype (as ``jnp.linalg`` promotes)."""
    dtype = jnp.result_type(*xs)
    if not jnp.issubdtype(dtype, jnp.inexact):
        dtype = jnp.result_type(dtype, float)
    return tuple(jnp.asarray(x, dtype) for x in xs)


def _per_platform(safe, lapack, *args):
    """``safe(*args)`` when lowered for CPU with an affected jaxlib, ``lapack(*args)`` otherwise."""
    if not CPU_LAPACK_BATCH_MAY_BLOCK:
        return lapack(*args)
    return lax.platform_dependent(*args, cpu=safe, default=lapack)


# ----------------------------------------------------------------------------------------
# Triangular inverse


def _to_batch_minor(m: jax.Array) -> jax.Array:
    """[..., n, n] → [n, n, B]: each matrix entry a contiguous vector over the batch."""
    n = m.shape[-1]
    return jnp.moveaxis(m.reshape((-1, n, n)), 0, -1)


def _from_batch_minor(m: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    return jnp.moveaxis(m, -1, 0).reshape(shape)


def _tril_inv_unrolled(l: jax.Array) -> jax.Array:
    """L⁻¹ by forward substitution, row by row: x_i = (e_i − Σ_{k<i} L_ik x_k) / L_ii.

    The batch is the minor axis and the loops are unrolled (n ≤ ``_LEAF``), so every step is
    element-wise over contiguous batch vectors and XLA fuses them into a few loops."""
    n = l.shape[-1]
    lt = _to_batch_minor(l)  # [row, column, B]
    rows: list[jax.Array] = []  # rows[i]: columns 0..i of row i of L⁻¹, [i + 1, B]
    for i in range(n):
        r = jnp.zeros((i + 1,) + lt.shape[2:], l.dtype).at[i].set(1.0)
        for k in range(i):
            r = r.at[: k + 1].add(-lt[i, k] * rows[k])
        rows.append(r / lt[i, i])
    zeros = jnp.zeros((n - 1,) + lt.shape[2:], l.dtype)
    flat = jnp.concatenate(
        [piece for i, r in enumerate(rows) for piece in ((r, zeros[: n - 1 - i]) if i < n - 1 else (r,))]
    )
    return _from_batch_minor(flat.reshape(lt.shape), l.shape)


def _tril_inv_looped(l: jax.Array) -> jax.Array:
    """As ``_tril_inv_unrolled``, the rows a ``fori_loop``: a small program, quick to compile."""
    n = l.shape[-1]
    lt = _to_batch_minor(l)  # [row, column, B]
    eye = jnp.eye(n, dtype=l.dtype)[:, :, None]

    def row(i, x):  # x: rows < i of L⁻¹ filled, the rest 0
        li = lax.dynamic_index_in_dim(lt, i, axis=0, keepdims=False)  # [k, B]
        r = lax.dynamic_index_in_dim(eye, i, axis=0, keepdims=False) - jnp.sum(li[:, None, :] * x, axis=0)
        lii = lax.dynamic_index_in_dim(li, i, axis=0, keepdims=False)
        return lax.dynamic_update_index_in_dim(x, r / lii, i, axis=0)

    return _from_batch_minor(lax.fori_loop(0, n, row, jnp.zeros_like(lt)), l.shape)


def batch_size(m: jax.Array) -> int:
    return math.prod(m.shape[:-2])


def _tril_inv_leaf(l: jax.Array) -> jax.Array:
    return _tril_inv_unrolled(l) if batch_size(l) >= UNROLL_BATCH else _tril_inv_looped(l)


def _join_lower(x11: jax.Array, x21: jax.Array, x22: jax.Array) -> jax.Array:
    """[[X₁₁, 0], [X₂₁, X₂₂]] from its blocks (batch dims of ``x11``)."""
    zeros = jnp.zeros(x11.shape[:-1] + (x22.shape[-1],), x11.dtype)
    return jnp.concatenate([jnp.concatenate([x11, zeros], -1), jnp.concatenate([x21, x22], -1)], -2)


def _tril_inv_blocked(l: jax.Array) -> jax.Array:
    n = l.shape[-1]
    if n <= _LEAF:
        return _tril_inv_leaf(l)
    h = _split(n)
    a_inv = _tril_inv_blocked(l[..., :h, :h])
    c_inv = _tril_inv_blocked(l[..., h:, h:])
    return _join_lower(a_inv, -(c_inv @ (l[..., h:, :h] @ a_inv)), c_inv)


def _split(n: int) -> int:
    """Size of the leading block: half of n, rounded to a multiple of ``_LEAF``."""
    return max(_LEAF, (n // 2 + _LEAF // 2) // _LEAF * _LEAF)


@jax.custom_jvp
def tril_inverse_xla(l: jax.Array) -> jax.Array:
    """L⁻¹ of a lower-triangular ``l`` [..., n, n] in plain XLA operations (upper triangle ignored)."""
    return _tril_inv_blocked(jnp.tril(l))


@tril_inverse_xla.defjvp
def _tril_inverse_jvp(primals, tangents):
    (l,), (dl,) = primals, tangents
    x = tril_inverse_xla(l)
    return x, -(x @ jnp.tril(dl) @ x)


def _tril_inverse_lapack(l: jax.Array) -> jax.Array:
    eye = jnp.broadcast_to(jnp.eye(l.shape[-1], dtype=l.dtype), l.shape)
    return jnp.tril(lax.linalg.triangular_solve(l, eye, left_side=True, lower=True))


def tril_inverse(l: jax.Array) -> jax.Array:
    """L⁻¹ for lower-triangular ``l`` [..., n, n] (only the lower triangle is read)."""
    return _per_platform(tril_inverse_xla, _tril_inverse_lapack, *_inexact(l))


def _tril_solve_lapack(l, b, transpose):
    return lax.linalg.triangular_solve(l, b, left_side=True, lower=True, transpose_a=transpose)


def _tril_solve_xla(l, b, transpose):
    x = tril_inverse_xla(l)
    return (_swap(x) if transpose else x) @ b


def tril_solve(l: jax.Array, b: jax.Array, *, transpose: bool = False) -> jax.Array:
    """L⁻¹B (or L⁻ᵀB with ``transpose``) for lower-triangular ``l`` [..., n, n], ``b`` [..., n, k].

    Batch dims broadcast against each other; the dtypes promote to a common inexact one.
    """
    l, b = _inexact(l, b)
    shape = jnp.broadcast_shapes(l.shape[:-2], b.shape[:-2])
    l = jnp.broadcast_to(l, shape + l.shape[-2:])
    b = jnp.broadcast_to(b, shape + b.shape[-2:])
    return _per_platform(
        lambda l_, b_: _tril_solve_xla(l_, b_, transpose), lambda l_, b_: _tril_solve_lapack(l_, b_, transpose), l, b
    )


# ----------------------------------------------------------------------------------------
# Cholesky


def _chol_unrolled(a: jax.Array) -> jax.Array:
    """Column by column: v = A[j:, j] − Σ_{k<j} L[j:, k] L[j, k], L[j:, j] = v / √v_0.

    Batch-minor and unrolled like ``_tril_inv_unrolled``."""
    n = a.shape[-1]
    at = _to_batch_minor(a)  # [row, column, B]
    cols: list[jax.Array] = []  # cols[k]: rows k..n-1 of column k, [n - k, B]
    for j in range(n):
        v = at[j:, j]
        for k in range(j):
            v = v - cols[k][j - k :] * cols[k][j - k]
        cols.append(v / jnp.sqrt(v[0]))
    zeros = jnp.zeros((n - 1,) + at.shape[2:], a.dtype)
    flat = jnp.concatenate([piece for j, c in enumerate(cols) for piece in ((zeros[:j], c) if j else (c,))])
    return jnp.transpose(flat.reshape(at.shape), (2, 1, 0)).reshape(a.shape)  # [column, row, B] → [..., row, column]


def _chol_looped(a: jax.Array) -> jax.Array:
    """As ``_chol_unrolled``, the columns a ``fori_loop``."""
    n = a.shape[-1]
    at = _to_batch_minor(a)  # [row, column, B]
    rows = jnp.arange(n)[:, None]

    def column(j, l):  # l: columns < j of L filled, the rest 0
        lj = lax.dynamic_index_in_dim(l, j, axis=0, keepdims=False)  # row j: [k, B]
        v = lax.dynamic_index_in_dim(at, j, axis=1, keepdims=False) - jnp.sum(l * lj[None], axis=1)
        piv = lax.dynamic_index_in_dim(v, j, axis=0, keepdims=False)
        return lax.dynamic_update_index_in_dim(l, jnp.where(rows >= j, v / jnp.sqrt(piv), 0.0), j, axis=1)

    return _from_batch_minor(lax.fori_loop(0, n, column, jnp.zeros_like(at)), a.shape)


def _chol_leaf(a: jax.Array) -> jax.Array:
    return _chol_unrolled(a) if batch_size(a) >= UNROLL_BATCH else _chol_looped(a)


def _chol_blocked(a: jax.Array) -> jax.Array:
    n = a.shape[-1]
    if n <= _LEAF:
        return _chol_leaf(a)
    h = _split(n)
    l11 = _chol_blocked(a[..., :h, :h])
    l21 = a[..., h:, :h] @ _swap(_tril_inv_blocked(l11))
    return _join_lower(l11, l21, _chol_blocked(a[..., h:, h:] - l21 @ _swap(l21)))


@jax.custom_jvp
def cholesky_xla(a: jax.Array) -> jax.Array:
    """Lower Cholesky factor of the symmetrized ``a`` [..., n, n] in plain XLA operations.

    A matrix that is not (numerically) positive definite gives a factor of NaNs, as
    ``jnp.linalg.cholesky`` does.
    """
    l = _chol_blocked(0.5 * (a + _swap(a)))
    ok = jnp.all(jnp.diagonal(l, axis1=-2, axis2=-1) > 0, axis=-1)  # False for NaN too
    return jnp.where(ok[..., None, None], l, jnp.nan)


@cholesky_xla.defjvp
def _cholesky_jvp(primals, tangents):
    (a,), (da,) = primals, tangents
    l = cholesky_xla(a)
    x = tril_inverse_xla(l)
    da = 0.5 * (da + _swap(da))
    s = x @ da @ _swap(x)
    phi = jnp.tril(s) - 0.5 * s * jnp.eye(s.shape[-1], dtype=s.dtype)
    return l, l @ phi


def cholesky(a: jax.Array) -> jax.Array:
    """Lower Cholesky factor of the symmetric positive definite ``a`` [..., n, n].

    Same values, NaN behaviour and derivatives as ``jnp.linalg.cholesky`` (the input is
    symmetrized; a matrix that is not positive definite gives NaNs).
    """
    return _per_platform(cholesky_xla, jnp.linalg.cholesky, *_inexact(a))


# ----------------------------------------------------------------------------------------
# log |det| of a general square matrix


def _logabsdet_xla(m: jax.Array) -> jax.Array:
    """Σ log |U_kk| of the LU factorization with partial pivoting (one column per step).

    The steps are a loop over k (masks rather than shrinking slices): one step's program,
    not n, so the compile time does not grow with n (n = 40 unrolled took seconds).
    """
    n = m.shape[-1]
    rows = jnp.arange(n)

    def step(k, carry):
        u, out = carry
        col = jnp.where(rows >= k, jnp.abs(lax.dynamic_index_in_dim(u, k, axis=-1, keepdims=False)), -1.0)
        p = jnp.argmax(col, axis=-1)
        perm = jnp.where(rows == k, p[..., None], jnp.where(rows == p[..., None], k, rows))
        u = jnp.take_along_axis(u, perm[..., :, None], axis=-2)
        row_k = lax.dynamic_index_in_dim(u, k, axis=-2, keepdims=True)  # [..., 1, n]
        piv = lax.dynamic_index_in_dim(row_k[..., 0, :], k, axis=-1, keepdims=False)
        below = (rows > k)[:, None]
        f = lax.dynamic_index_in_dim(u, k, axis=-1, keepdims=True) / piv[..., None, None]  # [..., n, 1]
        u = jnp.where(below, u + (-f) * row_k, u)
        return u, out + jnp.log(jnp.abs(piv))

    return lax.fori_loop(0, n, step, (m, jnp.zeros(m.shape[:-2], m.dtype)))[1]


def _logabsdet_lapack(m: jax.Array) -> jax.Array:
    return jnp.linalg.slogdet(m)[1]


def logabsdet(m: jax.Array) -> jax.Array:
    """log |det M| for square ``m`` [..., n, n] (LU with partial pivoting)."""
    return _per_platform(_logabsdet_xla, _logabsdet_lapack, *_inexact(m))


def positive_diagonal(m: jax.Array) -> jax.Array:
    """The lower triangle of ``m`` with each column's sign set so that the diagonal is
    positive: the Cholesky factor of L·Lᵀ for any lower-triangular L without zeros on its
    diagonal (a column's sign does not change L·Lᵀ)."""
    low = jnp.tril(m)
    sign = jnp.where(jnp.diagonal(low, axis1=-2, axis2=-1) < 0, -1.0, 1.0).astype(m.dtype)
    # materialized once: left to fusion, the product is recomputed inside every consumer of
    # the factor (about a fifth of the time of a d = 16 Gaussian pair)
    return jax.lax.optimization_barrier(low * sign[..., None, :])
