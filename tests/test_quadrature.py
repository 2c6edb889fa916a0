"""quadrature_kl against scipy.integrate.quad of the scipy.stats densities and against the
closed forms; jit, vmap and grad; support mismatch; unsupported inputs."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import integrate, stats
from scipy.special import logsumexp

from jaxkl.distributions import (
    Beta,
    Categorical,
    Cauchy,
    Gamma,
    HalfCauchy,
    HalfNormal,
    InverseGamma,
    Laplace,
    Logistic,
    LogNormal,
    MixtureSameFamily,
    MultivariateNormal,
    Normal,
    Pareto,
    Poisson,
    StudentT,
    Uniform,
    Weibull,
)
from jaxkl.distributions._base import Distribution
from jaxkl.quadrature import quadrature_kl
from jaxkl.registry import kl_divergence


def _quad_ref(sp, sq, points=(), lo=-np.inf, hi=np.inf):
    """∫ p (log p − log q) by scipy.integrate.quad, split at ``points`` (kinks, centres)."""

    def f(x):
        lp = sp.logpdf(x)
        return 0.0 if np.exp(lp) == 0.0 else np.exp(lp) * (lp - sq.logpdf(x))

    edges = [lo, *sorted(points), hi]
    with warnings.catch_warnings():  # quad reports round-off once it reaches ~1e-14
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        return sum(
            integrate.quad(f, a, b, epsabs=0.0, epsrel=1e-13, limit=400)[0] for a, b in zip(edges[:-1], edges[1:])
        )


_W, _MU, _SD = np.array([0.3, 0.5, 0.2]), np.array([-2.0, 0.5, 3.0]), np.array([0.5, 1.0, 0.3])


class _MixRef:
    def __init__(self, w, mu, sd):
        self.w, self.mu, self.sd = w, mu, sd

    def logpdf(self, x):
        return float(logsumexp(np.log(self.w) + stats.norm(self.mu, self.sd).logpdf(x)))


# name -> (p, q, scipy p, scipy q, split points, rtol)
SMOOTH = {
    "StudentT||Normal": (
        StudentT(4.0, 0.3, 1.2),
        Normal(0.0, 1.0),
        stats.t(4, 0.3, 1.2),
        stats.norm(0, 1),
        [0.3],
        1e-10,
    ),
    "Normal||StudentT": (Normal(0.3, 1.2), StudentT(3.0, 0.0, 1.0), stats.norm(0.3, 1.2), stats.t(3), [0.3], 1e-10),
    "Logistic||Normal": (
        Logistic(0.3, 0.7),
        Normal(-0.2, 1.5),
        stats.logistic(0.3, 0.7),
        stats.norm(-0.2, 1.5),
        [0.3],
        1e-10,
    ),
    "Mixture||Normal": (
        MixtureSameFamily(Categorical(probs=_W), Normal(_MU, _SD)),
        Normal(0.2, 1.7),
        _MixRef(_W, _MU, _SD),
        stats.norm(0.2, 1.7),
        list(_MU),
        1e-10,
    ),
    "Normal||Mixture": (
        Normal(0.2, 1.7),
        MixtureSameFamily(Categorical(probs=_W), Normal(_MU, _SD)),
        stats.norm(0.2, 1.7),
        _MixRef(_W, _MU, _SD),
        list(_MU),
        1e-10,
    ),
    "Cauchy||StudentT": (
        Cauchy(0.3, 1.2),
        StudentT(1.5, -0.5, 0.8),
        stats.cauchy(0.3, 1.2),
        stats.t(1.5, -0.5, 0.8),
        [-0.5, 0.3],
        1e-10,
    ),
    "Normal||Cauchy": (
        Normal(0.3, 1.2),
        Cauchy(-0.5, 0.8),
        stats.norm(0.3, 1.2),
        stats.cauchy(-0.5, 0.8),
        [0.3],
        1e-10,
    ),
    "Normal||Laplace": (
        Normal(0.3, 1.2),
        Laplace(-0.5, 0.8),
        stats.norm(0.3, 1.2),
        stats.laplace(-0.5, 0.8),
        [-0.5, 0.3],
        1e-8,
    ),
    "narrow StudentT||Normal far": (
        StudentT(5.0, 30.0, 1e-3),
        Normal(0.0, 1.0),
        stats.t(5, 30.0, 1e-3),
        stats.norm(),
        [29.99, 30.0, 30.01],
        1e-10,
    ),
    "narrow Normal||Laplace": (
        Normal(0.0, 1e-3),
        Laplace(5e-4, 1.0),
        stats.norm(0.0, 1e-3),
        stats.laplace(5e-4, 1.0),
        [-0.01, 0.0, 5e-4, 0.01],
        1e-8,
    ),
}


@pytest.mark.parametrize("name", list(SMOOTH))
def test_matches_scipy_quad(name):
    p, q, sp, sq, points, rtol = SMOOTH[name]
    want = _quad_ref(sp, sq, points)
    got = float(quadrature_kl(p, q))
    np.testing.assert_allclose(got, want, rtol=rtol)


def _closed_form_batches():
    """Batches (p, q) with a registered closed form: generic, narrow p, far apart."""
    return {
        "Normal||Normal": (
            Normal(np.array([0.3, 100.0, 0.0, -2.0]), np.array([1.2, 1e-3, 1e-3, 5.0])),
            Normal(np.array([-0.5, 0.0, 0.3, 40.0]), np.array([0.8, 1.0, 2.0, 0.5])),
        ),
        "Normal||Laplace": (
            Normal(np.array([0.3, 3.0, 0.0, -2.0]), np.array([1.2, 1e-3, 1e-3, 5.0])),
            Laplace(np.array([-0.5, 0.0, 2e-4, 30.0]), np.array([0.8, 1.0, 1.0, 0.5])),
        ),
        "Laplace||Normal": (
            Laplace(np.array([0.3, 3.0, 0.0]), np.array([1.2, 1e-3, 2.0])),
            Normal(np.array([-0.5, 0.0, 20.0]), np.array([0.8, 1.0, 0.5])),
        ),
        "Laplace||Laplace": (
            Laplace(np.array([0.3, 3.0, 0.0]), np.array([1.2, 1e-3, 2.0])),
            Laplace(np.array([-0.5, 3.0001, 20.0]), np.array([0.8, 1e-3, 0.5])),
        ),
        "Gamma||Gamma": (
            Gamma(np.array([2.5, 0.3, 1e3, 1.0]), np.array([1.3, 1.3, 1e3, 0.01])),
            Gamma(np.array([0.7, 0.7, 900.0, 5.0]), np.array([0.4, 0.4, 1e3, 2.0])),
        ),
        "Beta||Beta": (
            Beta(np.array([2.5, 1.0, 300.0, 3.0]), np.array([1.3, 2.0, 200.0, 1.0])),
            Beta(np.array([0.7, 0.5, 1.0, 3.5]), np.array([3.4, 0.5, 1.0, 1.5])),
        ),
        "Uniform||Normal": (Uniform(np.array([-1.0, 0.0]), np.array([2.0, 1e-3])), Normal(0.0, np.array([1.0, 3.0]))),
        "Cauchy||Cauchy": (Cauchy(np.array([0.3, 0.0]), np.array([1.2, 1e-3])), Cauchy(-0.5, np.array([0.8, 1.0]))),
        # the half-line families centre the nodes by their own formulas (HalfCauchy, whose
        # mean is infinite, had no centre and gave 0)
        "HalfCauchy||HalfCauchy": (HalfCauchy(np.array([1.0, 1e-3, 50.0])), HalfCauchy(np.array([2.0, 1.0, 0.3]))),
        "HalfNormal||HalfNormal": (HalfNormal(np.array([1.0, 1e-3, 50.0])), HalfNormal(np.array([2.0, 1.0, 0.3]))),
        "LogNormal||LogNormal": (
            LogNormal(np.array([0.0, 3.0, -2.0]), np.array([1.0, 1e-2, 2.0])),
            LogNormal(np.array([0.5, 3.0, 1.0]), np.array([2.0, 0.5, 0.7])),
        ),
        "Weibull||Weibull": (
            Weibull(np.array([1.0, 3.0, 0.2]), np.array([2.0, 0.7, 5.0])),
            Weibull(np.array([2.0, 2.5, 0.3]), np.array([1.5, 1.0, 4.0])),
        ),
        "InverseGamma||InverseGamma": (
            InverseGamma(np.array([3.0, 0.8, 50.0]), np.array([2.0, 1.0, 40.0])),
            InverseGamma(np.array([2.0, 1.5, 45.0]), np.array([1.0, 2.0, 40.0])),
        ),
    }


@pytest.mark.parametrize("name", list(_closed_form_batches()))
def test_matches_closed_form_float64(name):
    p, q = _closed_form_batches()[name]
    want = np.asarray(kl_divergence(p, q))
    got = np.asarray(jax.jit(quadrature_kl)(p, q))
    assert got.shape == want.shape
    rtol = 1e-8 if "Laplace" in name else 1e-10
    np.testing.assert_allclose(got, want, rtol=rtol)


def _f32(d):
    return jax.tree.map(lambda v: jnp.asarray(v, jnp.float32), d)


@pytest.mark.parametrize("name", ["Normal||Normal", "Normal||Laplace", "Gamma||Gamma", "Beta||Beta"])
def test_float32(name):
    """float32: relative error ≤ 1e-4 against the float64 closed form at the same rounded
    parameters. Excluded: the narrow far-off Normal rows (float32 places their nodes only to
    ulp(loc)/scale) and the concentrations of several hundred (float32 log densities there
    are sums of terms ~1e4 that cancel to O(1), losing 3e-4 before any quadrature)."""
    p, q = _closed_form_batches()[name]
    p, q = _f32(p), _f32(q)
    got = quadrature_kl(p, q)
    assert got.dtype == jnp.float32
    want = np.asarray(
        kl_divergence(
            jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), p),
            jax.tree.map(lambda v: jnp.asarray(v, jnp.float64), q),
        )
    )
    keep = (
        np.array([True, True, False, True])
        if name in ("Gamma||Gamma", "Beta||Beta")
        else np.array([True, False, True, True])
    )
    np.testing.assert_allclose(np.asarray(got)[keep], want[keep], rtol=1e-4)


def test_float32_student_normal():
    p, q = StudentT(np.float32(4.0), np.float32(0.3), np.float32(1.2)), Normal(np.float32(0.0), np.float32(1.0))
    want = _quad_ref(stats.t(4, float(np.float32(0.3)), float(np.float32(1.2))), stats.norm(), [0.3])
    np.testing.assert_allclose(float(quadrature_kl(p, q)), want, rtol=1e-4)


def test_near_identical_relative_accuracy():
    """Parameters a relative 1e-4 apart: KL ~ 1e-8 with relative error ~ ε/δ, not ε/δ²."""
    d = 1e-4
    p = Normal(np.array([0.3, 0.3]), np.array([1.2, 1.2]))
    q = Normal(np.array([0.3 + d, 0.3]), np.array([1.2, 1.2 * (1 + d)]))
    np.testing.assert_allclose(quadrature_kl(p, q), kl_divergence(p, q), rtol=1e-10)
    assert float(quadrature_kl(Normal(0.3, 1.2), Normal(0.3, 1.2))) == 0.0
    assert float(quadrature_kl(StudentT(3.0, 0.3, 1.2), StudentT(3.0, 0.3, 1.2))) == 0.0


def test_broadcast_vmap_jit():
    locs = np.linspace(-1.0, 1.0, 5)
    p = StudentT(4.0, locs[:, None], 1.2)  # [5, 1]
    q = Normal(0.0, np.array([0.5, 1.0, 2.0]))  # [3]
    got = quadrature_kl(p, q)
    assert got.shape == (5, 3)
    f = jax.jit(jax.vmap(lambda m, s: quadrature_kl(StudentT(4.0, m, 1.2), Normal(0.0, s)), (0, None)))
    np.testing.assert_allclose(f(locs, np.array([0.5, 1.0, 2.0])), got, rtol=1e-13)
    np.testing.assert_allclose(
        got[1, 2], _quad_ref(stats.t(4, locs[1], 1.2), stats.norm(0, 2.0), [locs[1]]), rtol=1e-10
    )


def test_grad_matches_closed_form():
    """jax.grad w.r.t. every parameter of p and q equals the closed form's gradient."""

    def both(pc, qc, P, Q):
        fq = jax.jit(jax.grad(lambda a, b: quadrature_kl(P(*a), Q(*b)), (0, 1)))(pc, qc)
        fc = jax.grad(lambda a, b: kl_divergence(P(*a), Q(*b)), (0, 1))(pc, qc)
        return fq, fc

    cases = [
        ((0.3, 1.2), (-0.5, 0.8), Normal, Normal, 1e-9),
        ((0.3, 1.2), (-0.5, 0.8), Normal, Laplace, 1e-7),
        ((2.5, 1.3), (0.7, 0.4), Gamma, Gamma, 1e-9),
        ((-1.0, 2.0), (0.3, 1.5), Uniform, Normal, 1e-9),  # includes the moving support ends
    ]
    for pc, qc, P, Q, rtol in cases:
        fq, fc = both(tuple(map(jnp.float64, pc)), tuple(map(jnp.float64, qc)), P, Q)
        np.testing.assert_allclose(
            np.array(fq), np.array(fc), rtol=rtol, atol=1e-12, err_msg=f"{P.__name__}||{Q.__name__}"
        )


