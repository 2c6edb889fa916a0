"""Compiled KL programs shared by the closed-form test modules.

The suite is compile-bound. ``kit(P, Q, dtype)`` is the one program per (pair, dtype) that
the registry table and the per-family modules evaluate their points through, so a pair's
value-and-gradient program is compiled once per run (the run's compilation cache shares it
between workers), whichever module asks first.
"""

from __future__ import annotations

import functools
import inspect

import jax
import jax.numpy as jnp
import numpy as np

import jaxkl

# Parameters that are counts, not differentiable.
NON_DIFF = {"total_count"}

BATCH = 16  # rows of every compiled call (parameter points, or difference stencils)


def make(cls, params, dtype=np.float64):
    return cls(**{k: (v if k in NON_DIFF else jnp.asarray(v, dtype)) for k, v in params.items()})


def split(params, dtype=np.float64):
    diff = {k: jnp.asarray(v, dtype) for k, v in params.items() if k not in NON_DIFF}
    fixed = {k: jnp.asarray(v) for k, v in params.items() if k in NON_DIFF}
    return diff, fixed


def kit(P, Q, dtype=np.float64, grads=True):
    """The pair's ``_kit`` (one per pair, dtype and ``grads``, however the arguments are spelled)."""
    return _kit(P, Q, np.dtype(dtype).type, bool(grads))


@functools.cache
def _kit(P, Q, dtype, grads):
    """One compiled program per (pair, dtype), on batches of ``BATCH`` parameter points: the
    batched KL, the KL vmapped over the points, and the vmapped gradient with respect to
    every differentiable parameter of both distributions (``None`` without ``grads``)."""

    def f(a, b, fixed_a, fixed_b):
        return jaxkl.kl_divergence(make(P, {**a, **fixed_a}, dtype), make(Q, {**b, **fixed_b}, dtype))

    def run(a, b, fixed_a, fixed_b):
        batched = f(a, b, fixed_a, fixed_b)
        if not grads:
            return batched, jax.vmap(f)(a, b, fixed_a, fixed_b), None
        # the vmapped values come from the gradient's own forward pass (one forward graph
        # fewer to compile than a separate vmap(f): about a third of the program's compile time)
        vmapped, g = jax.vmap(jax.value_and_grad(f, argnums=(0, 1)))(a, b, fixed_a, fixed_b)
        return batched, vmapped, g

    compiled = jax.jit(run)

    def call(pb, qb):
        """(batched KL, vmapped KL, (grads wrt p's, q's parameters)) of the stacked parameters."""
        (a, fa), (b, fb) = split(pb, dtype), split(qb, dtype)
        return jax.tree.map(np.asarray, compiled(a, b, fa, fb))

    return call


def positional_names(cls, n):
    """The names of the first ``n`` constructor arguments of ``cls``."""
    return list(inspect.signature(cls).parameters)[:n]


# Pairs whose lower-precision gradients a module tests (registered when it is imported, as
# every xdist worker imports every module): their values in that precision then come from the
# same program as the gradients, not from a second, value-only one.
_LOW_PRECISION_GRADS: set = set()


def low_precision_gradients(pairs):
    """Register (P, Q) pairs whose float32 gradients are tested (see ``values_grads``)."""
    _LOW_PRECISION_GRADS.update(pairs)


def values_grads(P, Q, dtype=np.float64):
    """Whether the pair's ``dtype`` program carries gradients: always in float64, for
    same-family pairs and for registered pairs; not for other pairs in lower precision
    (where only values are tested)."""
    return P is Q or np.dtype(dtype) == np.float64 or (P, Q) in _LOW_PRECISION_GRADS


def call_rows(P, Q, pb, qb, dtype=np.float64, grads=True):
    """``kit``'s outputs on stacked parameters of any length n (dicts of [n, ...] arrays), in
    ``BATCH``-row calls, the last one padded with copies of its first row; trimmed to n."""
    n = len(next(iter(pb.values())))
    outs = []
    for start in range(0, n, BATCH):
        stop = min(start + BATCH, n)
        pad = [start] * (BATCH - (stop - start))
        idx = np.r_[start:stop, pad].astype(int)
        outs.append(
            kit(P, Q, dtype, grads)(
                {k: np.asarray(v)[idx] for k, v in pb.items()}, {k: np.asarray(v)[idx] for k, v in qb.items()}
            )
        )
    return jax.tree.map(lambda *parts: np.concatenate(parts)[:n], *outs)


def _over_flat(P, Q, points, n_p, dtype, grads, names):
    """``call_rows`` on flat parameter vectors (p's ``n_p`` parameters, then q's); and the
    parameter names of p and q."""
    if names is None:
        names = positional_names(P, n_p) + positional_names(Q, len(points[0]) - n_p)
    names_p, names_q = list(names[:n_p]), list(names[n_p:])
    x = np.asarray(points, np.float64)
    pb = {k: x[:, i] for i, k in enumerate(names_p)}
    qb = {k: x[:, n_p + i] for i, k in enumerate(names_q)}
    return call_rows(P, Q, pb, qb, dtype, grads), names_p, names_q


def kl_rows(P, Q, points, n_p, dtype=np.float64, names=None):
    """The batched KL and its gradient at each of ``points`` (flat parameter vectors: p's
    ``n_p`` parameters, then q's), through ``kit``. ``names`` are the parameter names of p and
    q in that order (by default the constructors' first arguments).
    Returns (values [n], gradients [n, len(point)])."""
    (vals, _, (gp, gq)), names_p, names_q = _over_flat(P, Q, points, n_p, dtype, True, names)
    return vals, np.stack([gp[k] for k in names_p] + [gq[k] for k in names_q], 1)


def kl_values(P, Q, points, n_p, dtype=np.float64, names=None):
    """The batched KL at each of ``points`` (as in ``kl_rows``), through the same program as
    the registry table's non-negativity test (with or without gradients as ``values_grads``
    decides)."""
    return _over_flat(P, Q, points, n_p, dtype, values_grads(P, Q, dtype), names)[0][0]


FD_H = 1e-6  # relative step of the central differences


def check_gradients(P, Q, points, n_p, names=None, rtol=1e-5):
    """The float64 gradient of the KL at each of ``points`` (as in ``kl_rows``) against
    central differences x ± h·max(1, |x_i|)·e_i of its value, all from the pair's ``kit``."""
    x = np.asarray(points, np.float64)
    n, k = x.shape
    steps = FD_H * np.maximum(1.0, np.abs(x))  # [n, k]
    rows = []
    for j in range(n):
        for i in range(k):
            for sgn in (1.0, -1.0):
                y = x[j].copy()
                y[i] += sgn * steps[j, i]
                rows.append(y)
    vals, grads = kl_rows(P, Q, np.concatenate([x, np.asarray(rows)]), n_p, names=names)
    at, fd = vals[:n], vals[n:].reshape(n, k, 2)
    assert np.all(np.isfinite(at)) and np.all(np.isfinite(grads[:n])), (at, grads[:n])
    numeric = (fd[..., 0] - fd[..., 1]) / (2.0 * steps)
    for j in range(n):
        np.testing.assert_allclose(grads[j], numeric[j], rtol=rtol, atol=1e-6 * max(1.0, abs(float(at[j]))))
