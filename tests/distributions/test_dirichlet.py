"""Dirichlet: log_prob, moments and samples against scipy.stats; the pair Dirichlet ‖ Dirichlet
against 50-digit mpmath, quadrature and Monte Carlo."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import integrate, stats
from tables import METHOD_RTOL, rel_errors, round_trip

from jaxkl.distributions import Dirichlet
from jaxkl.registry import kl_divergence

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
GROUP = "multivariate"
FAMILY = Dirichlet
DOMAIN_POINTS = [{"concentration": np.array([0.7, 2.0, 3.5])}]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_methods_vs_scipy(dtype):
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
    tol = METHOD_RTOL[dtype] * 10
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


def test_sample_jit_vmap():
    alpha = np.array([[0.5, 2.0, 4.0], [3.0, 3.0, 1.0]])
    d = Dirichlet(alpha)
    x = jax.jit(lambda d, k: d.sample(k, (20_000,)))(d, jax.random.key(0))
    assert x.shape == (20_000, 2, 3)
    np.testing.assert_allclose(x.sum(-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(x.mean(0), d.mean, atol=0.01)
    np.testing.assert_allclose(x.var(0), d.variance, rtol=0.06)
    back = round_trip(d)
    np.testing.assert_array_equal(back.concentration, d.concentration)
    ent = jax.vmap(lambda d: d.entropy())(d)
    np.testing.assert_allclose(ent, d.entropy(), rtol=1e-14)


RTOL = {np.float64: 1e-10, np.float32: 1e-4}


def ref_dirichlet(a, b):
    """log B(b) − log B(a) + Σ (a_i − b_i)(ψ(a_i) − ψ(Σ a))."""
    a = [mp.mpf(float(x)) for x in a]
    b = [mp.mpf(float(x)) for x in b]
    sa, sb = mp.fsum(a), mp.fsum(b)
    psa = mp.digamma(sa)
    terms = (mp.loggamma(y) - mp.loggamma(x) + (x - y) * (mp.digamma(x) - psa) for x, y in zip(a, b))
    return mp.loggamma(sa) - mp.loggamma(sb) + mp.fsum(terms)


def _dirichlet_points(rng, k):
    """Pairs of concentrations ``[n, k]`` over the regimes (name per row)."""
    rows_a, rows_b, names = [], [], []

    def add(a, b, name):
        rows_a.append(a)
        rows_b.append(b)
        names.append(name)

    def logu(lo, hi):
        return np.exp(rng.uniform(np.log(lo), np.log(hi), k))

    for _ in range(3):
        add(logu(0.1, 100.0), logu(0.1, 100.0), "generic")
        add(logu(1e3, 1e5), logu(1e3, 1e5), "large")
        add(logu(0.01, 1.0), logu(1e3, 1e5), "mixed")
        add(logu(1e3, 1e5), logu(0.01, 1.0), "mixed reversed")
    for delta in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        a = logu(0.1, 100.0)
        add(a, a * (1.0 + delta * rng.standard_normal(k)), f"near {delta:.0e}")
        a = logu(1e3, 1e5)
        add(a, a * (1.0 + delta * rng.standard_normal(k)), f"near large {delta:.0e}")
        a = logu(0.05, 2.0)
        b = a.copy()
        b[0] *= 1.0 + delta  # a single category moves
        add(a, b, f"near one {delta:.0e}")
    return np.array(rows_a), np.array(rows_b), names


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [2, 5, 32])
def test_kl_vs_mpmath(k, dtype):
    rng = np.random.default_rng(1000 + k)
    a, b, names = _dirichlet_points(rng, k)
    a, b = a.astype(dtype), b.astype(dtype)  # the reference sees the same rounded inputs
    got = _kl_dir(jnp.asarray(a), jnp.asarray(b))
    assert got.dtype == dtype and got.shape == (len(names),)
    err = rel_errors(got, [ref_dirichlet(x, y) for x, y in zip(a, b)])
    worst = int(np.argmax(err))
    assert err[worst] <= RTOL[dtype], f"{names[worst]}: relative error {err[worst]:.2e}"


def test_kl_vs_quadrature_and_monte_carlo():
    """Independent of the textbook formula: ∫ p log(p/q) for K = 2 by quadrature of the
    scipy.stats densities, and a Monte-Carlo average of scipy.stats logpdf for K = 3."""
    a, b = np.array([2.0, 3.5]), np.array([1.2, 4.0])
    sp, sq = stats.dirichlet(a), stats.dirichlet(b)

    def f(x):
        v = np.array([x, 1.0 - x])
        lp = sp.logpdf(v)
        return np.exp(lp) * (lp - sq.logpdf(v))

    want, _ = integrate.quad(f, 0.0, 1.0, epsabs=1e-13, epsrel=1e-12)
    got = float(kl_divergence(Dirichlet(a), Dirichlet(b)))
    np.testing.assert_allclose(got, want, rtol=1e-9)

    a, b = np.array([2.0, 3.0, 1.5]), np.array([1.0, 2.5, 3.0])
    x = stats.dirichlet(a).rvs(200_000, random_state=np.random.default_rng(5))
    x = x / x.sum(-1, keepdims=True)
    lr = stats.dirichlet(a).logpdf(x.T) - stats.dirichlet(b).logpdf(x.T)
    got = float(kl_divergence(Dirichlet(a), Dirichlet(b)))
    assert abs(got - lr.mean()) <= 4.0 * lr.std() / np.sqrt(lr.size)


def test_kl_self_and_shapes():
    rng = np.random.default_rng(3)
    a = rng.uniform(0.1, 10.0, (3, 1, 4))
    b = rng.uniform(0.1, 10.0, (5, 4))
    out = kl_divergence(Dirichlet(a), Dirichlet(b))
    assert out.shape == (3, 5)
    full = kl_divergence(Dirichlet(np.broadcast_to(a, (3, 5, 4))), Dirichlet(np.broadcast_to(b, (3, 5, 4))))
    np.testing.assert_allclose(out, full, rtol=1e-14)
    vm = jax.vmap(lambda x, y: kl_divergence(Dirichlet(x), Dirichlet(y)))(a[:, 0], b[:3])
    np.testing.assert_allclose(vm, np.diagonal(out[:, :3]), rtol=1e-14)
    same = kl_divergence(Dirichlet(b), Dirichlet(b))
    np.testing.assert_array_equal(same, 0.0)
    # a batch of 1e5 pairs is evaluated in chunks: the same values
    big = np.exp(rng.uniform(-2, 4, (70_000, 3)))
    got = jax.jit(lambda x: kl_divergence(Dirichlet(x), Dirichlet(x[::-1])))(big)
    np.testing.assert_allclose(got[:5], kl_divergence(Dirichlet(big[:5]), Dirichlet(big[::-1][:5])), rtol=1e-14)
    assert jnp.all(got >= 0)


def test_kl_grads():
    a = jnp.array([2.0, 0.7, 3.0])
    b = jnp.array([1.5, 1.2, 2.5])
    f = lambda x, y: kl_divergence(Dirichlet(x), Dirichlet(y))  # noqa: E731
    check_grads(f, (a, b), order=1, modes=["rev"])
    # textbook gradients: ∂/∂b_i = ψ(b_i) − ψ(S_b) − ψ(a_i) + ψ(S_a); at p = q both vanish
    from jax.scipy.special import digamma

    ga, gb = jax.grad(f, argnums=(0, 1))(a, b)
    want_b = digamma(b) - digamma(b.sum()) - digamma(a) + digamma(a.sum())
    np.testing.assert_allclose(gb, want_b, rtol=1e-10)
    for x in (a, jnp.full(3, 1e5), jnp.array([1e-3, 1.0, 1e4])):
        g = jax.grad(f, argnums=(0, 1))(x, x)
        assert all(bool(jnp.all(jnp.isfinite(v))) for v in g)
        np.testing.assert_allclose(np.concatenate(g), 0.0, atol=1e-10)
    g32 = jax.grad(f, argnums=(0, 1))(a.astype(np.float32), a.astype(np.float32))
    assert all(bool(jnp.all(jnp.isfinite(v))) for v in g32)


_kl_dir = jax.jit(lambda a, b: kl_divergence(Dirichlet(a), Dirichlet(b)))
