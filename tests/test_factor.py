"""jaxkl._factor: the XLA formulations of Cholesky, triangular inverse/solve and log|det|
against NumPy (float64), their NaN behaviour, and their derivatives against jax.numpy's
LAPACK-based ones (forward, reverse, second order)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxkl import _factor

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)

# (batch, n): batches below _factor.UNROLL_BATCH take the looped leaves, larger ones the
# unrolled leaves; n > _factor._LEAF exercises the blocked recursion (odd sizes included).
SHAPES = [(3, 1), (3, 13), (2, 40), (_factor.UNROLL_BATCH, 11)]


def _spd(rng, batch, n, ridge=0.3):
    a = rng.standard_normal((batch, n, n))
    return a @ np.swapaxes(a, -1, -2) / n + ridge * np.eye(n)


_chol = jax.jit(_factor.cholesky_xla)
_inv = jax.jit(_factor.tril_inverse_xla)
_logdet = jax.jit(_factor._logabsdet_xla)
_solve = jax.jit(lambda l, b: (_factor._tril_solve_xla(l, b, False), _factor._tril_solve_xla(l, b, True)))


@pytest.mark.parametrize("batch,n", SHAPES)
def test_values_against_numpy(rng, batch, n):
    a = _spd(rng, batch, n)
    l_ref = np.linalg.cholesky(a)
    l = np.asarray(_chol(jnp.asarray(a)))
    np.testing.assert_allclose(l, l_ref, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(np.asarray(_inv(jnp.asarray(l_ref))), np.linalg.inv(l_ref), rtol=1e-11, atol=1e-12)
    b = rng.standard_normal((batch, n, 3))
    x, xt = _solve(jnp.asarray(l_ref), jnp.asarray(b))
    np.testing.assert_allclose(np.asarray(x), np.linalg.solve(l_ref, b), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(xt), np.linalg.solve(np.swapaxes(l_ref, -1, -2), b), rtol=1e-10, atol=1e-12)
    m = rng.standard_normal((batch, n, n))
    np.testing.assert_allclose(np.asarray(_logdet(jnp.asarray(m))), np.linalg.slogdet(m)[1], rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("batch", [2, _factor.UNROLL_BATCH])
def test_not_positive_definite_gives_nans_and_upper_triangle_is_ignored(rng, batch):
    a = _spd(rng, batch, 6)
    a[0, 3, 3] = -1.0  # the first matrix is indefinite
    l = np.asarray(_chol(jnp.asarray(a)))
    assert np.all(np.isnan(l[0])) and np.all(np.isfinite(l[1:]))
    # the symmetrized input is factored, as jnp.linalg.cholesky does
    skew = rng.standard_normal((batch, 6, 6)) * 1e-3
    a = _spd(rng, batch, 6)
    np.testing.assert_allclose(
        np.asarray(_chol(jnp.asarray(a + skew))), np.linalg.cholesky(a + 0.5 * (skew + np.swapaxes(skew, -1, -2)))
    )
    lower = np.linalg.cholesky(a)
    junk = lower + np.triu(rng.standard_normal((6, 6)), 1)
    np.testing.assert_allclose(np.asarray(_inv(jnp.asarray(junk))), np.linalg.inv(lower), rtol=1e-11, atol=1e-12)


def test_derivatives_match_jax_numpy(rng):
    a = jnp.asarray(_spd(rng, 2, 11, ridge=2.0))  # n > _LEAF: blocked
    v = jnp.asarray(rng.standard_normal(a.shape))

    def ours(a):
        l = _factor.cholesky_xla(a)
        return jnp.sum(jnp.sin(_factor.tril_inverse_xla(l))) + jnp.sum(jnp.log(jnp.diagonal(l, axis1=-2, axis2=-1)))

    def lapack(a):
        l = jnp.linalg.cholesky(a)
        return jnp.sum(jnp.sin(_factor._tril_inverse_lapack(l))) + jnp.sum(jnp.log(jnp.diagonal(l, axis1=-2, axis2=-1)))

    def derivatives(f):
        return jax.jit(lambda a, v: (jax.grad(f)(a), jax.jvp(f, (a,), (v,))[1], jax.jvp(jax.grad(f), (a,), (v,))[1]))

    for got, want in zip(derivatives(ours)(a, v), derivatives(lapack)(a, v)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-11)
    check_grads(jax.jit(ours), (a,), order=1, modes=("fwd", "rev"), rtol=1e-4)
    m = jnp.asarray(rng.standard_normal((2, 7, 7)))
    np.testing.assert_allclose(
        jax.grad(lambda m: jnp.sum(_factor._logabsdet_xla(m)))(m),
        jax.grad(lambda m: jnp.sum(jnp.linalg.slogdet(m)[1]))(m),
        rtol=1e-10,
    )


def test_vmap_matches_batched(rng):
    a = jnp.asarray(_spd(rng, 6, 9))
    np.testing.assert_allclose(jax.vmap(_factor.cholesky)(a), _chol(a), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(jax.vmap(_factor.tril_inverse)(_chol(a)), _inv(_chol(a)), rtol=1e-12, atol=1e-13)


def test_public_entry_points_promote_dtypes(rng):
    """Mixed float32/float64 operands and integer matrices promote as jnp.linalg does, on
    both formulations (the LAPACK one rejects mixed dtypes unless promoted first)."""
    l32 = jnp.asarray(np.linalg.cholesky(_spd(rng, 2, 3)), jnp.float32)
    b64 = jnp.asarray(rng.standard_normal((2, 3, 1)))
    x = jax.jit(_factor.tril_solve)(l32, b64)
    assert x.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(x), np.linalg.solve(np.asarray(l32, np.float64), b64), rtol=1e-6)
    eye = jnp.eye(3, dtype=jnp.int32)
    for fn in (_factor.cholesky, _factor.tril_inverse):
        out = jax.jit(fn)(eye)
        assert jnp.issubdtype(out.dtype, jnp.floating)
        np.testing.assert_array_equal(np.asarray(out), np.eye(3))
    assert float(jax.jit(_factor.logabsdet)(2 * eye)) == pytest.approx(3 * np.log(2.0))
