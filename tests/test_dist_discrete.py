"""The discrete families and the point mass against scipy.stats (and mpmath where scipy has
no reference): log_prob inside and outside the support, entropy, mean, variance, sample
moments and shapes, probs/logits handling, jit/vmap and pytree round trips."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from jaxkl.distributions import Bernoulli, Binomial, Categorical, Delta, Geometric, OneHotCategorical, Poisson

RTOL = {np.float32: 2e-5, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]


def _logit(p):
    return np.log(p) - np.log1p(-p)


# (name, jaxkl constructor from float64 params cast to dtype, scipy frozen distribution, values)
def _families(rng):
    p = float(rng.uniform(0.15, 0.85))
    lam = float(rng.uniform(0.5, 6.0))
    probs = rng.dirichlet(np.ones(5))
    cat = stats.rv_discrete(values=(np.arange(5), probs))
    ks = np.array([0.0, 1.0, 2.0, 3.0, 7.0])
    return [
        ("bernoulli_probs", lambda dt: Bernoulli(probs=dt(p)), stats.bernoulli(p), np.array([0.0, 1.0])),
        ("bernoulli_logits", lambda dt: Bernoulli(logits=dt(_logit(p))), stats.bernoulli(p), np.array([0.0, 1.0])),
        ("binomial_probs", lambda dt: Binomial(dt(9.0), probs=dt(p)), stats.binom(9, p), ks),
        ("binomial_logits", lambda dt: Binomial(dt(9.0), logits=dt(_logit(p))), stats.binom(9, p), ks),
        ("geometric_probs", lambda dt: Geometric(probs=dt(p)), stats.geom(p, loc=-1), ks),
        ("geometric_logits", lambda dt: Geometric(logits=dt(_logit(p))), stats.geom(p, loc=-1), ks),
        ("poisson", lambda dt: Poisson(dt(lam)), stats.poisson(lam), ks),
        ("categorical_probs", lambda dt: Categorical(probs=probs.astype(dt)), cat, np.arange(5.0)),
        ("categorical_logits", lambda dt: Categorical(logits=(np.log(probs) + 3.0).astype(dt)), cat, np.arange(5.0)),
    ]


def _rtol(dt, scale=1.0):
    return RTOL[dt] * scale


@pytest.mark.parametrize("dtype", DTYPES)
def test_log_prob_entropy_mean_variance_vs_scipy(dtype, rng):
    fams = _families(rng)

    @jax.jit
    def summary(dists, values):
        # Binomial.entropy sums over the support: it needs a concrete total_count (below).
        return [
            (d.log_prob(x), None if isinstance(d, Binomial) else d.entropy(), d.mean, d.variance)
            for d, x in zip(dists, values)
        ]

    dists = [make(dtype) for _, make, _, _ in fams]
    out = summary(dists, [ks.astype(dtype) for *_, ks in fams])
    for (name, _, ref, ks), d, (lp, ent, mean, var) in zip(fams, dists, out):
        ent = d.entropy() if ent is None else ent
        np.testing.assert_allclose(
            lp, ref.logpmf(ks), rtol=_rtol(dtype, 4), atol=1e-6 if dtype == np.float32 else 0, err_msg=name
        )
        assert lp.dtype == dtype, name
        np.testing.assert_allclose(ent, ref.entropy(), rtol=_rtol(dtype, 4), err_msg=name)
        if name.startswith("categorical"):
            assert np.isnan(mean) and np.isnan(var)
        else:
            np.testing.assert_allclose(mean, ref.mean(), rtol=_rtol(dtype, 4), err_msg=name)
            np.testing.assert_allclose(var, ref.var(), rtol=_rtol(dtype, 4), err_msg=name)


def test_log_prob_outside_support():
    out = [
        Bernoulli(probs=0.3).log_prob(jnp.array([-1.0, 0.5, 2.0])),
        Binomial(4, probs=0.3).log_prob(jnp.array([-1.0, 0.5, 5.0])),
        Geometric(probs=0.3).log_prob(jnp.array([-1.0, 0.5, jnp.inf])),
        Poisson(2.0).log_prob(jnp.array([-1.0, 0.5, jnp.nan])),
        Categorical(probs=jnp.array([0.5, 0.5])).log_prob(jnp.array([-1.0, 0.5, 2.0])),
        OneHotCategorical(probs=jnp.array([0.5, 0.5])).log_prob(jnp.array([[1.0, 1.0], [0.5, 0.5], [0.0, 0.0]])),
        Delta(1.0).log_prob(jnp.array([0.0, 2.0, jnp.nan])),
    ]
    for o in out:
        np.testing.assert_array_equal(o, -np.inf)


def test_log_prob_at_degenerate_parameters():
    np.testing.assert_array_equal(Bernoulli(probs=0.0).log_prob(jnp.array([0.0, 1.0])), [0.0, -np.inf])
    np.testing.assert_array_equal(Bernoulli(logits=jnp.inf).log_prob(jnp.array([0.0, 1.0])), [-np.inf, 0.0])
    np.testing.assert_array_equal(Binomial(3, probs=1.0).log_prob(jnp.array([2.0, 3.0])), [-np.inf, 0.0])
    np.testing.assert_array_equal(Poisson(0.0).log_prob(jnp.array([0.0, 1.0])), [0.0, -np.inf])
    np.testing.assert_array_equal(Geometric(probs=1.0).log_prob(jnp.array([0.0, 1.0])), [0.0, -np.inf])
    lp = Categorical(logits=jnp.array([0.0, -jnp.inf])).log_prob(jnp.array([0.0, 1.0]))
    np.testing.assert_array_equal(lp, [0.0, -np.inf])
    for d in [Bernoulli(probs=1.0), Bernoulli(logits=-jnp.inf), Poisson(0.0), Categorical(probs=jnp.array([0.0, 1.0]))]:
        assert float(d.entropy()) == 0.0 and not np.signbit(float(d.entropy())), d


def test_extreme_logits_stay_finite():
    d = Bernoulli(logits=jnp.array([-1e4, 1e4], jnp.float32))
    np.testing.assert_allclose(d.log_prob(jnp.array([0.0, 1.0], jnp.float32)), [0.0, 0.0], atol=1e-30)
    np.testing.assert_allclose(d.log_prob(jnp.array([1.0, 0.0], jnp.float32)), [-1e4, -1e4])
    assert np.all(np.isfinite(d.entropy()))
    g = jax.grad(lambda a: Bernoulli(logits=a).entropy().sum())(jnp.array([-jnp.inf, jnp.inf, 0.0, -1e4]))
    assert np.all(np.isfinite(g))
    g = jax.grad(lambda a: Categorical(logits=a).entropy())(jnp.array([-jnp.inf, 0.0, 1e4]))
    assert np.all(np.isfinite(g))


def test_sample_shapes_and_moments():
    """Sample moments (float32 parameters; the samplers do not depend on the dtype)."""
    dtype = np.float32
    key = jax.random.key(7)
    n = 20000
    cases = [
        (Bernoulli(probs=jnp.array([0.2, 0.7], dtype)), (2,)),
        (Bernoulli(logits=jnp.array([-1.0, 2.0], dtype)), (2,)),
        (Binomial(jnp.array(12.0, dtype), logits=jnp.array([-1.0, 2.0], dtype)), (2,)),
        (Geometric(probs=jnp.array([0.3, 1.0], dtype)), (2,)),
        (Geometric(logits=jnp.array([0.3, -1.0], dtype)), (2,)),
        (Poisson(jnp.array([0.5, 30.0], dtype)), (2,)),
    ]
    for d, batch in cases:
        s = jax.jit(lambda dd, k: dd.sample(k, (n,)))(d, key)
        assert s.shape == (n,) + batch and jnp.issubdtype(s.dtype, jnp.integer), d
        mean = np.asarray(d.mean, np.float64)
        sd = np.sqrt(np.asarray(d.variance, np.float64))
        assert np.all(np.abs(np.asarray(s.mean(0)) - mean) <= 5 * sd / np.sqrt(n) + 1e-12), (d, s.mean(0), mean)
        np.testing.assert_allclose(s.std(0), sd, rtol=0.05, atol=1e-12, err_msg=repr(d))
    probs = jnp.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]], dtype)
    s = Categorical(probs=probs).sample(key, (n,))
    assert s.shape == (n, 2)
    freq = np.stack([(np.asarray(s) == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs, atol=0.015)
    s = OneHotCategorical(logits=jnp.log(probs)).sample(key, 5)
    assert s.shape == (5, 2, 3) and np.all(np.asarray(s).sum(-1) == 1)
    s = Delta(jnp.ones((2, 3), dtype), log_density=dtype(0.0), event_dim=1).sample(key, (4,))
    assert s.shape == (4, 2, 3) and s.dtype == dtype


def test_probs_logits_exclusive_and_derived():
    for cls in (Bernoulli, Geometric, Categorical, OneHotCategorical):
        with pytest.raises(ValueError, match="exactly one of `probs` or `logits`.*both"):
            cls(probs=jnp.array([0.5, 0.5]), logits=jnp.array([0.0, 0.0]))
        with pytest.raises(ValueError, match="exactly one of `probs` or `logits`.*neither"):
            cls()
    with pytest.raises(ValueError, match="exactly one"):
        Binomial(3)
    d = Bernoulli(logits=jnp.array([-2.0, 0.5]))
    assert d._probs is None and len(jax.tree.leaves(d)) == 1
    np.testing.assert_allclose(d.probs, 1 / (1 + np.exp([2.0, -0.5])), rtol=1e-15)
    np.testing.assert_allclose(Bernoulli(probs=d.probs).logits, [-2.0, 0.5], rtol=1e-14)
    c = Categorical(logits=jnp.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(c.probs.sum(), 1.0, rtol=1e-15)
    np.testing.assert_allclose(Categorical(probs=c.probs).logits, c.logits, rtol=1e-14)
    with pytest.raises(ValueError, match=r"\(category\) axis"):
        Categorical(probs=0.5)
    assert "probs=" in repr(Bernoulli(probs=0.5)) and "_probs" not in repr(Bernoulli(probs=0.5))


def test_validate_args():
    with pytest.raises(ValueError, match="Bernoulli: `probs` must be in \\[0, 1\\]"):
        Bernoulli(probs=1.5, validate_args=True)
    with pytest.raises(ValueError, match="Categorical: `probs` must be a probability vector"):
        Categorical(probs=jnp.array([0.5, 0.6]), validate_args=True)
    with pytest.raises(ValueError, match="Binomial: `total_count` must be a non-negative integer"):
        Binomial(2.5, probs=0.5, validate_args=True)
    with pytest.raises(ValueError, match="Poisson: `rate` must be non-negative"):
        Poisson(-1.0, validate_args=True)
    Geometric(probs=1.0, validate_args=True)
    Bernoulli(logits=jnp.inf, validate_args=True)


def test_shapes_pytree_jit_vmap():
    d = Binomial(jnp.array([[3.0], [5.0]]), probs=jnp.array([0.2, 0.5, 0.9]))
    assert d.batch_shape == (2, 3) and d.event_shape == ()
    leaves, tree = jax.tree.flatten(d)
    d2 = jax.tree.unflatten(tree, leaves)
    assert type(d2) is Binomial and d2._logits is None
    np.testing.assert_array_equal(d2.log_prob(2.0), d.log_prob(2.0))
    c = Categorical(logits=jnp.zeros((4, 3, 6)))
    assert c.batch_shape == (4, 3) and c.event_shape == ()
    assert c.log_prob(jnp.zeros((2, 1, 3))).shape == (2, 4, 3)
    v = jax.vmap(lambda r: Poisson(r).log_prob(2.0))(jnp.array([1.0, 2.0]))
    np.testing.assert_allclose(v, stats.poisson([1.0, 2.0]).logpmf(2), rtol=1e-14)
    ent = jax.jit(jax.vmap(lambda dd: dd.entropy()))(Categorical(probs=jnp.full((3, 4), 0.25)))
    np.testing.assert_allclose(ent, np.log(4.0), rtol=1e-15)
    e = Delta(jnp.zeros((2, 3)), log_density=jnp.array([0.5, 1.0]), event_dim=1)
    assert e.batch_shape == (2,) and e.event_shape == (3,)
    np.testing.assert_array_equal(e.entropy(), [-0.5, -1.0])
    np.testing.assert_array_equal(e.variance, np.zeros((2, 3)))
    assert jax.tree.unflatten(*reversed(jax.tree.flatten(e))).event_dim == 1
    with pytest.raises(ValueError, match="event_dim"):
        Delta(1.0, event_dim=1)


def test_low_precision_parameters_compute_in_float32():
    d = Bernoulli(probs=jnp.array([0.25, 0.5], jnp.bfloat16))
    assert d.dtype == jnp.float32 and d.log_prob(1.0).dtype == jnp.float32 and d.entropy().dtype == jnp.float32
    c = Categorical(logits=jnp.zeros(3, jnp.float16))
    assert c.log_prob(1).dtype == jnp.float32


@pytest.mark.parametrize("name", ["probs", "logits"])
def test_parameterization_names_the_stored_parameter(name):
    """``parameterization`` is the parameter given; ``given_param()`` is it broadcast to the
    batch shape (and, for the categorical families, the K categories)."""
    v = jnp.array([[0.2], [0.7]])
    k3 = jnp.array([0.2, 0.3, 0.5])
    cases = [
        (Bernoulli(**{name: v}), v),
        (Geometric(**{name: v}), v),
        (Binomial(jnp.full((3,), 5.0), **{name: jnp.float32(0.3)}), jnp.full((3,), 0.3, jnp.float32)),
        (Categorical(**{name: jnp.broadcast_to(k3, (2, 3))}), jnp.broadcast_to(k3, (2, 3))),
        (OneHotCategorical(**{name: k3}), k3),
    ]
    for d, expected in cases:
        assert d.parameterization == name, type(d).__name__
        np.testing.assert_array_equal(d.given_param(), expected)