def test_check_grads_no_closed_form():
    f = lambda df, m, s, mq, sq: quadrature_kl(StudentT(df, m, s), Normal(mq, sq))  # noqa: E731
    check_grads(f, (4.0, 0.3, 1.2, -0.2, 1.5), order=1, modes=["rev"], rtol=1e-6)
    w = jnp.array([0.3, 0.7])
    g = lambda mu, sd, mq: quadrature_kl(MixtureSameFamily(Categorical(probs=w), Normal(mu, sd)), Normal(mq, 1.3))  # noqa: E731
    check_grads(g, (jnp.array([-1.0, 2.0]), jnp.array([0.5, 1.0]), 0.4), order=1, modes=["rev"], rtol=1e-6)


def test_support_mismatch_is_inf():
    # p has mass where q has none: elementwise along the batch
    got = quadrature_kl(Uniform(np.array([-1.0, 0.5, 0.0]), 2.0), Uniform(0.0, np.array([3.0, 3.0, 1.5])))
    np.testing.assert_array_equal(np.isinf(got), [True, False, True])
    np.testing.assert_allclose(got[1], np.log(3.0 / 1.5), rtol=1e-12)
    assert np.isinf(quadrature_kl(Normal(0.0, 1.0), HalfNormal(1.0)))
    assert np.isinf(quadrature_kl(Beta(2.0, 3.0), Uniform(0.2, 0.8)))
    assert np.isinf(quadrature_kl(Gamma(2.0, 1.0), Pareto(1.0, 2.0)))
    assert np.isfinite(quadrature_kl(HalfNormal(1.0), Normal(0.0, 1.0)))
    np.testing.assert_allclose(quadrature_kl(HalfNormal(1.0), Normal(0.0, 1.0)), np.log(2.0), rtol=1e-12)
    assert np.isinf(quadrature_kl(Cauchy(0.0, 1.0), Normal(0.0, 1.0)))  # E_p[x²] diverges
    assert np.isinf(quadrature_kl(HalfCauchy(1.0), HalfNormal(2.0)))  # the same on the half-line
    # gradients stay finite on the finite entries
    g = jax.grad(lambda s: jnp.sum(quadrature_kl(Normal(0.0, s), Normal(np.array([0.0, 40.0]), 1.0))))(1e-3)
    assert np.isfinite(g)


def test_unsupported_types_raise():
    with pytest.raises(TypeError, match="Poisson"):
        quadrature_kl(Poisson(2.0), Poisson(3.0))
    with pytest.raises(TypeError, match="Categorical"):
        quadrature_kl(Normal(0.0, 1.0), Categorical(probs=np.array([0.5, 0.5])))
    with pytest.raises(TypeError, match="MultivariateNormal"):
        quadrature_kl(MultivariateNormal(np.zeros(2), np.eye(2)), MultivariateNormal(np.zeros(2), np.eye(2)))

    class Odd(Distribution):
        _params = ("a",)

        def __init__(self, a):
            self._set(a=jnp.asarray(a))

    with pytest.raises(TypeError, match="Odd"):
        quadrature_kl(Odd(1.0), Normal(0.0, 1.0))
