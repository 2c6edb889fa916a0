"""Positive-support families against scipy.stats and mpmath: densities, entropies, moments,
samples, transformations (jit, vmap, pytrees) and parameter handling."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from tables import cases

from jaxkl.distributions import Chi2, Exponential, Gamma, InverseGamma, Pareto, Weibull

CASES = cases(["positive"])  # the families of this support (tests/distributions/)

FAMILIES = list(CASES)
IDS = [c.__name__ for c in FAMILIES]


def _params(cls, rng, dtype=np.float64):
    return {k: np.asarray(v, dtype) for k, v in CASES[cls].params(rng).items()}


def _scipy(cls, params):
    return CASES[cls].scipy(**{k: float(v) for k, v in params.items()})


def _points(cls, params):
    """Quantiles from the far left to the far right tail, and points outside the support."""
    ref = _scipy(cls, params)
    q = ref.ppf(np.array([1e-8, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-8]))
    lo = ref.support()[0]
    return np.concatenate([[lo - 1.0, lo - 1e-3], q])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_log_prob_matches_scipy(cls, dtype, rng):
    params = _params(cls, rng, dtype)
    x = _points(cls, params).astype(dtype)
    d = cls(**params)
    got = np.asarray(jax.jit(lambda d, x: d.log_prob(x))(d, x))
    assert got.dtype == dtype
    want = _scipy(cls, params).logpdf(x.astype(np.float64))
    assert np.all(np.isneginf(got[:2])) and np.all(np.isneginf(want[:2]))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(got[2:], want[2:], rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "d, ref",
    [
        (Gamma(0.5, 2.0), [np.inf]),
        (Gamma(1.0, 2.0), [np.log(2.0)]),
        (Gamma(3.0, 2.0), [-np.inf]),
        (Exponential(2.0), [np.log(2.0)]),
        (Weibull(2.0, 0.5), [np.inf]),
        (Weibull(2.0, 1.0), [-np.log(2.0)]),
        (Weibull(2.0, 3.0), [-np.inf]),
        (InverseGamma(2.0, 1.0), [-np.inf]),
    ],
    ids=["gamma<1", "gamma=1", "gamma>1", "exponential", "weibull<1", "weibull=1", "weibull>1", "inversegamma"],
)
def test_log_prob_at_zero_follows_scipy(d, ref):
    assert float(d.log_prob(0.0)) == ref[0]


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_entropy_mean_variance_match_scipy(cls, rng):
    for _ in range(3):
        params = _params(cls, rng)
        d = cls(**params)
        ref = _scipy(cls, params)
        np.testing.assert_allclose(float(d.entropy()), ref.entropy(), rtol=1e-12)
        np.testing.assert_allclose(float(d.mean), ref.mean(), rtol=1e-12)
        np.testing.assert_allclose(float(d.variance), ref.var(), rtol=1e-12)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_float32_entropy_mean_variance(cls, rng):
    params = _params(cls, rng, np.float32)
    d = cls(**params)
    ref = _scipy(cls, params)
    for got, want in [(d.entropy(), ref.entropy()), (d.mean, ref.mean()), (d.variance, ref.var())]:
        assert got.dtype == np.float32
        np.testing.assert_allclose(float(got), want, rtol=2e-5, atol=1e-6)


def test_infinite_moments():
    np.testing.assert_array_equal(np.asarray(InverseGamma(jnp.array([0.5, 1.0, 1.5]), 1.0).mean), [np.inf, np.inf, 2.0])
    v = np.asarray(InverseGamma(jnp.array([1.5, 2.0, 3.0]), 1.0).variance)
    np.testing.assert_array_equal(v[:2], [np.inf, np.inf])
    np.testing.assert_allclose(v[2], 0.25)
    np.testing.assert_array_equal(np.asarray(Pareto(1.0, jnp.array([0.5, 1.0])).mean), [np.inf, np.inf])
    np.testing.assert_array_equal(np.asarray(Pareto(1.0, jnp.array([1.5, 2.0])).variance), [np.inf, np.inf])


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_sample_shape_dtype_and_moments(cls, rng):
    params = _params(cls, rng)
    ref = _scipy(cls, params)
    batch = {k: np.full((2,), v) for k, v in params.items()}
    d = cls(**batch)
    x = jax.jit(lambda d, k: d.sample(k, (20000,)))(d, jax.random.key(0))
    assert x.shape == (20000, 2) and x.dtype == np.float64
    lo = ref.support()[0]
    assert np.all(np.asarray(x) >= lo)
    # The median and the quartiles exist for every case (Pareto and InverseGamma have heavy tails).
    qs = np.quantile(np.asarray(x[:, 0]), [0.25, 0.5, 0.75])
    np.testing.assert_allclose(qs, ref.ppf([0.25, 0.5, 0.75]), rtol=0.05)


@pytest.mark.parametrize("cls", [Exponential, Weibull, Pareto], ids=lambda c: c.__name__)
def test_float32_sample(cls, rng):
    x = cls(**_params(cls, rng, np.float32)).sample(jax.random.key(1), 3)
    assert x.shape == (3,) and x.dtype == np.float32


@pytest.mark.parametrize(
    "make, mean_fn",
    [
        (lambda t: Gamma(2.0 + t, 1.5 + t), lambda t: (2.0 + t) / (1.5 + t)),
        (lambda t: Exponential(1.5 + t), lambda t: 1.0 / (1.5 + t)),
        (lambda t: Weibull(1.0 + t, 2.0 + t), lambda t: Weibull(1.0 + t, 2.0 + t).mean),
        (lambda t: Pareto(1.0 + t, 4.0 + t), lambda t: (1.0 + t) * (4.0 + t) / (3.0 + t)),
    ],
    ids=["Gamma", "Exponential", "Weibull", "Pareto"],
)
def test_sample_is_reparameterized(make, mean_fn):
    """The pathwise gradient of the sample mean estimates the gradient of the mean."""
    key = jax.random.key(3)
    g = jax.jit(jax.grad(lambda t: jnp.mean(make(t).sample(key, (40000,)))))(0.0)
    np.testing.assert_allclose(float(g), float(jax.grad(mean_fn)(0.0)), rtol=0.05, atol=0.005)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_vmap_and_pytree(cls, rng):
    rows = [_params(cls, rng) for _ in range(3)]
    stacked = {k: np.stack([r[k] for r in rows]) for k in rows[0]}
    d = cls(**stacked)
    x = np.asarray(_scipy(cls, rows[0]).ppf(0.7))
    batched = d.log_prob(x)
    mapped = jax.vmap(lambda d: d.log_prob(x))(d)
    np.testing.assert_allclose(np.asarray(mapped), np.asarray(batched), rtol=1e-14)
    leaves, tree = jax.tree_util.tree_flatten(d)
    assert len(leaves) == len(cls._params)
    back = jax.tree_util.tree_unflatten(tree, leaves)
    assert type(back) is cls and back.batch_shape == (3,)
    doubled = jax.tree.map(lambda v: v * 2.0, d)
    for name in cls._params:
        np.testing.assert_allclose(np.asarray(getattr(doubled, name)), 2.0 * stacked[name])


def test_broadcasting_batch_shape():
    d = Gamma(np.ones((3, 1)), np.ones((4,)))
    assert d.batch_shape == (3, 4)
    assert jax.jit(lambda d: d.entropy())(d).shape == (3, 4)
    w = Weibull(np.ones((2, 1)), np.ones(5))
    assert jax.jit(lambda w: w.sample(jax.random.key(0), (7,)))(w).shape == (7, 2, 5)


def test_subclasses_are_gammas():
    e = Exponential(np.array([0.5, 2.0]))
    assert isinstance(e, Gamma)
    np.testing.assert_array_equal(np.asarray(e.concentration), [1.0, 1.0])
    np.testing.assert_allclose(np.asarray(e.log_prob(0.7)), np.asarray(Gamma(1.0, e.rate).log_prob(0.7)), rtol=1e-14)
    np.testing.assert_allclose(np.asarray(e.entropy()), np.asarray(Gamma(1.0, e.rate).entropy()), rtol=1e-14)
    c = Chi2(np.array([3.0, 7.0]))
    assert isinstance(c, Gamma)
    np.testing.assert_allclose(np.asarray(c.concentration), [1.5, 3.5])
    np.testing.assert_allclose(np.asarray(c.rate), [0.5, 0.5])
    np.testing.assert_allclose(np.asarray(c.mean), [3.0, 7.0])
    assert len(jax.tree_util.tree_leaves(c)) == 1 and len(jax.tree_util.tree_leaves(e)) == 1


def test_low_precision_parameters_compute_in_float32():
    d = Gamma(jnp.asarray(2.0, jnp.bfloat16), jnp.asarray(1.0, jnp.bfloat16))
    assert d.dtype == np.float32
    assert d.log_prob(np.float32(1.0)).dtype == np.float32
    assert Pareto(jnp.asarray(1.0, jnp.float16), jnp.asarray(3.0, jnp.float16)).entropy().dtype == np.float32


def test_integer_parameters_promote():
    assert Gamma(2, 1).concentration.dtype == jnp.result_type(float)
    assert Chi2(3).df.dtype == jnp.result_type(float)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Gamma(-1.0, 1.0, validate_args=True),
        lambda: Exponential(0.0, validate_args=True),
        lambda: Chi2(-2.0, validate_args=True),
        lambda: InverseGamma(1.0, -1.0, validate_args=True),
        lambda: Weibull(1.0, -1.0, validate_args=True),
        lambda: Pareto(0.0, 1.0, validate_args=True),
    ],
    ids=["Gamma", "Exponential", "Chi2", "InverseGamma", "Weibull", "Pareto"],
)
def test_validate_args(make):
    with pytest.raises(ValueError, match="must be positive"):
        make()
