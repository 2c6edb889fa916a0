"""Wishart: log_prob, moments and samples against scipy.stats; the pair Wishart ‖ Wishart in its
three parameterizations against 50-digit mpmath and Monte Carlo."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import stats
from tables import METHOD_RTOL, rel_errors, round_trip

from jaxkl.distributions import Wishart
from jaxkl.distributions.wishart import multigammaln
from jaxkl.registry import kl_divergence, registered_pairs

from .test_multivariate_normal import other_root

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
GROUP = "multivariate"
FAMILY = Wishart

_V = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
DOMAIN_POINTS = [
    {"concentration": 4.5, "scale_matrix": _V},
    {"concentration": 4.5, "rate_matrix": np.linalg.inv(_V)},
    {"concentration": 4.5, "scale_tril": np.linalg.cholesky(_V)},
]
DOMAIN_RELATIONS = [{"concentration": 1.5}]  # n ≤ d − 1 = 2

DOMAIN_READINGS = {"scale_tril": other_root}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_methods_vs_scipy(dtype):
    rng = np.random.default_rng(1)
    v = np.stack([_spd(rng, 3) for _ in range(2)])
    n = np.array([4.5, 7.0])
    xs = np.stack([stats.wishart(c, s).rvs(random_state=rng) for c, s in zip(n, v)])
    tol = METHOD_RTOL[dtype] * 50
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


def test_sample_jit_vmap():
    rng = np.random.default_rng(2)
    v = _spd(rng, 2)
    d = Wishart(np.array([5.0, 8.0]), scale_matrix=np.broadcast_to(v, (2, 2, 2)))
    x = jax.jit(lambda d, k: d.sample(k, (40_000,)))(d, jax.random.key(0))
    assert x.shape == (40_000, 2, 2, 2)
    np.testing.assert_allclose(x, np.swapaxes(x, -1, -2), rtol=1e-12)
    np.testing.assert_allclose(x.mean(0), d.mean, atol=5.0 * np.sqrt(np.max(d.variance) / x.shape[0]))
    np.testing.assert_allclose(x.var(0), d.variance, rtol=0.15)
    back = round_trip(d)
    assert back._scale_matrix is not None and back._scale_tril is None
    lp = jax.vmap(lambda d, v: d.log_prob(v))(d, x[0])
    np.testing.assert_allclose(lp, d.log_prob(x[0]), rtol=1e-12)
    g = jax.grad(lambda t: jnp.sum(Wishart(4.0, scale_tril=t).sample(jax.random.key(3))))(jnp.eye(2))
    assert bool(jnp.all(jnp.isfinite(g)))


def test_names_the_matrix_it_stores():
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


RTOL = {np.float64: 1e-10, np.float32: 1e-4}


def _mp_mat(m):
    return mp.matrix([[mp.mpf(float(x)) for x in row] for row in np.asarray(m)])


def ref_wishart(n1, v1, n2, v2):
    """Penny (2001): (n2/2)·log|V2 V1⁻¹| + (n1/2)(tr(V2⁻¹V1) − d) + lΓ_d(n2/2) − lΓ_d(n1/2)
    + ((n1 − n2)/2)·ψ_d(n1/2), with mpmath matrices (V given as mp.matrix)."""
    d = v1.rows
    n1, n2 = mp.mpf(float(n1)), mp.mpf(float(n2))
    t = mp.inverse(v2) * v1
    tr = mp.fsum(t[i, i] for i in range(d))
    ld = mp.log(mp.det(v2)) - mp.log(mp.det(v1))

    def lg(a):
        return mp.fsum(mp.loggamma(a - mp.mpf(i) / 2) for i in range(d))

    def dg(a):
        return mp.fsum(mp.digamma(a - mp.mpf(i) / 2) for i in range(d))

    return n2 / 2 * ld + n1 / 2 * (tr - d) + lg(n2 / 2) - lg(n1 / 2) + (n1 - n2) / 2 * dg(n1 / 2)


def _spd(rng, d, cond=5.0):
    q, _ = np.linalg.qr(rng.standard_normal((d, d)))
    ev = np.exp(rng.uniform(0.0, np.log(cond), d))
    v = (q * ev) @ q.T
    return 0.5 * (v + v.T)


def _wishart_points(rng, d):
    """(n1, V1, n2, V2, regime) over the regimes."""
    pts = []
    for _ in range(2):
        pts.append((d + 2.0 * rng.random(), _spd(rng, d, 10.0), d + 5.0 * rng.random(), _spd(rng, d, 10.0), "generic"))
    for delta in (1e-2, 1e-4, 1e-6):
        v = _spd(rng, d, 100.0)
        e = _spd(rng, d, 10.0)
        pts.append((d + 1.5, v, d + 1.5, v + delta * e / np.linalg.norm(e) * np.linalg.norm(v), f"near V {delta:.0e}"))
        n = d + 3.0
        pts.append((n, v, n * (1 + delta), v, f"near n {delta:.0e}"))
        pts.append((1e5, v, 1e5 * (1 + delta), v * (1 - delta), f"near large n {delta:.0e}"))
    v = _spd(rng, d, 1e6)
    pts.append((d + 0.5, v, d + 2.0, _spd(rng, d, 1e6), "cond 1e6"))
    pts.append((1e5, _spd(rng, d, 10.0), 3e4, _spd(rng, d, 10.0), "large n"))
    return pts


def _to_param(kind, v):
    if kind == "scale_matrix":
        return v
    if kind == "rate_matrix":
        return np.linalg.inv(v)
    return np.linalg.cholesky(v)


def _to_mp_scale(kind, m):
    """The scale matrix, in mpmath, of the (rounded) parameter as given."""
    mm = _mp_mat(m)
    if kind == "scale_matrix":
        return mm
    if kind == "rate_matrix":
        return mp.inverse(mm)
    return mm * mm.T


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["scale_matrix", "rate_matrix", "scale_tril"])
def test_kl_vs_mpmath(kind, dtype):
    rng = np.random.default_rng(11)
    d = 3
    pts = _wishart_points(rng, d)
    if dtype == np.float32:
        pts = [p for p in pts if p[4] != "cond 1e6"]  # float32 cannot resolve condition numbers of 1e6
    n1 = np.array([p[0] for p in pts], dtype)
    n2 = np.array([p[2] for p in pts], dtype)
    m1 = np.array([_to_param(kind, p[1]) for p in pts]).astype(dtype)
    m2 = np.array([_to_param(kind, p[3]) for p in pts]).astype(dtype)
    got = _kl_wishart[kind](n1, m1, n2, m2)
    assert got.dtype == dtype and got.shape == (len(pts),)
    want = [ref_wishart(a, _to_mp_scale(kind, x), b, _to_mp_scale(kind, y)) for a, x, b, y in zip(n1, m1, n2, m2)]
    err = rel_errors(got, want)
    worst = int(np.argmax(err))
    assert err[worst] <= RTOL[dtype], f"{pts[worst][4]}: relative error {err[worst]:.2e}"


def test_kl_vs_monte_carlo():
    """Independent of the textbook formula: the mean of scipy.stats.wishart log-density ratios."""
    rng = np.random.default_rng(2)
    v1, v2 = _spd(rng, 3, 5.0), _spd(rng, 3, 5.0)
    sp, sq = stats.wishart(6.5, v1), stats.wishart(5.0, v2)
    x = sp.rvs(40_000, random_state=np.random.default_rng(3))
    lr = sp.logpdf(np.moveaxis(x, 0, -1)) - sq.logpdf(np.moveaxis(x, 0, -1))
    got = float(kl_divergence(Wishart(6.5, scale_matrix=v1), Wishart(5.0, scale_matrix=v2)))
    assert abs(got - lr.mean()) <= 4.0 * lr.std() / np.sqrt(lr.size)


@pytest.mark.parametrize("batch", [3, 130])  # below and at the unrolled formulation's batch size
def test_kl_identity_offset_factor_both_formulations(batch):
    """chol(I + F) − I, looped (small batches, vmap) or unrolled (large batches), against a
    40-digit mpmath Cholesky, for F of size 1e-9 (where rounding I + F would lose it) and 1."""
    from jaxkl.distributions.wishart_kl import _chol_identity_plus

    rng = np.random.default_rng(5)
    d = 6
    a = rng.standard_normal((batch, d, d))
    f = a @ np.swapaxes(a, -1, -2) / d - 0.3 * np.eye(d)
    with mp.workdps(40):
        for scale in (1e-9, 1.0):
            fs = scale * f
            got = np.asarray(jax.jit(_chol_identity_plus)(jnp.asarray(fs)))
            for i in (0, batch - 1):
                chol = mp.cholesky(mp.eye(d) + mp.matrix(fs[i].tolist())) - mp.eye(d)
                want = np.array(chol.tolist(), dtype=float)
                np.testing.assert_allclose(got[i], want, rtol=1e-12, atol=1e-15 * scale)


def test_kl_shapes_grads_errors():
    rng = np.random.default_rng(4)
    v = np.stack([_spd(rng, 2, 5.0) for _ in range(3)])
    w = np.stack([_spd(rng, 2, 5.0) for _ in range(4)])
    out = kl_divergence(
        Wishart(np.array([3.0, 4.0, 5.0])[:, None], scale_matrix=v[:, None]),
        Wishart(2.5, scale_tril=np.linalg.cholesky(w)),
    )
    assert out.shape == (3, 4) and bool(jnp.all(out > 0))
    one = kl_divergence(Wishart(4.0, scale_matrix=v[1]), Wishart(2.5, scale_tril=np.linalg.cholesky(w[2])))
    np.testing.assert_allclose(out[1, 2], one, rtol=1e-12)
    vm = jax.vmap(lambda a, b: kl_divergence(Wishart(3.0, scale_matrix=a), Wishart(3.5, scale_matrix=b)))(v, w[:3])
    assert vm.shape == (3,)
    np.testing.assert_array_equal(kl_divergence(Wishart(3.0, scale_matrix=v), Wishart(3.0, scale_matrix=v)), 0.0)
    # gradients through every parameterization, and finite at p = q
    tril = jnp.asarray(np.linalg.cholesky(v[0]))
    for kind, m1, m2 in [
        ("scale_matrix", v[0], w[0]),
        ("rate_matrix", np.linalg.inv(v[0]), np.linalg.inv(w[0])),
        ("scale_tril", np.linalg.cholesky(v[0]), np.linalg.cholesky(w[0])),
    ]:
        f = jax.jit(lambda n1, a, n2, b, kind=kind: kl_divergence(Wishart(n1, **{kind: a}), Wishart(n2, **{kind: b})))
        # a scale or rate matrix is symmetric (its domain): the checks' random directions are
        # taken through the symmetric part
        sym = (lambda m: m) if kind == "scale_tril" else (lambda m: 0.5 * (m + m.T))
        check_grads(
            lambda n1, a, n2, b, f=f, sym=sym: f(n1, sym(a), n2, sym(b)),
            (3.5, jnp.asarray(m1), 2.5, jnp.asarray(m2)),
            order=1,
            modes=["rev"],
        )
        g = jax.grad(f, argnums=(0, 1, 2, 3))(3.5, jnp.asarray(m1), 3.5, jnp.asarray(m1))
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in g)
    g = jax.grad(lambda t: kl_divergence(Wishart(3.0, scale_tril=t), Wishart(3.0, scale_tril=tril)))(tril)
    np.testing.assert_allclose(g, 0.0, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3, 3\)"):
        kl_divergence(Wishart(3.0, scale_matrix=v[0]), Wishart(4.0, scale_matrix=np.eye(3)))
    assert (Wishart, Wishart) in set(registered_pairs())


_kl_wishart = {
    kind: jax.jit(lambda n1, m1, n2, m2, kind=kind: kl_divergence(Wishart(n1, **{kind: m1}), Wishart(n2, **{kind: m2})))
    for kind in ("scale_matrix", "rate_matrix", "scale_tril")
}
