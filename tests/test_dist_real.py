"""Real-line and location-scale families against scipy.stats: densities, moments, samples,
transformations (jit, vmap, pytrees) and parameter handling."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats
from tables import cases

from jaxkl.distributions import Cauchy, Gumbel, HalfCauchy, HalfNormal, Laplace, Logistic, LogNormal, Normal, StudentT

CASES = cases(["real"])  # the families of this support (tests/distributions/)

FAMILIES = list(CASES)
IDS = [c.__name__ for c in FAMILIES]
HALF_LINE = (LogNormal, HalfNormal, HalfCauchy)
LOC_SCALE = (Normal, Laplace, Cauchy, Gumbel, Logistic)


def _params(cls, rng, dtype=np.float64):
    return {k: np.asarray(v, dtype) for k, v in CASES[cls].params(rng).items()}


def _scipy(cls, params):
    return CASES[cls].scipy(**{k: float(v) for k, v in params.items()})


def _points(cls, params):
    """Evaluation points spanning the bulk and the tails, with points outside the support."""
    if cls in HALF_LINE:
        ref = _scipy(cls, params)
        q = ref.ppf(np.array([1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6]))
        return np.concatenate([[-2.0, -1e-3, 0.0], q])
    loc = float(params["loc"])
    scale = float(params["scale"])
    z = np.array([-30.0, -5.0, -1.0, -0.1, 0.0, 0.3, 1.0, 4.0, 30.0])
    return loc + scale * z


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_log_prob_matches_scipy(cls, dtype, rng):
    params = _params(cls, rng, dtype)
    x = _points(cls, params).astype(dtype)
    d = cls(**params)
    got = np.asarray(jax.jit(lambda d, x: d.log_prob(x))(d, x))
    assert got.dtype == dtype
    want = _scipy(cls, params).logpdf(x.astype(np.float64))
    tol = 1e-12 if dtype == np.float64 else 3e-6
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize(
    "d, ref",
    [
        (Cauchy(np.float32(0.0), np.float32(1e-3)), stats.cauchy(0.0, 1e-3)),
        (HalfCauchy(np.float32(1e-3)), stats.halfcauchy(scale=1e-3)),
        (StudentT(np.float32(3.0), np.float32(0.0), np.float32(1e-3)), stats.t(3.0, 0.0, 1e-3)),
    ],
    ids=["Cauchy", "HalfCauchy", "StudentT"],
)
def test_log_prob_far_tail_heavy_tailed(d, ref):
    """log(1 + z²) must not overflow where z² exceeds the float32 range."""
    x = np.float32(1e30)
    np.testing.assert_allclose(float(d.log_prob(x)), ref.logpdf(float(x)), rtol=1e-6)


def _moments(d):
    return d.entropy(), d.mean, d.variance


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_entropy_mean_variance_match_scipy(cls, rng):
    points = [_params(cls, rng) for _ in range(3)]
    batched = {k: np.array([p[k] for p in points]) for k in points[0]}
    got = jax.jit(_moments)(cls(**batched))
    for i, params in enumerate(points):
        ref = _scipy(cls, params)
        for g, want in zip(got, (ref.entropy(), ref.mean(), ref.var())):
            np.testing.assert_allclose(float(g[i]), want, rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_float32_entropy_and_moments(cls, rng):
    params = _params(cls, rng, np.float32)
    ref = _scipy(cls, params)
    got = jax.jit(_moments)(cls(**params))
    for g, want in zip(got, (ref.entropy(), ref.mean(), ref.var())):
        assert g.dtype == np.float32
        np.testing.assert_allclose(float(g), want, rtol=1e-5, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_samples_follow_the_distribution(cls, rng):
    """Kolmogorov-Smirnov test of 4000 seeded draws against scipy's cdf."""
    params = _params(cls, rng)
    d = cls(**params)
    x = np.asarray(jax.jit(lambda d, k: d.sample(k, (4000,)))(d, jax.random.key(0)))
    assert x.shape == (4000,) and x.dtype == np.float64
    assert stats.kstest(x, _scipy(cls, params).cdf).pvalue > 1e-3
    if cls not in (Cauchy, HalfCauchy):
        ref = _scipy(cls, params)
        np.testing.assert_allclose(x.mean(), ref.mean(), atol=6 * ref.std() / np.sqrt(4000))


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_shapes_and_broadcasting(cls, rng):
    params = _params(cls, rng)
    names = list(params)
    # the first parameter varies along a (3, 1) axis, the last along (4,)
    shaped = dict(params)
    if len(names) == 1:
        shaped[names[0]] = params[names[0]] * np.linspace(0.8, 1.2, 12).reshape(3, 4)
    else:
        shaped[names[0]] = params[names[0]] * np.linspace(0.8, 1.2, 3)[:, None]
        shaped[names[-1]] = params[names[-1]] * np.linspace(0.9, 1.1, 4)
    d = cls(**shaped)
    assert d.batch_shape == (3, 4) and d.event_shape == ()

    def shape(f, *args):
        return jax.eval_shape(f, d, *args).shape

    key = jax.random.key(1)
    assert shape(lambda d, k: d.sample(k, (5,)), key) == (5, 3, 4)
    assert shape(lambda d, k: d.sample(k, 2), key) == (2, 3, 4)
    assert shape(lambda d, x: d.log_prob(x), np.ones((2, 1, 1))) == (2, 3, 4)
    assert shape(lambda d: d.entropy()) == (3, 4)
    assert shape(lambda d: d.mean) == (3, 4) and shape(lambda d: d.variance) == (3, 4)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_pytree_jit_vmap(cls, rng):
    params = {k: v * np.linspace(0.9, 1.1, 3) for k, v in _params(cls, rng).items()}
    d = cls(**params)
    leaves, treedef = jax.tree_util.tree_flatten(d)
    assert len(leaves) == len(params)
    d2 = jax.tree_util.tree_unflatten(treedef, leaves)
    assert type(d2) is cls and d2.batch_shape == (3,)
    doubled = jax.tree_util.tree_map(lambda v: v * 1.0, d)
    x = np.float64(0.7)
    np.testing.assert_array_equal(doubled.log_prob(x), d.log_prob(x))
    per_elem = jax.vmap(lambda e: e.log_prob(x))(d)
    np.testing.assert_allclose(per_elem, d.log_prob(x), rtol=1e-14)
    np.testing.assert_allclose(jax.jit(lambda e: e.entropy())(d), d.entropy(), rtol=1e-14)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_reparameterized_gradients(cls, rng):
    """Pathwise derivatives of the samples (forward mode) match central differences.

    StudentT's ``df`` is held fixed: its derivative is the implicit (quantile) gradient of
    jax's gamma sampler, not the derivative of the rejection sampler's path.
    """
    assert cls.reparameterized
    params = _params(cls, rng)
    fixed = {k: v for k, v in params.items() if k == "df"}
    names = [k for k in params if k != "df"]
    key = jax.random.key(3)

    def draw(*vals):
        return cls(**fixed, **dict(zip(names, vals))).sample(key, (32,))

    @jax.jit
    def derivatives(vals):
        out = []
        for i in range(len(vals)):
            tangent = tuple(jnp.ones_like(v) if j == i else jnp.zeros_like(v) for j, v in enumerate(vals))
            h = 1e-6 * jnp.maximum(1.0, jnp.abs(vals[i]))
            up = tuple(v + h if j == i else v for j, v in enumerate(vals))
            dn = tuple(v - h if j == i else v for j, v in enumerate(vals))
            out.append((jax.jvp(draw, vals, tangent)[1], (draw(*up) - draw(*dn)) / (2 * h)))
        return out

    for exact, fd in derivatives(tuple(jnp.asarray(params[k]) for k in names)):
        assert np.all(np.isfinite(exact))
        np.testing.assert_allclose(exact, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("cls", LOC_SCALE, ids=lambda c: c.__name__)
def test_location_scale_structure(cls):
    key = jax.random.key(4)
    z = cls(0.0, 1.0).sample(key, (10,))
    x = cls(1.5, 3.0).sample(key, (10,))
    np.testing.assert_allclose(x, 1.5 + 3.0 * z, rtol=1e-13)
    np.testing.assert_allclose(cls(1.5, 3.0).log_prob(x), cls(0.0, 1.0).log_prob(z) - np.log(3.0), rtol=1e-12)


@pytest.mark.parametrize("cls", HALF_LINE, ids=lambda c: c.__name__)
def test_outside_support_is_minus_inf_with_zero_gradient(cls):
    params = {"loc": 0.3, "scale": 1.2} if cls is LogNormal else {"scale": 1.2}
    x = jnp.array([-1.0, -1e-6] + ([0.0] if cls is LogNormal else []))
    assert np.all(np.isneginf(jax.jit(lambda x: cls(**params).log_prob(x))(x)))
    g = jax.jit(jax.grad(lambda s: cls(**{**params, "scale": s}).log_prob(x).sum()))(1.2)
    assert g == 0.0
    gx = jax.jit(jax.grad(lambda x: cls(**params).log_prob(x).sum()))(x)
    assert np.all(gx == 0.0)


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_half_precision_computes_in_float32(cls, rng):
    params = _params(cls, rng)
    d = cls(**{k: jnp.asarray(v, jnp.bfloat16) for k, v in params.items()})
    assert d.dtype == np.float32
    assert jax.eval_shape(lambda d: d.log_prob(1.0), d).dtype == np.float32
    assert jax.eval_shape(lambda d: d.entropy(), d).dtype == np.float32
    assert jax.eval_shape(lambda d, k: d.sample(k, (2,)), d, jax.random.key(0)).dtype == np.float32
    assert np.isfinite(float(jax.jit(lambda d: d.log_prob(1.0))(d)))


@pytest.mark.parametrize("cls", FAMILIES, ids=IDS)
def test_validate_args_rejects_bad_scale(cls, rng):
    params = _params(cls, rng)
    params["scale"] = np.float64(-1.0)
    with pytest.raises(ValueError, match="scale"):
        cls(**params, validate_args=True)
    cls(**params)  # unchecked by default
