"""knn_kl: brute-force equality, duplicates, tiling, jit/vmap, dtypes, convergence, memory."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy.special import digamma

from jaxkl.sample_based import knn_kl


def brute_knn_kl(x, y, k=1, l=None, duplicates="exclude"):
    """Full-matrix float64 reference: distances from difference vectors, sorted per row."""
    l = k if l is None else l
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    (n, d), m = x.shape, y.shape[0]
    dxx = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    dxy = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
    if duplicates == "exclude":
        dxx[(x[:, None, :] == x[None, :, :]).all(-1)] = np.inf
        dxy[(x[:, None, :] == y[None, :, :]).all(-1)] = np.inf
    else:
        np.fill_diagonal(dxx, np.inf)
    rho = np.sort(dxx, axis=1)[:, k - 1]
    nu = np.sort(dxy, axis=1)[:, l - 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        return d * np.mean(np.log(nu) - np.log(rho)) + digamma(k) - digamma(l) + np.log(m / (n - 1))


def gauss_kl(m1, s1, m2, s2):
    """KL(N(m1, s1) ‖ N(m2, s2)), numpy."""
    d = len(m1)
    s2i = np.linalg.inv(s2)
    dm = m2 - m1
    return 0.5 * (np.trace(s2i @ s1) + dm @ s2i @ dm - d + np.linalg.slogdet(s2)[1] - np.linalg.slogdet(s1)[1])


@pytest.fixture
def xy(rng):
    return rng.normal(size=(61, 3)), rng.normal(size=(47, 3)) + 0.4


@pytest.mark.parametrize("k,l", [(1, None), (2, 5), (4, 1)], ids=["k1", "k2l5", "k4l1"])
def test_matches_brute_force_float64(xy, k, l):
    x, y = xy
    want = brute_knn_kl(x, y, k, l)
    got = knn_kl(x, y, k=k, l=l)
    assert got.dtype == jnp.float64
    np.testing.assert_allclose(float(got), want, rtol=1e-12)


@pytest.mark.parametrize("tile_size", [12, (7, 2), (1, 100), 2**22])
def test_tiling_invariance(xy, tile_size):
    x, y = xy
    np.testing.assert_allclose(float(knn_kl(x, y, k=2, tile_size=tile_size)), brute_knn_kl(x, y, 2), rtol=1e-12)


@pytest.mark.parametrize("tile_size,k", [((16, 256), 1), ((5, 128), 3)])
def test_two_stage_selection_path(rng, tile_size, k):
    # Wide tiles (a multiple of 32 columns, ≥ 32·candidates) take the grouped top-k path.
    x, y = rng.normal(size=(300, 4)), rng.standard_t(5, size=(270, 4))
    if True:
        np.testing.assert_allclose(float(knn_kl(x, y, k=k, tile_size=tile_size)), brute_knn_kl(x, y, k), rtol=1e-12)


def test_float32_and_low_precision(xy):
    x, y = (a.astype(np.float32) for a in xy)
    want = brute_knn_kl(x, y, 2)  # float64 reference at the float32-rounded inputs
    got = knn_kl(x, y, k=2)
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(float(got), want, rtol=2e-5)
    got16 = knn_kl(x.astype(jnp.bfloat16), y.astype(jnp.bfloat16), k=2)
    assert got16.dtype == jnp.float32
    np.testing.assert_allclose(
        float(got16), brute_knn_kl(x.astype(jnp.bfloat16).astype(np.float64), y.astype(jnp.bfloat16), 2), rtol=1e-4
    )


def test_near_points_are_exact(rng):
    # A tight cluster far from the origin: ‖a‖² + ‖b‖² − 2a·b on the raw data would cancel
    # to nothing; centring and the exact re-ranking keep full precision.
    off = np.array([1e4, -3e4, 2e4])
    x = off + 1e-5 * rng.normal(size=(60, 3))
    y = off + 1e-5 * rng.normal(size=(50, 3)) + 3e-6
    f = jax.jit(knn_kl)
    np.testing.assert_allclose(float(f(x, y)), brute_knn_kl(x, y, 1), rtol=1e-9)
    x32, y32 = (
        (off + 1e-2 * rng.normal(size=(60, 3))).astype(np.float32),
        (off + 1e-2 * rng.normal(size=(50, 3))).astype(np.float32),
    )
    np.testing.assert_allclose(float(f(x32, y32)), brute_knn_kl(x32, y32, 1), rtol=1e-5)


def test_duplicates_exclude_policy(rng):
    # Data on a coarse grid: many exact duplicates within x and between x and y.
    x = rng.integers(0, 6, size=(80, 2)).astype(np.float64) + 0.25 * rng.integers(0, 2, size=(80, 2))
    y = rng.integers(0, 6, size=(70, 2)).astype(np.float64)
    x[0] = [-0.0, 0.0]
    x[1] = [0.0, -0.0]  # −0.0 and 0.0 are the same point
    for k in (2,):
        got = float(knn_kl(x, y, k=k))
        assert np.isfinite(got)
        np.testing.assert_allclose(got, brute_knn_kl(x, y, k), rtol=1e-12)
        np.testing.assert_allclose(float(knn_kl(x.astype(np.float32), y.astype(np.float32), k=k)), got, rtol=1e-5)
    # "keep": the formula as written, zero distances give ±inf.
    keep = float(knn_kl(x, y, duplicates="keep"))
    np.testing.assert_equal(keep, brute_knn_kl(x, y, 1, duplicates="keep"))
    assert not np.isfinite(keep)
    # KL of a sample against itself: ρ = ν for every point, only log(n / (n − 1)) remains.
    z = rng.normal(size=(50, 3))
    np.testing.assert_allclose(float(knn_kl(z, z)), np.log(50 / 49), rtol=1e-12)


def test_keep_policy_without_ties_matches(xy):
    x, y = xy
    np.testing.assert_allclose(float(knn_kl(x, y, k=3, duplicates="keep")), brute_knn_kl(x, y, 3), rtol=1e-12)


def test_jit_vmap_grad(xy, rng):
    x, y = xy
    f = jax.jit(functools.partial(knn_kl, k=2, tile_size=(8, 16)))
    np.testing.assert_allclose(float(f(x, y)), brute_knn_kl(x, y, 2), rtol=1e-12)
    xs = rng.normal(size=(3, 30, 2))
    ys = rng.normal(size=(3, 25, 2)) + 0.3
    got = jax.jit(jax.vmap(lambda a, b: knn_kl(a, b, k=2)))(xs, ys)
    np.testing.assert_allclose(np.asarray(got), [brute_knn_kl(a, b, 2) for a, b in zip(xs, ys)], rtol=1e-12)
    # The estimate is smooth in the points away from ties of the neighbour selection.
    check_grads(lambda a, b: knn_kl(a, b, k=2), (x[:20], y[:15]), order=1, modes=["rev"], eps=1e-6)


def test_validation():
    x, y = np.zeros((5, 3)), np.ones((4, 2))
    with pytest.raises(ValueError, match=r"\(5, 3\).*\(4, 2\)"):
        knn_kl(x, y)
    with pytest.raises(ValueError, match="2-d"):
        knn_kl(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="n >= k"):
        knn_kl(np.zeros((3, 2)), np.ones((9, 2)), k=3)
    with pytest.raises(ValueError, match="m >= l"):
        knn_kl(np.zeros((9, 2)), np.ones((2, 2)), k=3)
    with pytest.raises(ValueError, match="duplicates"):
        knn_kl(np.zeros((9, 2)), np.ones((9, 2)), duplicates="clamp")
    with pytest.raises(TypeError, match="`k`"):
        knn_kl(np.zeros((9, 2)), np.ones((9, 2)), k=1.0)
    with pytest.raises(ValueError, match="`k`"):
        knn_kl(np.zeros((9, 2)), np.ones((9, 2)), k=0)


def _replicates(rng, n, reps, d, shift, var):
    x = rng.normal(size=(reps, n, d)).astype(np.float32)
    y = (np.sqrt(var) * rng.normal(size=(reps, n, d)) + shift).astype(np.float32)
    est = np.asarray(jax.jit(jax.vmap(knn_kl))(x, y), np.float64)
    return est.mean(), est.std(ddof=1) / np.sqrt(reps), est


def test_converges_to_gaussian_kl_2d(rng):
    d, shift, var = 2, 0.5, 1.5
    true = gauss_kl(np.zeros(d), np.eye(d), np.full(d, shift), var * np.eye(d))  # 0.2388
    rmse = {}
    for n, reps in ((1000, 8), (10000, 4)):
        mean, se, est = _replicates(rng, n, reps, d, shift, var)
        assert abs(mean - true) <= 4 * se + 0.01, (n, mean, se, true)
        rmse[n] = np.sqrt(np.mean((est - true) ** 2))
    assert rmse[10000] < 0.75 * rmse[1000], rmse


def test_converges_to_gaussian_kl_5d(rng):
    # In 5-d the finite-n bias of the 1-NN estimator is several standard errors at
    # n = 1e4 (it shrinks like n^{-1/d}); the test asserts that the error shrinks.
    d, shift, var = 5, 0.5, 1.0
    true = gauss_kl(np.zeros(d), np.eye(d), np.full(d, shift), var * np.eye(d))  # 0.625
    err = {}
    for n, reps in ((1000, 8), (10000, 2)):
        mean, se, est = _replicates(rng, n, reps, d, shift, var)
        err[n] = np.sqrt(np.mean((est - true) ** 2))
    assert err[10000] < 0.7 * err[1000], err
    assert err[10000] < 0.15 * true, err


def test_memory_at_scale():
    # n = m = 1e5, d = 64: never an [n, m] matrix (that would be 37 GiB in float32).
    s = jax.ShapeDtypeStruct((100_000, 64), jnp.float32)
    mem = jax.jit(knn_kl).lower(s, s).compile().memory_analysis()
    tile_bytes = 2**22 * 4
    inputs = 2 * 100_000 * 64 * 4
    assert mem.temp_size_in_bytes < inputs + 4 * tile_bytes, mem.temp_size_in_bytes


def test_digamma_correction_for_different_orders(rng):
    # D = (d/n)Σ log(ν_l/ρ_k) + ψ(k) − ψ(l) + log(m/(n − 1)): with k ≠ l the estimate still
    # converges to the KL (a wrong sign of the ψ term would be off by 2|ψ(k) − ψ(l)| ≈ 2.5).
    d, n = 2, 20_000
    x = rng.normal(size=(n, d)).astype(np.float32)
    y = (1.3 * rng.normal(size=(n, d)) + 0.4).astype(np.float32)
    true = gauss_kl(np.zeros(d), np.eye(d), np.full(d, 0.4), 1.69 * np.eye(d))
    for k, l in ((1, 4), (4, 1)):
        assert abs(float(knn_kl(x, y, k=k, l=l)) - true) < 0.05, (k, l)
