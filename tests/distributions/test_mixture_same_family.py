"""MixtureSameFamily: log_prob, moments and samples against a direct numpy computation."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp
from tables import METHOD_RTOL, round_trip

from jaxkl.distributions import Categorical, Dirichlet, Gamma, MixtureSameFamily, Normal

GROUP = "multivariate"
FAMILY = MixtureSameFamily


def _of_components(base):
    """Each row of base Normals as the two components of a mixture."""
    comps = jax.tree.map(lambda v: jnp.broadcast_to(v[:, None], (v.shape[0], 2)), base)
    return MixtureSameFamily(Categorical(probs=jnp.array([0.3, 0.7])), comps)


def _of_weights(mixing):
    """Each row of a Categorical as the weights of four Normal components."""
    return MixtureSameFamily(mixing, Normal(jnp.array([-1.0, 0.0, 1.0, 2.0]), 1.0))


DOMAIN_WRAPS = [(Normal, _of_components), (Categorical, _of_weights)]


def _np_mixture_logpdf(w, comps, x):
    lp = np.stack([c.logpdf(x) for c in comps], axis=-1)
    return logsumexp(lp + np.log(w), axis=-1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_normal_components_vs_numpy(dtype):
    w = np.array([0.2, 0.5, 0.3])
    loc, scale = np.array([-2.0, 0.5, 3.0]), np.array([0.7, 1.0, 0.4])
    d = MixtureSameFamily(Categorical(probs=w.astype(dtype)), Normal(loc.astype(dtype), scale.astype(dtype)))
    assert d.batch_shape == () and d.event_shape == () and not d.reparameterized
    x = np.linspace(-5, 5, 11).astype(dtype)
    lp = jax.jit(lambda d, x: d.log_prob(x))(d, x)
    assert lp.dtype == dtype and lp.shape == (11,)
    comps = [stats.norm(m, s) for m, s in zip(loc, scale)]
    tol = METHOD_RTOL[dtype] * 10
    np.testing.assert_allclose(lp, _np_mixture_logpdf(w, comps, x.astype(np.float64)), rtol=tol)
    mean = np.sum(w * loc)
    var = np.sum(w * (scale**2 + loc**2)) - mean**2
    np.testing.assert_allclose(d.mean, mean, rtol=tol)
    np.testing.assert_allclose(d.variance, var, rtol=tol)
    s = jax.jit(lambda d, k: d.sample(k, (100_000,)))(d, jax.random.key(0))
    assert s.shape == (100_000,) and s.dtype == dtype
    np.testing.assert_allclose(np.mean(s), mean, atol=0.03)
    np.testing.assert_allclose(np.var(s), var, rtol=0.02)
    with pytest.raises(NotImplementedError):
        d.entropy()


def test_gamma_components_batched():
    logits = np.log(np.array([[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]]))  # batch 3, K = 2
    conc = np.array([[1.0, 4.0], [2.0, 0.5], [3.0, 3.0]])
    rate = np.broadcast_to(np.array([1.0, 2.0]), (3, 2))
    d = MixtureSameFamily(Categorical(logits=logits), Gamma(conc, rate))
    assert d.batch_shape == (3,)
    x = np.array([[0.5], [1.5]]) * np.ones(3)  # (2, 3)
    w = np.exp(logits)
    want = np.stack(
        [
            _np_mixture_logpdf(w[b], [stats.gamma(conc[b, k], scale=1 / rate[b, k]) for k in range(2)], x[:, b])
            for b in range(3)
        ],
        axis=-1,
    )
    np.testing.assert_allclose(d.log_prob(x), want, rtol=1e-12)
    m_k, v_k = conc / rate, conc / rate**2
    mean = np.sum(w * m_k, -1)
    np.testing.assert_allclose(d.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(d.variance, np.sum(w * (v_k + m_k**2), -1) - mean**2, rtol=1e-12)
    s = d.sample(jax.random.key(1), (20_000,))
    assert s.shape == (20_000, 3)
    np.testing.assert_allclose(s.mean(0), mean, rtol=0.04)
    # mixing batch broadcasts against a component batch without it
    d2 = MixtureSameFamily(Categorical(logits=logits), Gamma(np.array([1.0, 4.0]), 1.0))
    assert d2.batch_shape == (3,) and d2.sample(jax.random.key(2), (5,)).shape == (5, 3)
    # pytree: round trip, jit and vmap over the batch
    back = round_trip(d)
    np.testing.assert_allclose(back.log_prob(x), d.log_prob(x), rtol=1e-15)
    vm = jax.vmap(lambda d, v: d.log_prob(v))(d, x[0])
    np.testing.assert_allclose(vm, d.log_prob(x[0]), rtol=1e-14)
    # gradients of log_prob flow to every parameter
    g = jax.grad(lambda c: jnp.sum(MixtureSameFamily(Categorical(logits=logits), Gamma(c, rate)).log_prob(x)))(conc)
    assert bool(jnp.all(jnp.isfinite(g)))
    with pytest.raises(ValueError, match="3 categories"):
        MixtureSameFamily(Categorical(probs=np.ones(3) / 3), Gamma(conc, rate))
    with pytest.raises(TypeError):
        MixtureSameFamily(Normal(0.0, 1.0), Gamma(conc, rate))


def test_multivariate_components():
    """Vector events: Dirichlet components (and MultivariateNormal where that module exists)."""
    alpha = np.array([[1.0, 2.0, 3.0], [4.0, 1.0, 1.0]])
    d = MixtureSameFamily(Categorical(probs=[0.4, 0.6]), Dirichlet(alpha))
    assert d.batch_shape == () and d.event_shape == (3,)
    x = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    want = _np_mixture_logpdf(np.array([0.4, 0.6]), [stats.dirichlet(a) for a in alpha], x.T)
    np.testing.assert_allclose(d.log_prob(x), want, rtol=1e-12)
    means = alpha / alpha.sum(-1, keepdims=True)
    mean = 0.4 * means[0] + 0.6 * means[1]
    np.testing.assert_allclose(d.mean, mean, rtol=1e-12)
    s = d.sample(jax.random.key(0), (20_000,))
    assert s.shape == (20_000, 3)
    np.testing.assert_allclose(s.mean(0), mean, atol=0.01)
    np.testing.assert_allclose(s.var(0), d.variance, rtol=0.06)
    mvn = pytest.importorskip("jaxkl.distributions.multivariate_normal")
    locs = np.array([[0.0, 1.0], [2.0, -1.0]])
    covs = np.stack([np.eye(2), np.array([[2.0, 0.3], [0.3, 0.5]])])
    m = MixtureSameFamily(Categorical(probs=[0.3, 0.7]), mvn.MultivariateNormal(locs, covariance_matrix=covs))
    pts = np.array([[0.5, 0.5], [1.0, -2.0]])
    comps = [stats.multivariate_normal(mu, c) for mu, c in zip(locs, covs)]
    np.testing.assert_allclose(m.log_prob(pts), _np_mixture_logpdf(np.array([0.3, 0.7]), comps, pts), rtol=1e-12)
    assert m.sample(jax.random.key(1), (4,)).shape == (4, 2)
