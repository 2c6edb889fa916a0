"""MultivariateNormal, LowRankMultivariateNormal, MultivariateNormalDiag, Independent:
log_prob/entropy/mean/variance against scipy.stats, samples, shapes, pytrees."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

from jaxkl.distributions import (
    LowRankMultivariateNormal,
    MultivariateNormal,
    MultivariateNormalDiag,
)

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)

D = 3
TOL = {np.float64: 1e-12, np.float32: 2e-5}


def _cov(rng):
    x = rng.normal(size=(D, 2 * D))
    return x @ x.T / D + 0.1 * np.eye(D)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("param", ["covariance_matrix", "precision_matrix", "scale_tril", "lowrank", "diag"])
def test_vs_scipy(rng, dtype, param):
    mu, cov = rng.normal(size=D), _cov(rng)
    if param == "lowrank":
        w, dg = rng.normal(size=(D, 2)), rng.uniform(0.5, 2, D)
        cov = w @ w.T + np.diag(dg)
        d = LowRankMultivariateNormal(mu.astype(dtype), w.astype(dtype), dg.astype(dtype))
    elif param == "diag":
        s = rng.uniform(0.5, 2, D)
        cov = np.diag(s * s)
        d = MultivariateNormalDiag(mu.astype(dtype), s.astype(dtype))
    else:
        given = {
            "covariance_matrix": cov,
            "precision_matrix": np.linalg.inv(cov),
            "scale_tril": np.linalg.cholesky(cov),
        }
        d = MultivariateNormal(mu.astype(dtype), **{param: given[param].astype(dtype)})
    ref = st.multivariate_normal(mu, cov)
    x = rng.normal(size=(5, D))
    tol = TOL[dtype] if dtype == np.float32 else 1e-10
    lp = jax.jit(lambda d, x: d.log_prob(x))(d, x.astype(dtype))
    assert lp.dtype == dtype and lp.shape == (5,)
    np.testing.assert_allclose(lp, ref.logpdf(x), rtol=tol)
    np.testing.assert_allclose(d.entropy(), ref.entropy(), rtol=tol)
    np.testing.assert_allclose(d.mean, mu, rtol=tol)
    np.testing.assert_allclose(d.variance, np.diag(cov), rtol=tol * 10)
    np.testing.assert_allclose(d.covariance_matrix, cov, rtol=tol * 10, atol=tol * 10)
    np.testing.assert_allclose(d.precision_matrix, np.linalg.inv(cov), rtol=tol * 100, atol=tol * 100)
    lt = d.scale_tril
    np.testing.assert_allclose(lt @ np.swapaxes(lt, -1, -2), cov, rtol=tol * 10, atol=tol * 10)
    assert d.batch_shape == () and d.event_shape == (D,)


@pytest.mark.parametrize("param", ["covariance_matrix", "lowrank", "diag"])
def test_sample_moments_and_grad(rng, param):
    mu, cov = rng.normal(size=D), _cov(rng)
    if param == "lowrank":
        w, dg = rng.normal(size=(D, 1)), rng.uniform(0.5, 2, D)
        make = lambda m: LowRankMultivariateNormal(m, w, dg)  # noqa: E731
        cov = w @ w.T + np.diag(dg)
    elif param == "diag":
        s = rng.uniform(0.5, 2, D)
        make = lambda m: MultivariateNormalDiag(m, s)  # noqa: E731
        cov = np.diag(s * s)
    else:
        make = lambda m: MultivariateNormal(m, covariance_matrix=cov)  # noqa: E731
    x = make(mu).sample(jax.random.key(0), (20000,))
    assert x.shape == (20000, D)
    np.testing.assert_allclose(x.mean(0), mu, atol=0.05)
    np.testing.assert_allclose(np.cov(np.asarray(x).T), cov, atol=0.1)
    g = jax.grad(lambda m: make(m).sample(jax.random.key(1)).sum())(mu)  # reparameterized
    np.testing.assert_allclose(g, np.ones(D))


def test_batch_shapes_pytree_and_errors(rng):
    covs = np.stack([_cov(rng) for _ in range(3)])
    d = MultivariateNormal(rng.normal(size=(4, 1, D)), covariance_matrix=covs)
    assert d.batch_shape == (4, 3) and d.event_shape == (D,)
    assert d.log_prob(np.zeros(D)).shape == (4, 3)
    assert d.sample(jax.random.key(0), (2,)).shape == (2, 4, 3, D)
    leaves, tree = jax.tree.flatten(d)
    d2 = jax.tree.unflatten(tree, leaves)
    np.testing.assert_allclose(d2.entropy(), d.entropy())
    lp = jax.vmap(lambda c: MultivariateNormal(jnp.zeros(D), covariance_matrix=c).log_prob(jnp.ones(D)))(covs)
    ref = [st.multivariate_normal(np.zeros(D), c).logpdf(np.ones(D)) for c in covs]
    np.testing.assert_allclose(lp, ref, rtol=1e-10)
    with pytest.raises(ValueError, match="exactly one"):
        MultivariateNormal(np.zeros(D), covariance_matrix=covs[0], scale_tril=covs[0])
    with pytest.raises(ValueError, match=r"\[\.\.\., 3, 3\]"):
        MultivariateNormal(np.zeros(D), covariance_matrix=np.eye(2))
    with pytest.raises(ValueError, match="cov_factor"):
        LowRankMultivariateNormal(np.zeros(D), np.ones((2, 1)), np.ones(D))
