"""KL between multivariate normals: values against 50-digit mpmath at the same rounded
inputs (generic, near-identical, ill-conditioned), gradients, batching, errors."""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxkl.distributions import (
    Independent,
    LowRankMultivariateNormal,
    MultivariateNormal,
    MultivariateNormalDiag,
    Normal,
)
from jaxkl.registry import kl_divergence

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)

D, R = 4, 2
TOL = {np.float64: 1e-10, np.float32: 1e-4}
REGIMES = [("generic", 1.0, 1.0), ("near1e-2", 1e-2, 1.0), ("near1e-4", 1e-4, 1.0), ("near1e-6", 1e-6, 1.0)]
REGIMES64 = REGIMES + [("illcond", 1.0, 1e6), ("illcond_near1e-4", 1e-4, 1e6)]


def _spd(rng, cond):
    q, _ = np.linalg.qr(rng.normal(size=(D, D)))
    ev = np.logspace(0, np.log10(cond), D) if cond > 1 else rng.uniform(0.5, 2.0, D)
    a = (q * ev) @ q.T
    return (a + a.T) / 2


def _pair_full(rng, delta, cond):
    a = _spd(rng, cond)
    e = rng.normal(size=(D, D))
    e = (e + e.T) / 2
    e /= 1.5 * np.abs(np.linalg.eigvalsh(e)).max()
    la = np.linalg.cholesky(a)
    b = a + delta * la @ e @ la.T
    mu_q = rng.normal(size=D)
    mu_p = mu_q + delta * rng.normal(size=D) * np.sqrt(np.diag(a))
    return mu_p, (b + b.T) / 2, mu_q, a


def _mpm(x):
    return mp.matrix(np.asarray(x, np.float64).tolist())


def _mp_kl(mu_p, sp, mu_q, sq):
    """50-digit KL(N(mu_p, sp) ‖ N(mu_q, sq)) from mpmath matrices."""
    with mp.workdps(50):
        qi = mp.inverse(sq)
        x = qi * sp
        dm = mu_p - mu_q
        tr = sum(x[i, i] for i in range(D))
        maha = (dm.T * qi * dm)[0, 0]
        return float((tr - D - mp.log(mp.det(sp) / mp.det(sq)) + maha) / 2)


def _tril_mp(lt):
    m = _mpm(np.tril(lt))
    return m * m.T


def _full_cases(rng, dtype, param):
    regimes = REGIMES64 if dtype == np.float64 else REGIMES
    ps, qs, refs, names = [], [], [], []
    for name, delta, cond in regimes:
        for _ in range(2):
            mu_p, sp, mu_q, sq = (np.asarray(v, dtype) for v in _pair_full(rng, delta, cond))
            mp_p, mp_q = _mpm(mu_p), _mpm(mu_q)
            if param == "covariance_matrix":
                gp, gq, rp, rq = sp, sq, _mpm(sp), _mpm(sq)
            elif param == "scale_tril":
                gp = np.linalg.cholesky(sp.astype(np.float64)).astype(dtype)
                gq = np.linalg.cholesky(sq.astype(np.float64)).astype(dtype)
                # the same perturbation applied to the factor keeps the pair near-identical
                gp = (gq + (gp.astype(np.float64) - gq.astype(np.float64))).astype(dtype)
                rp, rq = _tril_mp(gp), _tril_mp(gq)
            else:
                gp, gq = np.linalg.inv(sp).astype(dtype), np.linalg.inv(sq).astype(dtype)
                gp, gq = (gp + gp.T) / 2, (gq + gq.T) / 2
                with mp.workdps(50):
                    rp, rq = mp.inverse(_mpm(gp)), mp.inverse(_mpm(gq))
            ps.append((mu_p, gp))
            qs.append((mu_q, gq))
            refs.append(_mp_kl(mp_p, rp, mp_q, rq))
            names.append(name)
    stack = lambda xs, i: jnp.asarray(np.stack([x[i] for x in xs]))  # noqa: E731
    p = MultivariateNormal(stack(ps, 0), **{param: stack(ps, 1)})
    q = MultivariateNormal(stack(qs, 0), **{param: stack(qs, 1)})
    return p, q, np.array(refs), names


