"""rel_entr, kl_div, entr against scipy.special, mpmath, and their gradients."""

import itertools

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.special as sp
from jax.test_util import check_grads

import jaxkl

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)

SPECIAL = [0.0, -0.0, np.nan, np.inf, -np.inf, -1.0, -1e-300, 1.0, 0.5, 2.0, 1e-30, 1e30, 3.0000001]


def _subnormals(dtype):
    tiny = np.finfo(dtype).smallest_subnormal
    return [tiny, 3 * tiny, np.finfo(dtype).tiny / 4, -tiny]


def _grid(dtype):
    with np.errstate(over="ignore"):
        v = np.array(SPECIAL + _subnormals(dtype), dtype)
    return np.meshgrid(v, v, indexing="ij")


def _ref_exact(f, x, y):
    """50-digit value of the generic branch x > 0, y > 0 (finite)."""
    with mpmath.workdps(50):
        xm, ym = mpmath.mpf(float(x)), mpmath.mpf(float(y))
        val = xm * mpmath.log(xm / ym)
        if f == "kl_div":
            val = val - xm + ym
        return float(val)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["rel_entr", "kl_div"])
def test_special_values_match_scipy(name, dtype):
    x, y = _grid(dtype)
    ours = np.asarray(jax.jit(getattr(jaxkl, name))(x, y))
    assert ours.dtype == dtype
    with np.errstate(all="ignore"):
        ref = getattr(sp, name)(x, y)
    generic = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
    # Outside the generic branch (0, -0, inf, nan, negatives): scipy's value exactly.
    np.testing.assert_array_equal(ours[~generic], ref[~generic])
    # Generic branch: the correctly rounded value of the same inputs. scipy agrees
    # except where its own x/y over- or underflows (kl_div(1, 1e-320) is inf in scipy).
    for xi, yi, oi in zip(x[generic], y[generic], ours[generic]):
        exact = _ref_exact(name, xi, yi)
        with np.errstate(over="ignore"):
            exact_rounded = dtype(exact)
        np.testing.assert_allclose(oi, exact_rounded, rtol=8 * np.finfo(dtype).eps, atol=0, err_msg=f"{xi}, {yi}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_rel_entr_equals_scipy_on_subnormals_and_everywhere(dtype):
    x, y = _grid(dtype)
    ours = np.asarray(jaxkl.rel_entr(x, y))
    with np.errstate(all="ignore"):
        ref = sp.rel_entr(x, y)
    np.testing.assert_allclose(ours, ref, rtol=4 * np.finfo(dtype).eps, atol=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_entr_matches_scipy(dtype):
    with np.errstate(over="ignore"):
        v = np.array(SPECIAL + _subnormals(dtype), dtype)
    ours = np.asarray(jax.jit(jaxkl.entr)(v))
    np.testing.assert_allclose(ours, sp.entr(v), rtol=4 * np.finfo(dtype).eps, atol=0)


def test_kl_div_where_scipy_overflows_is_exact():
    # scipy: inf, -inf and 0 here; the exact values are finite and positive.
    x = np.array([1e300, 1.0, 5e-324, 1.0])
    y = np.array([1e-300, 5e-324, 1e300, 1.0 + 1e-12])
    ours = np.asarray(jaxkl.kl_div(x, y))
    ref = [_ref_exact("kl_div", a, b) for a, b in zip(x, y)]
    np.testing.assert_allclose(ours, ref, rtol=1e-14)
    assert np.all(ours > 0)


@pytest.mark.parametrize("rel", [1e-3, 1e-6, 1e-9, 1e-12])
@pytest.mark.parametrize("name", ["rel_entr", "kl_div"])
def test_near_equal_relative_accuracy(name, rel):
    x = np.linspace(0.1, 3.0, 7)
    y = x * (1 + rel * np.linspace(-1, 1, 7) + rel / 3)
    ours = np.asarray(getattr(jaxkl, name)(x, y))
    ref = np.array([_ref_exact(name, a, b) for a, b in zip(x, y)])
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=0)


SHAPES = [((), ()), ((7,), (7,)), ((3, 1), (1, 4)), ((2, 3, 5), (5,))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["rel_entr", "kl_div"])
def test_interior_table_jit_and_grads(name, dtype, shapes, rng):
    x = rng.uniform(0.05, 2.0, shapes[0]).astype(dtype)
    y = rng.uniform(0.05, 2.0, shapes[1]).astype(dtype)
    f = getattr(jaxkl, name)
    out = jax.jit(f)(x, y)
    assert out.shape == np.broadcast_shapes(x.shape, y.shape) and out.dtype == dtype
    # Reference: scipy in float64 for rel_entr; mpmath for kl_div, where scipy's own
    # x·log(x/y) − x + y cancels where x ≈ y.
    xb, yb = np.broadcast_arrays(x.astype(np.float64), y.astype(np.float64))
    if name == "rel_entr":
        ref = sp.rel_entr(xb, yb)
    else:
        ref = np.vectorize(lambda a, b: _ref_exact(name, a, b))(xb, yb)
    np.testing.assert_allclose(out, ref, rtol=8 * np.finfo(dtype).eps, atol=1e-30)
    np.testing.assert_allclose(f(x, y), out, rtol=8 * np.finfo(dtype).eps)
    if dtype == np.float64:
        # Second order on one shape; first order (the broadcast reductions) on the others.
        check_grads(jax.jit(f), (x, y), order=2 if shapes == ((7,), (7,)) else 1, modes=["fwd", "rev"])


def test_entr_grads(rng):
    x = rng.uniform(0.05, 2.0, (4, 3))
    check_grads(jax.jit(jaxkl.entr), (x,), order=2, modes=["fwd", "rev"])


def test_gradients_at_boundaries_are_finite_and_documented():
    x = jnp.array([0.0, 0.0, 0.0, 0.5, 1.0])
    y = jnp.array([0.0, 1.0, 2.0, 0.5, 1.0])
    gx, gy = jax.grad(lambda x, y: jnp.sum(jaxkl.rel_entr(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0, 1.0, 1.0])  # log(x/y) + 1, 0 at x = 0
    np.testing.assert_array_equal(gy, [0.0, 0.0, 0.0, -1.0, -1.0])  # -x/y, 0 at x = 0
    gx, gy = jax.grad(lambda x, y: jnp.sum(jaxkl.kl_div(x, y)), argnums=(0, 1))(x, y)
    np.testing.assert_array_equal(gx, [0.0, 0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(gy, [1.0, 1.0, 1.0, 0.0, 0.0])
    g = jax.grad(lambda x: jnp.sum(jaxkl.entr(x)))(jnp.array([0.0, 1.0]))
    np.testing.assert_array_equal(g, [0.0, -1.0])


def test_gradients_never_nan_where_value_finite():
    x, y = _grid(np.float64)
    x, y = jnp.asarray(x.ravel()), jnp.asarray(y.ravel())
    for f in (jaxkl.rel_entr, jaxkl.kl_div):
        vals = f(x, y)
        gx, gy = jax.grad(lambda x, y: jnp.sum(jnp.where(jnp.isfinite(f(x, y)), f(x, y), 0.0)), argnums=(0, 1))(x, y)
        finite = np.isfinite(np.asarray(vals))
        assert not np.any(np.isnan(np.asarray(gx)[finite])) and not np.any(np.isnan(np.asarray(gy)[finite]))
        # Masking the non-finite values with an outer where leaves no NaN anywhere.
        assert not np.any(np.isnan(np.asarray(gx))) and not np.any(np.isnan(np.asarray(gy)))


def test_vmap_equals_batched(rng):
    x = rng.uniform(0.0, 2.0, (5, 6))
    y = rng.uniform(0.0, 2.0, (5, 6))
    for f in (jaxkl.rel_entr, jaxkl.kl_div):
        np.testing.assert_array_equal(jax.vmap(f)(x, y), f(x, y))
    np.testing.assert_array_equal(jax.vmap(jaxkl.entr)(x), jaxkl.entr(x))


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bfloat16", "float16"])
def test_half_precision_computes_in_float32(dtype):
    x = jnp.array([0.25, 0.5, 0.75], dtype)
    y = jnp.array([0.5, 0.5, 0.25], dtype)
    out = jaxkl.rel_entr(x, y)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, sp.rel_entr(np.float32(x), np.float32(y)), rtol=1e-6)


def test_integers_promote_and_complex_is_rejected():
    out = jaxkl.rel_entr(np.array([1, 2]), np.array([2, 1]))
    assert out.dtype == jnp.result_type(float)
    np.testing.assert_allclose(out, sp.rel_entr([1, 2], [2, 1]))
    with pytest.raises(TypeError, match="`x` must be real"):
        jaxkl.rel_entr(np.array([1 + 1j]), 1.0)
    with pytest.raises(TypeError, match="`x` must be real"):
        jaxkl.entr(np.array([1j]))


def test_all_sign_combinations_of_zero():
    for x, y in itertools.product([0.0, -0.0], [0.0, -0.0, 1.0]):
        assert float(jaxkl.rel_entr(x, y)) == sp.rel_entr(x, y)
        assert float(jaxkl.kl_div(x, y)) == sp.kl_div(x, y)
