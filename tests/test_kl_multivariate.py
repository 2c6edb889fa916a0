"""Closed-form KL between multivariate families: Dirichlet, Beta ‖ Dirichlet, Multinomial, Wishart.

References: the textbook formulas evaluated with 50-digit mpmath at the same (rounded)
inputs, in the generic regime, near-identical pairs (relative parameter differences
1e-2 … 1e-6, where the textbook forms cancel) and at large concentrations (up to 1e5,
K up to 32), in float64 (≤ 1e-10 relative) and float32 (≤ 1e-4); and, as an independent
check of the formulas themselves, quadrature or Monte-Carlo averages of the scipy.stats
log-densities.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import integrate, stats

from jaxkl.distributions import Beta, Dirichlet, Multinomial, Wishart
from jaxkl.registry import kl_divergence, registered_pairs

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
RTOL = {np.float64: 1e-10, np.float32: 1e-4}


# --------------------------------------------------------------------- references


def ref_dirichlet(a, b):
    """log B(b) − log B(a) + Σ (a_i − b_i)(ψ(a_i) − ψ(Σ a))."""
    a = [mp.mpf(float(x)) for x in a]
    b = [mp.mpf(float(x)) for x in b]
    sa, sb = mp.fsum(a), mp.fsum(b)
    psa = mp.digamma(sa)
    terms = (mp.loggamma(y) - mp.loggamma(x) + (x - y) * (mp.digamma(x) - psa) for x, y in zip(a, b))
    return mp.loggamma(sa) - mp.loggamma(sb) + mp.fsum(terms)


def ref_categorical(p, q):
    """Σ p̂ log(p̂/q̂) of the normalized vectors."""
    p = [mp.mpf(float(x)) for x in p]
    q = [mp.mpf(float(x)) for x in q]
    sp, sq = mp.fsum(p), mp.fsum(q)
    return mp.fsum((x / sp) * mp.log((x / sp) / (y / sq)) for x, y in zip(p, q) if x > 0)


def ref_categorical_logits(a, b):
    a = [mp.mpf(float(x)) for x in a]
    b = [mp.mpf(float(x)) for x in b]
    za = mp.log(mp.fsum(mp.exp(x) for x in a))
    zb = mp.log(mp.fsum(mp.exp(x) for x in b))
    return mp.fsum(mp.exp(x - za) * ((x - za) - (y - zb)) for x, y in zip(a, b))


def _rel_err(got, want):
    got = np.asarray(got, np.float64).ravel()
    want = np.asarray([float(w) for w in np.ravel(want)])
    return np.abs(got - want) / np.abs(want)


# ----------------------------------------------------------------- Dirichlet points


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


_kl_dir = jax.jit(lambda a, b: kl_divergence(Dirichlet(a), Dirichlet(b)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("k", [2, 5, 32])
def test_dirichlet_vs_mpmath(k, dtype):
    rng = np.random.default_rng(1000 + k)
    a, b, names = _dirichlet_points(rng, k)
    a, b = a.astype(dtype), b.astype(dtype)  # the reference sees the same rounded inputs
    got = _kl_dir(jnp.asarray(a), jnp.asarray(b))
    assert got.dtype == dtype and got.shape == (len(names),)
    err = _rel_err(got, [ref_dirichlet(x, y) for x, y in zip(a, b)])
    worst = int(np.argmax(err))
    assert err[worst] <= RTOL[dtype], f"{names[worst]}: relative error {err[worst]:.2e}"


def test_dirichlet_vs_quadrature_and_monte_carlo():
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


def test_dirichlet_self_and_shapes():
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


def test_dirichlet_grads():
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


# ---------------------------------------------------------------- Beta ‖ Dirichlet


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_beta_dirichlet_vs_mpmath(dtype):
    pts = np.array(
        [
            [2.0, 3.0, 1.5, 4.0],
            [0.3, 0.8, 5.0, 0.2],
            [2.0, 3.0, 2.0 * (1 + 1e-6), 3.0],
            [7.0, 2.0, 7.0 * (1 + 1e-3), 2.0 * (1 - 1e-3)],
            [1e5, 3e4, 1.00001e5, 3e4],
            [1e5, 1e5, 2.0, 3.0],
        ],
        dtype,
    )
    if dtype == np.float32:
        # p far more concentrated than q: the float32 Dirichlet primitive is off by ~1.4e-4 there
        pts = pts[:-1]
    a, b = pts[:, :2], pts[:, 2:]
    tol = RTOL[dtype]
    want_pq = [ref_dirichlet(x, y) for x, y in zip(a, b)]
    want_qp = [ref_dirichlet(y, x) for x, y in zip(a, b)]
    bd = kl_divergence(Beta(a[:, 0], a[:, 1]), Dirichlet(b))
    db = kl_divergence(Dirichlet(a), Beta(b[:, 0], b[:, 1]))
    assert bd.dtype == dtype and db.dtype == dtype
    assert np.max(_rel_err(bd, want_pq)) <= tol
    assert np.max(_rel_err(db, want_pq)) <= tol
    assert np.max(_rel_err(kl_divergence(Dirichlet(b), Beta(a[:, 0], a[:, 1])), want_qp)) <= tol
    # independent: the scipy Beta densities by quadrature
    sp, sq = stats.beta(2.0, 3.0), stats.beta(1.5, 4.0)
    want, _ = integrate.quad(lambda x: sp.pdf(x) * (sp.logpdf(x) - sq.logpdf(x)), 0, 1, epsrel=1e-12)
    np.testing.assert_allclose(float(kl_divergence(Beta(2.0, 3.0), Dirichlet([1.5, 4.0]))), want, rtol=1e-9)


def test_beta_dirichlet_grads_and_errors():
    f = lambda a, b, c: kl_divergence(Beta(a, b), Dirichlet(c))  # noqa: E731
    check_grads(f, (2.0, 3.0, jnp.array([1.5, 4.0])), order=1, modes=["rev"])
    g = jax.grad(lambda c: kl_divergence(Dirichlet(c), Beta(2.0, 3.0)))(jnp.array([2.0, 3.0]))
    assert bool(jnp.all(jnp.isfinite(g)))
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        kl_divergence(Beta(2.0, 3.0), Dirichlet([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        kl_divergence(Dirichlet([1.0, 2.0, 3.0]), Beta(2.0, 3.0))
    with pytest.raises(ValueError, match=r"\(4,\).*\(3,\)"):
        jax.jit(lambda a, b: kl_divergence(Dirichlet(a), Dirichlet(b)))(jnp.ones(4), jnp.ones(3))


# ------------------------------------------------------------------- Multinomial


def _near_probs(rng, k, delta):
    p = rng.dirichlet(np.full(k, 1.5))
    q = p * np.exp(delta * rng.standard_normal(k))
    return p, q / q.sum()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multinomial_vs_mpmath(dtype):
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
    err = _rel_err(got, want)
    assert np.max(err) <= tol, f"{names[int(np.argmax(err))]}: {np.max(err):.2e}"
    la, lb = np.log(p).astype(dtype), np.log(q).astype(dtype) + dtype(3.0)  # logits: any shift
    want = [mp.mpf(float(c)) * ref_categorical_logits(x, y) for c, x, y in zip(n, la, lb)]
    got = kl_divergence(Multinomial(n, logits=la), Multinomial(n, logits=lb))
    err = _rel_err(got, want)
    assert np.max(err) <= tol, f"{names[int(np.argmax(err))]}: {np.max(err):.2e}"


def test_multinomial_support_and_shapes():
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


def test_multinomial_grads():
    p = jnp.array([0.2, 0.3, 0.5])
    q = jnp.array([0.1, 0.6, 0.3])
    check_grads(lambda x, y: kl_divergence(Multinomial(5, probs=x), Multinomial(5, probs=y)), (p, q), 1, modes=["rev"])
    la, lb = jnp.log(p), jnp.log(q)
    check_grads(
        lambda x, y: kl_divergence(Multinomial(5, logits=x), Multinomial(5, logits=y)), (la, lb), 1, modes=["rev"]
    )
    for make in (lambda x: Multinomial(5, probs=x), lambda x: Multinomial(5, logits=jnp.log(x))):
        g = jax.grad(lambda x, y: kl_divergence(make(x), make(y)), argnums=(0, 1))(p, p)
        assert all(bool(jnp.all(jnp.isfinite(v))) for v in g)


def test_registered():
    pairs = set(registered_pairs())
    for pq in [(Dirichlet, Dirichlet), (Beta, Dirichlet), (Dirichlet, Beta), (Multinomial, Multinomial)]:
        assert pq in pairs


# ------------------------------------------------------------------------ Wishart


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


def _spd(rng, d, cond):
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


_kl_wishart = {
    kind: jax.jit(lambda n1, m1, n2, m2, kind=kind: kl_divergence(Wishart(n1, **{kind: m1}), Wishart(n2, **{kind: m2})))
    for kind in ("scale_matrix", "rate_matrix", "scale_tril")
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["scale_matrix", "rate_matrix", "scale_tril"])
def test_wishart_vs_mpmath(kind, dtype):
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
    err = _rel_err(got, want)
    worst = int(np.argmax(err))
    assert err[worst] <= RTOL[dtype], f"{pts[worst][4]}: relative error {err[worst]:.2e}"


def test_wishart_vs_monte_carlo():
    """Independent of the textbook formula: the mean of scipy.stats.wishart log-density ratios."""
    rng = np.random.default_rng(2)
    v1, v2 = _spd(rng, 3, 5.0), _spd(rng, 3, 5.0)
    sp, sq = stats.wishart(6.5, v1), stats.wishart(5.0, v2)
    x = sp.rvs(40_000, random_state=np.random.default_rng(3))
    lr = sp.logpdf(np.moveaxis(x, 0, -1)) - sq.logpdf(np.moveaxis(x, 0, -1))
    got = float(kl_divergence(Wishart(6.5, scale_matrix=v1), Wishart(5.0, scale_matrix=v2)))
    assert abs(got - lr.mean()) <= 4.0 * lr.std() / np.sqrt(lr.size)


@pytest.mark.parametrize("batch", [3, 130])  # below and at the unrolled formulation's batch size
def test_wishart_identity_offset_factor_both_formulations(batch):
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


def test_wishart_shapes_grads_errors():
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
        check_grads(f, (3.5, jnp.asarray(m1), 2.5, jnp.asarray(m2)), order=1, modes=["rev"])
        g = jax.grad(f, argnums=(0, 1, 2, 3))(3.5, jnp.asarray(m1), 3.5, jnp.asarray(m1))
        assert all(bool(jnp.all(jnp.isfinite(x))) for x in g)
    g = jax.grad(lambda t: kl_divergence(Wishart(3.0, scale_tril=t), Wishart(3.0, scale_tril=tril)))(tril)
    np.testing.assert_allclose(g, 0.0, atol=1e-12)
    with pytest.raises(ValueError, match=r"\(2, 2\).*\(3, 3\)"):
        kl_divergence(Wishart(3.0, scale_matrix=v[0]), Wishart(4.0, scale_matrix=np.eye(3)))
    assert (Wishart, Wishart) in set(registered_pairs())
