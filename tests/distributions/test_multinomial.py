"""Multinomial: log_prob, moments and samples against scipy.stats; the pair Multinomial ‖
Multinomial against 50-digit mpmath."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import stats
from tables import METHOD_RTOL, on_simplex, rel_errors, round_trip

from jaxkl.distributions import Multinomial
from jaxkl.registry import kl_divergence

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
GROUP = "multivariate"
FAMILY = Multinomial
DOMAIN_POINTS = [
    {"total_count": 5.0, "probs": np.array([0.2, 0.3, 0.5])},
    {"total_count": 5.0, "logits": np.array([0.1, -1.0, 2.0])},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_methods_vs_scipy(dtype):
    p = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]], dtype)
    n = np.array([7.0, 4.0], dtype)
    x = np.array([[2.0, 2.0, 3.0], [0.0, 1.0, 3.0]], dtype)
    tol = METHOD_RTOL[dtype] * 10
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


def test_sample_jit_vmap():
    p = np.array([0.2, 0.3, 0.5])
    d = Multinomial(np.array([10.0, 3.0]), probs=np.broadcast_to(p, (2, 3)))
    x = jax.jit(lambda d, k: d.sample(k, (40_000,)))(d, jax.random.key(0))
    assert x.shape == (40_000, 2, 3) and jnp.issubdtype(x.dtype, jnp.integer)
    np.testing.assert_array_equal(x.sum(-1), np.broadcast_to([10, 3], (40_000, 2)))
    np.testing.assert_allclose(x.mean(0), d.mean, rtol=0.02)
    np.testing.assert_allclose(x.var(0), d.variance, rtol=0.05)
    back = round_trip(d)
    assert back._probs is not None and back._logits is None
    lp = jax.vmap(lambda d, v: d.log_prob(v))(d, x[0])
    np.testing.assert_allclose(lp, d.log_prob(x[0]), rtol=1e-14)


RTOL = {np.float64: 1e-10, np.float32: 1e-4}


def ref_categorical(p, q):
    """Σ p̂ log(p̂/q̂) of the normalized vectors."""
    p = [mp.mpf(float(x)) for x in p]
    q = [mp.mpf(float(x)) for x in q]
    sp, sq = mp.fsum(p), mp.fsum(q)
    return mp.fsum((x / sp) * mp.log((x / sp) / (y / sq)) for x, y in zip(p, q) if x > 0)


def _near_probs(rng, k, delta):
    p = rng.dirichlet(np.full(k, 1.5))
    q = p * np.exp(delta * rng.standard_normal(k))
    return p, q / q.sum()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kl_vs_mpmath(dtype):
    rng = np.random.default_rng(7)
    k = 6
    ps, qs, names = [], [], []
    for _ in range(3):
        ps.append(rng.dirichlet(np.full(k, 1.0)))
        qs.append(rng.dirichlet(np.full(k, 1.0)))
        names.append("generic")
    for delta in (1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        p, q = _near_probs(rng, k, delta)
        ps.append(p)
        qs.append(q)
        names.append(f"near {delta:.0e}")
    p, q = np.array(ps, dtype), np.array(qs, dtype)
    n = np.array([1.0, 7.0, 1e5] * 3, dtype)[: len(names)]
    tol = RTOL[dtype]
    want = [mp.mpf(float(c)) * ref_categorical(x, y) for c, x, y in zip(n, p, q)]
    got = jax.jit(lambda n, p, q: kl_divergence(Multinomial(n, probs=p), Multinomial(n, probs=q)))(n, p, q)
    assert got.dtype == dtype
    err = rel_errors(got, want)
    assert np.max(err) <= tol, f"{names[int(np.argmax(err))]}: {np.max(err):.2e}"
    la, lb = np.log(p).astype(dtype), np.log(q).astype(dtype) + dtype(3.0)  # logits: any shift
    want = [mp.mpf(float(c)) * ref_categorical_logits(x, y) for c, x, y in zip(n, la, lb)]
    got = kl_divergence(Multinomial(n, logits=la), Multinomial(n, logits=lb))
    err = rel_errors(got, want)
    assert np.max(err) <= tol, f"{names[int(np.argmax(err))]}: {np.max(err):.2e}"


def test_kl_support_and_shapes():
    p = np.array([0.2, 0.3, 0.5])
    q = np.array([0.1, 0.6, 0.3])
    # independent: the sum over the support of the scipy pmf
    n = 6
    xs = [(i, j, n - i - j) for i in range(n + 1) for j in range(n + 1 - i)]
    lp = stats.multinomial(n, p).logpmf(xs)
    want = np.sum(np.exp(lp) * (lp - stats.multinomial(n, q).logpmf(xs)))
    np.testing.assert_allclose(float(kl_divergence(Multinomial(n, probs=p), Multinomial(n, probs=q))), want, rtol=1e-12)
    # different total counts: disjoint supports; n = 0 on both sides: the same point mass
    out = kl_divergence(
        Multinomial(np.array([3.0, 3.0, 0.0]), probs=p), Multinomial(np.array([3.0, 4.0, 0.0]), probs=q)
    )
    assert out[0] > 0 and np.isfinite(out[0]) and out[1] == np.inf and out[2] == 0.0
    # zeros: p_k = 0 contributes nothing, q_k = 0 < p_k is +inf
    z = np.array([0.0, 0.5, 0.5])
    assert np.isfinite(float(kl_divergence(Multinomial(2, probs=z), Multinomial(2, probs=p))))
    assert float(kl_divergence(Multinomial(2, probs=p), Multinomial(2, probs=z))) == np.inf
    # broadcasting and vmap
    pb = np.random.default_rng(1).dirichlet(np.ones(3), (4, 1))
    out = kl_divergence(Multinomial(np.array([2.0, 5.0]), probs=pb), Multinomial(np.array([2.0, 5.0]), probs=q))
    assert out.shape == (4, 2)
    vm = jax.vmap(lambda x: kl_divergence(Multinomial(5.0, probs=x), Multinomial(5.0, probs=q)))(pb[:, 0])
    np.testing.assert_allclose(vm, out[:, 1], rtol=1e-14)
    np.testing.assert_array_equal(kl_divergence(Multinomial(4, probs=pb), Multinomial(4, probs=pb)), 0.0)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        kl_divergence(Multinomial(2, probs=p), Multinomial(2, probs=np.full(4, 0.25)))


def test_kl_grads():
    p = jnp.array([0.2, 0.3, 0.5])
    q = jnp.array([0.1, 0.6, 0.3])
    # probabilities along the simplex (the sum kept at 1: the domain)
    check_grads(
        lambda x, y: kl_divergence(Multinomial(5, probs=on_simplex(x)), Multinomial(5, probs=on_simplex(y))),
        (p, q),
        1,
        modes=["rev"],
    )
    la, lb = jnp.log(p), jnp.log(q)
    check_grads(
        lambda x, y: kl_divergence(Multinomial(5, logits=x), Multinomial(5, logits=y)), (la, lb), 1, modes=["rev"]
    )
    for make in (lambda x: Multinomial(5, probs=x), lambda x: Multinomial(5, logits=jnp.log(x))):
        g = jax.grad(lambda x, y: kl_divergence(make(x), make(y)), argnums=(0, 1))(p, p)
        assert all(bool(jnp.all(jnp.isfinite(v))) for v in g)


def ref_categorical_logits(a, b):
    a = [mp.mpf(float(x)) for x in a]
    b = [mp.mpf(float(x)) for x in b]
    za = mp.log(mp.fsum(mp.exp(x) for x in a))
    zb = mp.log(mp.fsum(mp.exp(x) for x in b))
    return mp.fsum(mp.exp(x - za) * ((x - za) - (y - zb)) for x, y in zip(a, b))
