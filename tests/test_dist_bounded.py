"""Bounded-support families: Beta, Kumaraswamy, Uniform, ContinuousBernoulli, VonMises.

References: scipy.stats where it has the family, otherwise 50-digit mpmath of the textbook
formulas (closed forms or quadrature), at the same (rounded) parameters.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from tables import cases

from jaxkl.distributions import Beta, ContinuousBernoulli, Kumaraswamy, Uniform, VonMises

CASES = cases(["bounded"])  # the families of this support (tests/distributions/)

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
DTYPES = [np.float64, np.float32]
RTOL = {np.float64: 1e-12, np.float32: 1e-5}


def _build(cls, params, dtype):
    return cls(**{k: np.asarray(v, dtype) for k, v in params.items()})


def _points(cls, params, n=7):
    """Evaluation points strictly inside the support."""
    if cls is Uniform:
        return np.linspace(params["low"], params["high"], n + 2)[1:-1]
    if cls is VonMises:
        return np.linspace(-3.0, 3.0, n)
    return np.linspace(0.02, 0.98, n)


# ------------------------------------------------------------------ log_prob


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_log_prob_matches_reference(cls, dtype, rng):
    case = CASES[cls]
    for _ in range(3):
        params = case.params(rng)
        rounded = {k: float(dtype(v)) for k, v in params.items()}
        x = _points(cls, rounded).astype(dtype)
        got = jax.jit(lambda d, x: d.log_prob(x))(_build(cls, params, dtype), x)
        assert got.dtype == dtype
        want = case.scipy(**rounded).logpdf(x.astype(np.float64))
        np.testing.assert_allclose(got, want, rtol=RTOL[dtype], atol=10 * RTOL[dtype])


@pytest.mark.parametrize(
    "d, x",
    [
        (Beta(2.0, 3.0), [-0.1, 1.1]),
        (Kumaraswamy(2.0, 3.0), [-0.1, 1.1]),
        (Uniform(-1.0, 2.0), [-1.5, 2.5]),
        (ContinuousBernoulli(probs=0.3), [-0.01, 1.01]),
    ],
)
def test_log_prob_outside_support_is_minus_inf(d, x):
    assert np.all(np.asarray(d.log_prob(jnp.asarray(x))) == -np.inf)


def test_log_prob_at_the_ends():
    # scipy's conventions at x = 0 and 1
    for a, b in [(1.0, 1.0), (0.5, 2.0), (2.0, 0.5), (1.0, 3.0)]:
        for x in (0.0, 1.0):
            np.testing.assert_allclose(Beta(a, b).log_prob(x), stats.beta(a, b).logpdf(x), rtol=1e-12)
    assert float(Kumaraswamy(1.0, 1.0).log_prob(0.0)) == 0.0
    assert float(Kumaraswamy(2.0, 3.0).log_prob(1.0)) == -np.inf


# ------------------------------------------------------------- moments, entropy


def _kumaraswamy_ref(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    m1 = b * mp.beta(1 + 1 / a, b)
    m2 = b * mp.beta(1 + 2 / a, b)
    hb = mp.digamma(b + 1) + mp.euler
    return (1 - 1 / b) + (1 - 1 / a) * hb - mp.log(a * b), m1, m2 - m1**2


def _cb_ref(lam):
    lam = mp.mpf(lam)
    eta = mp.log(lam / (1 - lam))
    if eta == 0:
        return mp.mpf(0), mp.mpf(1) / 2, mp.mpf(1) / 12
    u = eta / 2
    s = mp.log(mp.sinh(u) / u)
    ell = mp.coth(u) - 1 / u
    return -(u * ell - s), (1 + ell) / 2, (1 / u**2 - 1 / mp.sinh(u) ** 2) / 4


def _vm_ref(k):
    k = mp.mpf(k)
    i0, i1 = mp.besseli(0, k), mp.besseli(1, k)
    return mp.log(2 * mp.pi * i0) - k * i1 / i0, 1 - i1 / i0


@pytest.mark.parametrize("dtype", DTYPES)
def test_entropy_mean_variance(dtype, rng):
    tol = RTOL[dtype]
    for _ in range(3):
        a, b = (float(dtype(v)) for v in rng.uniform(0.3, 6.0, 2))
        d = Beta(dtype(a), dtype(b))
        s = stats.beta(a, b)
        np.testing.assert_allclose([d.entropy(), d.mean, d.variance], [s.entropy(), s.mean(), s.var()], rtol=tol)
        k = Kumaraswamy(dtype(a), dtype(b))
        # the variance is E[X²] − E[X]² from two log-beta functions: a few more ulps in float32
        np.testing.assert_allclose(
            [k.entropy(), k.mean, k.variance], [float(v) for v in _kumaraswamy_ref(a, b)], rtol=50 * tol
        )
        lo, hi = float(dtype(-a)), float(dtype(b))
        u = Uniform(dtype(lo), dtype(hi))
        su = stats.uniform(lo, hi - lo)
        np.testing.assert_allclose([u.entropy(), u.mean, u.variance], [su.entropy(), su.mean(), su.var()], rtol=tol)
        lam = float(dtype(rng.uniform(0.01, 0.99)))
        c = ContinuousBernoulli(probs=dtype(lam))
        np.testing.assert_allclose([c.entropy(), c.mean, c.variance], [float(v) for v in _cb_ref(lam)], rtol=5 * tol)
        v = VonMises(dtype(0.3), dtype(a))
        h, var = _vm_ref(a)
        np.testing.assert_allclose(
            [v.entropy(), v.mean, v.variance], [float(h), float(dtype(0.3)), float(var)], rtol=5 * tol
        )
        if dtype == np.float64:
            np.testing.assert_allclose(v.entropy(), stats.vonmises(a).entropy(), rtol=1e-9)


# ------------------------------------------------------------------- sampling


@pytest.mark.parametrize(
    "d",
    [
        Beta(2.0, 5.0),
        Kumaraswamy(0.7, 2.5),
        Uniform(-1.0, 3.0),
        ContinuousBernoulli(probs=0.15),
        ContinuousBernoulli(logits=4.0),
    ],
    ids=["beta", "kumaraswamy", "uniform", "cb-probs", "cb-logits"],
)
def test_sample_moments(d):
    n = 50_000
    x = d.sample(jax.random.key(7), (n,))
    assert x.shape == (n,)
    se = math.sqrt(float(d.variance) / n)
    assert abs(float(jnp.mean(x)) - float(d.mean)) < 5 * se
    np.testing.assert_allclose(jnp.var(x), d.variance, rtol=0.05)
    lp = d.log_prob(x)
    assert bool(jnp.all(jnp.isfinite(lp)))


def test_sample_shapes_and_dtypes():
    two = jnp.float32(2.0)
    for d in [
        Kumaraswamy(jnp.ones(3, jnp.float32), two),
        Uniform(jnp.zeros(3, jnp.float32), two),
        ContinuousBernoulli(probs=jnp.full(3, 0.4, jnp.float32)),
        VonMises(jnp.zeros(3, jnp.float32), two),
    ]:
        x = d.sample(jax.random.key(0), (4, 2))
        assert x.shape == (4, 2, 3) and x.dtype == jnp.float32
        assert d.batch_shape == (3,) and d.event_shape == ()


def test_reparameterized_gradients():
    key = jax.random.key(11)

    # d/da E[X] for Kumaraswamy: pathwise gradient of the inverse CDF vs the analytic mean
    def mean_k(a):
        return jnp.mean(Kumaraswamy(a, 2.0).sample(key, (50_000,)))

    g = jax.grad(mean_k)(1.5)
    ga = jax.grad(lambda a: Kumaraswamy(a, 2.0).mean)(1.5)
    np.testing.assert_allclose(g, ga, rtol=0.05)
    g = jax.grad(lambda e: jnp.mean(ContinuousBernoulli(logits=e).sample(key, (50_000,))))(1.3)
    ga = jax.grad(lambda e: ContinuousBernoulli(logits=e).mean)(1.3)
    np.testing.assert_allclose(g, ga, rtol=0.05)
    g = jax.grad(lambda a: jnp.mean(Beta(a, 3.0).sample(key, (10_000,))))(2.0)
    np.testing.assert_allclose(g, 3.0 / 25.0, rtol=0.1)
    assert not VonMises.reparameterized
    g = jax.grad(lambda k: jnp.sum(VonMises(0.0, k).sample(key, (10,))))(2.0)
    assert float(g) == 0.0


# ------------------------------------------------------------ pytree, jit, vmap


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_pytree_jit_vmap(cls, rng):
    params = CASES[cls].params(rng)
    d = _build(cls, params, np.float64)
    leaves, tree = jax.tree_util.tree_flatten(d)
    d2 = jax.tree_util.tree_unflatten(tree, leaves)
    assert type(d2) is cls
    x = jnp.asarray(_points(cls, params, 3))
    np.testing.assert_array_equal(d2.log_prob(x), d.log_prob(x))
    np.testing.assert_allclose(jax.jit(lambda d, x: d.log_prob(x))(d, x), d.log_prob(x), rtol=1e-14)
    batched = jax.tree_util.tree_map(lambda v: jnp.stack([v, v, v]), d)
    assert batched.batch_shape == (3,)
    out = jax.vmap(lambda d, x: d.log_prob(x))(batched, x)
    np.testing.assert_allclose(out, d.log_prob(x), rtol=1e-15)


def test_bfloat16_parameters_compute_in_float32():
    d = Beta(jnp.asarray(2.0, jnp.bfloat16), jnp.asarray(3.0, jnp.bfloat16))
    assert d.entropy().dtype == jnp.float32
    c = ContinuousBernoulli(probs=jnp.asarray(0.25, jnp.bfloat16))
    assert c.mean.dtype == jnp.float32 and c.log_prob(jnp.float32(0.5)).dtype == jnp.float32
    v = VonMises(jnp.asarray(0.0, jnp.float16), jnp.asarray(2.0, jnp.float16))
    assert v.entropy().dtype == jnp.float32


def test_validate_args():
    with pytest.raises(ValueError, match="concentration1"):
        Beta(-1.0, 2.0, validate_args=True)
    with pytest.raises(ValueError, match="`probs`"):
        ContinuousBernoulli(probs=1.5, validate_args=True)
    with pytest.raises(ValueError, match="concentration"):
        VonMises(0.0, -1.0, validate_args=True)
