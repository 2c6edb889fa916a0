"""Multivariate families: Dirichlet, Multinomial, Wishart, MixtureSameFamily.

log_prob/entropy/mean/variance against scipy.stats (float64 and float32), sample moments
and shapes (seeded, loose tolerance), jit/vmap and pytree round trips; the mixture
against a direct numpy computation.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from jaxkl.distributions import Categorical, Dirichlet, Gamma, MixtureSameFamily, Multinomial, Normal, Wishart
from jaxkl.distributions.wishart import multigammaln

RTOL = {np.float64: 1e-12, np.float32: 2e-5}


def _spd(rng, d, cond=5.0):
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    v = (q * np.exp(rng.uniform(0.0, np.log(cond), d))) @ q.T
    return 0.5 * (v + v.T)


def _round_trip(d):
    leaves, tree = jax.tree.flatten(d)
    back = jax.tree.unflatten(tree, leaves)
    assert type(back) is type(d) and back.batch_shape == d.batch_shape and back.event_shape == d.event_shape
    return back


# ---------------------------------------------------------------------- Dirichlet


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dirichlet_vs_scipy(dtype):
    rng = np.random.default_rng(0)
    alpha = np.exp(rng.uniform(-1, 3, (4, 5))).astype(dtype)
    x = np.stack([rng.dirichlet(a) for a in alpha.astype(np.float64)])
    x = (x / x.sum(-1, keepdims=True)).astype(dtype)
    d = Dirichlet(alpha)
    assert d.batch_shape == (4,) and d.event_shape == (5,)
    lp = jax.jit(lambda d, x: d.log_prob(x))(d, x)
    assert lp.dtype == dtype
    a64, x64 = alpha.astype(np.float64), x.astype(np.float64)
    x64 = x64 / x64.sum(-1, keepdims=True)
    want = [stats.dirichlet(a).logpdf(v) for a, v in zip(a64, x64)]
    tol = RTOL[dtype] * 10
    np.testing.assert_allclose(lp, want, rtol=tol, atol=tol)
    np.testing.assert_allclose(d.entropy(), [stats.dirichlet(a).entropy() for a in a64], rtol=tol, atol=tol)
    np.testing.assert_allclose(d.mean, [stats.dirichlet(a).mean() for a in a64], rtol=tol)
    np.testing.assert_allclose(d.variance, [stats.dirichlet(a).var() for a in a64], rtol=tol)
    # off the simplex
    assert d.log_prob(np.full(5, 0.3, dtype))[0] == -np.inf
    bad = np.array([1.2, -0.2, 0.0, 0.0, 0.0], dtype)
    assert d.log_prob(bad)[0] == -np.inf
    with pytest.raises(ValueError, match="last axis 5"):
        d.log_prob(np.ones(3))
    with pytest.raises(ValueError, match="event"):
        Dirichlet(1.0)


def test_dirichlet_sample_jit_vmap():
    alpha = np.array([[0.5, 2.0, 4.0], [3.0, 3.0, 1.0]])
    d = Dirichlet(alpha)
    x = jax.jit(lambda d, k: d.sample(k, (20_000,)))(d, jax.random.key(0))
    assert x.shape == (20_000, 2, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(x.mean(0), d.mean, atol=0.01)
    np.testing.assert_allclose(x.var(0), d.variance, rtol=0.06)
    back = _round_trip(d)
    np.testing.assert_array_equal(back.concentration, d.concentration)
    ent = jax.vmap(lambda d: d.entropy())(d)
    np.testing.assert_allclose(ent, d.entropy(), rtol=1e-14)


# -------------------------------------------------------------------- Multinomial


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multinomial_vs_scipy(dtype):
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], dtype)
    n = np.array([7.0, 4.0], dtype)
    x = np.array([[2.0, 2.0, 3.0], [0.0, 1.0, 3.0]], dtype)
    tol = RTOL[dtype] * 10
    p64 = p.astype(np.float64) / p.astype(np.float64).sum(-1, keepdims=True)
    for d in (Multinomial(n, probs=p), Multinomial(n, logits=np.log(p))):
        assert d.batch_shape == (2,) and d.event_shape == (3,)
        lp = jax.jit(lambda d, x: d.log_prob(x))(d, x)
        assert lp.dtype == dtype
        np.testing.assert_allclose(lp, [stats.multinomial(int(c), q).logpmf(v) for c, q, v in zip(n, p64, x)], rtol=tol)
        np.testing.assert_allclose(
            d.entropy(), [stats.multinomial(int(c), q).entropy() for c, q in zip(n, p64)], rtol=tol
        )
        np.testing.assert_allclose(d.mean, n[:, None] * p64, rtol=tol)
        np.testing.assert_allclose(d.variance, n[:, None] * p64 * (1 - p64), rtol=tol)
        # outside the support: wrong total, negative or fractional counts
        assert np.all(d.log_prob(np.array([[1.0, 1.0, 1.0], [0.0, -1.0, 5.0]], dtype)) == -np.inf)
        assert d.log_prob(np.array([2.5, 1.5, 3.0], dtype))[0] == -np.inf
    with pytest.raises(NotImplementedError, match="concrete"):
        jax.jit(lambda d: d.entropy())(Multinomial(n, probs=p))


def test_multinomial_sample_jit_vmap():
    p = np.array([0.2, 0.3, 0.5])
    d = Multinomial(np.array([10.0, 3.0]), probs=np.broadcast_to(p, (2, 3)))
    x = jax.jit(lambda d, k: d.sample(k, (40_000,)))(d, jax.random.key(0))
    assert x.shape == (40_000, 2, 3) and jnp.issubdtype(x.dtype, jnp.integer)
    np.testing.assert_array_equal(x.sum(-1), np.broadcast_to([10, 3], (40_000, 2)))
    np.testing.assert_allclose(x.mean(0), d.mean, rtol=0.02)
    np.testing.assert_allclose(x.var(0), d.variance, rtol=0.05)
    back = _round_trip(d)
    assert back._probs is not None and back._logits is None
    lp = jax.vmap(lambda d, v: d.log_prob(v))(d, x[0])
    np.testing.assert_allclose(lp, d.log_prob(x[0]), rtol=1e-14)


# ------------------------------------------------------------------------ Wishart


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_wishart_vs_scipy(dtype):
    rng = np.random.default_rng(1)
    v = np.stack([_spd(rng, 3) for _ in range(2)])
    n = np.array([4.5, 7.0])
    xs = np.stack([stats.wishart(c, s).rvs(random_state=rng) for c, s in zip(n, v)])
    tol = RTOL[dtype] * 50
    for kind, m in [("scale_matrix", v), ("rate_matrix", np.linalg.inv(v)), ("scale_tril", np.linalg.cholesky(v))]:
        d = Wishart(n.astype(dtype), **{kind: m.astype(dtype)})
        assert d.batch_shape == (2,) and d.event_shape == (3, 3)
        lp = jax.jit(lambda d, x: d.log_prob(x))(d, xs.astype(dtype))
        assert lp.dtype == dtype
        np.testing.assert_allclose(lp, [stats.wishart(c, s).logpdf(x) for c, s, x in zip(n, v, xs)], rtol=tol)
        np.testing.assert_allclose(d.entropy(), [stats.wishart(c, s).entropy() for c, s in zip(n, v)], rtol=tol)
        np.testing.assert_allclose(d.mean, [stats.wishart(c, s).mean() for c, s in zip(n, v)], rtol=tol, atol=tol)
        np.testing.assert_allclose(d.variance, [stats.wishart(c, s).var() for c, s in zip(n, v)], rtol=tol, atol=tol)
        np.testing.assert_allclose(d.scale_matrix, v, rtol=tol, atol=tol)
        np.testing.assert_allclose(d.rate_matrix, np.linalg.inv(v), rtol=tol * 10, atol=tol * 10)
        np.testing.assert_allclose(d.scale_tril, np.linalg.cholesky(v), rtol=tol * 10, atol=tol * 10)
    assert Wishart(4.0, scale_matrix=np.eye(2)).log_prob(-np.eye(2)) == -np.inf
    with pytest.raises(ValueError, match="exactly one"):
        Wishart(4.0, scale_matrix=np.eye(2), rate_matrix=np.eye(2))
    with pytest.raises(ValueError, match="square"):
        Wishart(4.0, scale_matrix=np.ones((2, 3)))


def test_multigammaln_vs_scipy():
    """log Γ_d(a) against scipy for batched float64, float32 (dtype kept) and integer input."""
    from scipy.special import multigammaln as scipy_multigammaln

    a = np.array([[2.5, 3.0, 7.25], [12.0, 40.5, 300.0]])
    for d in (1, 2, 5):
        got = multigammaln(a, d)
        assert got.shape == a.shape and got.dtype == np.float64
        np.testing.assert_allclose(got, scipy_multigammaln(a, d), rtol=1e-13)
        got32 = multigammaln(a.astype(np.float32), d)
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, scipy_multigammaln(a, d), rtol=2e-6)
    np.testing.assert_allclose(multigammaln(3, 2), scipy_multigammaln(3, 2), rtol=1e-13)


def test_wishart_sample_jit_vmap():
    rng = np.random.default_rng(2)
    v = _spd(rng, 2)
    d = Wishart(np.array([5.0, 8.0]), scale_matrix=np.broadcast_to(v, (2, 2, 2)))
    x = jax.jit(lambda d, k: d.sample(k, (40_000,)))(d, jax.random.key(0))
    assert x.shape == (40_000, 2, 2, 2)
    np.testing.assert_allclose(x, np.swapaxes(x, -1, -2), rtol=1e-12)
    np.testing.assert_allclose(x.mean(0), d.mean, atol=5.0 * np.sqrt(np.max(d.variance) / x.shape[0]))
    np.testing.assert_allclose(x.var(0), d.variance, rtol=0.15)
    back = _round_trip(d)
    assert back._scale_matrix is not None and back._scale_tril is None
    lp = jax.vmap(lambda d, v: d.log_prob(v))(d, x[0])
    np.testing.assert_allclose(lp, d.log_prob(x[0]), rtol=1e-12)
    g = jax.grad(lambda t: jnp.sum(Wishart(4.0, scale_tril=t).sample(jax.random.key(3))))(jnp.eye(2))
    assert bool(jnp.all(jnp.isfinite(g)))


# --------------------------------------------------------------------- mixture


def _np_mixture_logpdf(w, comps, x):
    lp = np.stack([c.logpdf(x) for c in comps], axis=-1)
    return logsumexp(lp + np.log(w), axis=-1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mixture_normal_vs_numpy(dtype):
    w = np.array([0.2, 0.5, 0.3])
    loc, scale = np.array([-2.0, 0.5, 3.0]), np.array([0.7, 1.0, 0.4])
    d = MixtureSameFamily(Categorical(probs=w.astype(dtype)), Normal(loc.astype(dtype), scale.astype(dtype)))
    assert d.batch_shape == () and d.event_shape == () and not d.reparameterized
    x = np.linspace(-5, 5, 11).astype(dtype)
    lp = jax.jit(lambda d, x: d.log_prob(x))(d, x)
    assert lp.dtype == dtype and lp.shape == (11,)
    comps = [stats.norm(m, s) for m, s in zip(loc, scale)]
    tol = RTOL[dtype] * 10
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


def test_mixture_gamma_batched():
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
    back = _round_trip(d)
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


def test_mixture_multivariate_components():
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


def test_wishart_names_the_matrix_it_stores():
    """``parameterization`` says which matrix was given; ``stored_matrix()`` returns it as
    given (not broadcast against the concentration)."""
    v = jnp.array([[2.0, 0.3], [0.3, 1.0]])
    conc = jnp.array([3.0, 4.0])
    for name in ("scale_matrix", "rate_matrix", "scale_tril"):
        m = jnp.linalg.cholesky(v) if name == "scale_tril" else v
        w = Wishart(conc, **{name: m})
        assert w.parameterization == name
        np.testing.assert_array_equal(w.stored_matrix(), m)
        assert w.stored_matrix().shape == (2, 2) and w.batch_shape == (2,)