def _check(val, refs, names, dtype):
    # the same bar everywhere, ill-conditioned cases (cond 1e6, float64) included
    val = np.asarray(val, np.float64)
    assert np.all(np.isfinite(val)) and np.all(val >= 0)
    err = np.abs(val - refs) / refs
    bad = err > TOL[dtype]
    assert not bad.any(), {n: e for n, e, b in zip(names, err, bad) if b}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("param", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_mvn_mvn_vs_mpmath(rng, dtype, param):
    p, q, refs, names = _full_cases(rng, dtype, param)
    val = jax.jit(kl_divergence)(p, q)
    assert val.dtype == dtype and val.shape == refs.shape
    _check(val, refs, names, dtype)


def _lowrank_cases(rng, dtype, kind):
    ps, qs, refs, names = [], [], [], []
    for name, delta, _ in REGIMES:
        for _ in range(2):
            dq = rng.uniform(0.5, 2.0, D).astype(dtype)
            wq = rng.normal(size=(D, R)).astype(dtype)
            dp = (dq * (1 + delta * rng.uniform(-0.5, 0.5, D))).astype(dtype)
            wp = (wq + delta * rng.normal(size=(D, R))).astype(dtype)
            mq = rng.normal(size=D).astype(dtype)
            mpv = (mq + delta * rng.normal(size=D)).astype(dtype)
            ps.append((mpv, wp, dp))
            qs.append((mq, wq, dq))
            names.append(name)
    stack = lambda xs, i: jnp.asarray(np.stack([x[i] for x in xs]))  # noqa: E731

    def make(xs, k):
        if k == "lowrank":
            return LowRankMultivariateNormal(stack(xs, 0), stack(xs, 1), stack(xs, 2))
        if k == "diag":
            return MultivariateNormalDiag(stack(xs, 0), jnp.sqrt(stack(xs, 2)))
        if k == "indep":
            return Independent(Normal(stack(xs, 0), jnp.sqrt(stack(xs, 2))), 1)
        return MultivariateNormal(stack(xs, 0), covariance_matrix=stack(xs, 2)[..., None] * jnp.eye(D, dtype=dtype))

    kp, kq = kind.split("-")
    p, q = make(ps, kp), make(qs, kq)

    def mpcov(d, i):
        if isinstance(d, LowRankMultivariateNormal):
            w = _mpm(d.cov_factor[i])
            return w * w.T + mp.diag([mp.mpf(float(x)) for x in d.cov_diag[i]])
        if isinstance(d, MultivariateNormal):
            return _mpm(d.covariance_matrix[i])
        s = d.scale_diag[i] if isinstance(d, MultivariateNormalDiag) else d.base_dist.scale[i]
        return mp.diag([mp.mpf(float(x)) ** 2 for x in s])

    for i in range(len(names)):
        refs.append(_mp_kl(_mpm(p.mean[i]), mpcov(p, i), _mpm(q.mean[i]), mpcov(q, i)))
    return p, q, np.array(refs), names


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "kind",
    [
        "lowrank-lowrank",
        "lowrank-diag",
        "diag-lowrank",
        "diag-diag",
        "indep-lowrank",
        "lowrank-indep",
        "full-diag",
        "diag-full",
        "indep-full",
        "full-indep",
        "full-lowrank",
        "lowrank-full",
        "indep-diag",
    ],
)
def test_structured_pairs_vs_mpmath(rng, dtype, kind):
    p, q, refs, names = _lowrank_cases(rng, dtype, kind)
    val = jax.jit(kl_divergence)(p, q)
    assert val.dtype == dtype
    _check(val, refs, names, dtype)


def test_mixed_parameterizations_and_rank():
    rng = np.random.default_rng(3)
    mu_p, sp, mu_q, sq = _pair_full(rng, 1.0, 1.0)
    ref = _mp_kl(_mpm(mu_p), _mpm(sp), _mpm(mu_q), _mpm(sq))
    reps = {
        "covariance_matrix": (sp, sq),
        "precision_matrix": (np.linalg.inv(sp), np.linalg.inv(sq)),
        "scale_tril": (np.linalg.cholesky(sp), np.linalg.cholesky(sq)),
    }
    for kp in reps:
        for kq in reps:
            p = MultivariateNormal(mu_p, **{kp: reps[kp][0]})
            q = MultivariateNormal(mu_q, **{kq: reps[kq][1]})
            np.testing.assert_allclose(kl_divergence(p, q), ref, rtol=1e-11)
    # low-rank factors of different ranks
    w1, w2 = rng.normal(size=(D, 1)), rng.normal(size=(D, 3))
    d1, d2 = rng.uniform(0.5, 2, D), rng.uniform(0.5, 2, D)
    p = LowRankMultivariateNormal(mu_p, w1, d1)
    q = LowRankMultivariateNormal(mu_q, w2, d2)
    ref = _mp_kl(_mpm(mu_p), _mpm(w1 @ w1.T + np.diag(d1)), _mpm(mu_q), _mpm(w2 @ w2.T + np.diag(d2)))
    np.testing.assert_allclose(kl_divergence(p, q), ref, rtol=1e-11)


def _grad_points():
    rng = np.random.default_rng(7)
    mu_p, sp, mu_q, sq = _pair_full(rng, 0.5, 1.0)
    return rng, mu_p, sp, mu_q, sq


@pytest.mark.parametrize("param", ["covariance_matrix", "scale_tril", "precision_matrix"])
def test_grads_full(param):
    _, mu_p, sp, mu_q, sq = _grad_points()
    if param == "scale_tril":
        sp, sq = np.linalg.cholesky(sp), np.linalg.cholesky(sq)
    if param == "precision_matrix":
        sp, sq = np.linalg.inv(sp), np.linalg.inv(sq)

    def f(a, b, c, e):
        sym = (lambda m: (m + m.T) / 2) if param != "scale_tril" else (lambda m: m)
        return kl_divergence(MultivariateNormal(a, **{param: sym(b)}), MultivariateNormal(c, **{param: sym(e)}))

    check_grads(f, (mu_p, sp, mu_q, sq), order=1, modes=["rev"])
    g = jax.grad(f, argnums=(0, 1, 2, 3))(mu_q, sq, mu_q, sq)  # p = q
    assert all(np.all(np.isfinite(x)) for x in g)
    np.testing.assert_allclose(f(mu_q, sq, mu_q, sq), 0.0, atol=1e-15)


def test_grads_lowrank():
    rng = np.random.default_rng(8)
    args = (rng.normal(size=D), rng.normal(size=(D, R)), rng.uniform(0.5, 2, D))
    args_q = (rng.normal(size=D), rng.normal(size=(D, R)), rng.uniform(0.5, 2, D))

    def f(a, b, c, e, g, h):
        return kl_divergence(LowRankMultivariateNormal(a, b, c), LowRankMultivariateNormal(e, g, h))

    check_grads(f, args + args_q, order=1, modes=["rev"])
    g = jax.grad(f, argnums=tuple(range(6)))(*args_q, *args_q)
    assert all(np.all(np.isfinite(x)) for x in g)
    np.testing.assert_allclose(f(*args_q, *args_q), 0.0, atol=1e-15)

    def fd(a, s, e, g, h):
        return kl_divergence(MultivariateNormalDiag(a, s), LowRankMultivariateNormal(e, g, h))

    check_grads(fd, (args[0], np.sqrt(args[2])) + args_q, order=1, modes=["rev"])


def test_broadcasting_and_vmap(rng):
    mus, covs = [], []
    for _ in range(12):
        mu_p, sp, _, _ = _pair_full(rng, 1.0, 1.0)
        mus.append(mu_p)
        covs.append(sp)
    mus, covs = np.array(mus), np.array(covs)
    p = MultivariateNormal(mus[:4].reshape(4, 1, D), covariance_matrix=covs[:4].reshape(4, 1, D, D))
    q = MultivariateNormal(mus[4:7], covariance_matrix=covs[4:7])
    val = kl_divergence(p, q)
    assert val.shape == (4, 3)
    loop = [
        [
            kl_divergence(MultivariateNormal(mus[i], covs[i]), MultivariateNormal(mus[4 + j], covs[4 + j]))
            for j in range(3)
        ]
        for i in range(4)
    ]
    np.testing.assert_allclose(val, np.array(loop), rtol=1e-12)
    # loc batch broadcasting against the matrix batch
    p2 = MultivariateNormal(mus[:4], scale_tril=np.linalg.cholesky(covs[0]))
    assert p2.batch_shape == (4,)
    q2 = MultivariateNormal(mus[0], scale_tril=np.linalg.cholesky(covs[4:7])[:, None])
    assert kl_divergence(p2, q2).shape == (3, 4)
    # vmap over batches of matrices
    f = jax.vmap(lambda m, c, m2, c2: kl_divergence(MultivariateNormal(m, c), MultivariateNormal(m2, c2)))
    np.testing.assert_allclose(f(mus[:3], covs[:3], mus[4:7], covs[4:7]), np.array(loop)[:3, :3].diagonal(), rtol=1e-12)


def test_event_size_mismatch():
    p = MultivariateNormal(jnp.zeros(3), covariance_matrix=jnp.eye(3))
    q = MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        kl_divergence(p, q)
    with pytest.raises(ValueError, match="event"):
        kl_divergence(
            LowRankMultivariateNormal(jnp.zeros(3), jnp.ones((3, 1)), jnp.ones(3)),
            MultivariateNormalDiag(jnp.zeros(2), jnp.ones(2)),
        )
    with pytest.raises(ValueError, match="covariance_matrix"):
        MultivariateNormal(jnp.zeros(3), covariance_matrix=jnp.eye(2))
