"""Closed-form KL divergences with p a discrete family or a point mass.

Every pair is checked against a high-precision mpmath evaluation of its textbook formula
(or of the direct sum over the support) at the same dtype-rounded inputs, in float32 and
float64, in these regimes: generic parameters, nearly identical distributions (relative
differences 1e-2 … 1e-6, probabilities near 0 and 1, logits up to ±80, rates up to 1e5)
and distant ones. The mpmath working precision is 120 digits: with probabilities within
1e-35 of 1 the textbook terms cancel by more than 50 digits. Independently, each formula
is checked against direct summation of the scipy.stats pmfs; then gradients
(check_grads, and finiteness at p = q and at the boundary), KL(p, p) = 0, the +inf
cases, shape errors and dispatch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads
from scipy import stats

from jaxkl.distributions import Bernoulli, Binomial, Categorical, Delta, Geometric, Normal, OneHotCategorical, Poisson
from jaxkl.registry import kl_divergence

RTOL = {np.float64: 1e-10, np.float32: 1e-4}
KL = jax.jit(kl_divergence)  # one compilation per pair and shape (eager dispatch of every op is slower)
DPS = 120
NEAR = (1e-2, -1e-2, 1e-4, -1e-4, 1e-6, -1e-6)

# --------------------------------------------------------------------------- helpers


def _mpf(x) -> mp.mpf:
    return mp.mpf(float(x))


def _sig(a) -> mp.mpf:
    return 1 / (1 + mp.exp(-a))


def _mp_bern(p1, q1, p0=None, q0=None):
    """Σ over {0, 1} of P·log(P/Q) (0·log 0 = 0), from exact probabilities of both outcomes."""
    p0 = 1 - p1 if p0 is None else p0
    q0 = 1 - q1 if q0 is None else q0
    out = mp.mpf(0)
    for a, b in ((p1, q1), (p0, q0)):
        if a > 0:
            out += mp.inf if b == 0 else a * mp.log(a / b)
    return out


def _bern_probs(p, q):
    return _mp_bern(_mpf(p), _mpf(q))


def _bern_logits(a, b):
    a, b = _mpf(a), _mpf(b)
    return _mp_bern(_sig(a), _sig(b), _sig(-a), _sig(-b))


def _refs(f, *cols):
    with mp.workdps(DPS):
        return [f(*vals) for vals in zip(*cols)]


def _check(got, refs, dtype, what=""):
    """Worst relative error of ``got`` against mpmath references; refs that underflow the
    dtype must come out as 0 (or the subnormal the backend would flush)."""
    got = np.asarray(got, np.float64)
    tiny = float(np.finfo(dtype).tiny)
    worst = 0.0
    for g, r in zip(got, refs):
        if r == mp.inf:
            assert g == np.inf, (what, g, r)
            continue
        if abs(r) < 1e3 * tiny:
            assert abs(g - float(r)) <= 1e3 * tiny, (what, g, r)
            continue
        with mp.workdps(DPS):
            err = float(abs(_mpf(g) - r) / abs(r))
        worst = max(worst, err)
    assert worst <= RTOL[dtype], f"{what}: worst relative error {worst:.2e} in {np.dtype(dtype).name}"
    return worst


def _near_probs():
    """(p, q) pairs of probabilities at relative distance 1e-2 … 1e-6, also near 0 and 1."""
    ps, qs = [], []
    for base in (1e-30, 1e-8, 1e-3, 0.3, 0.5, 0.7, 1 - 1e-3, 1 - 1e-6):
        for d in NEAR:
            ps.append(base)
            qs.append(base * (1 + d) if base <= 0.5 else 1 - (1 - base) * (1 + d))
    return np.array(ps), np.array(qs)


def _generic_probs(rng, n=24):
    p = np.concatenate([rng.uniform(0.01, 0.99, n), 10.0 ** rng.uniform(-20, -1, n // 2)])
    q = np.concatenate([rng.uniform(0.01, 0.99, n), 1 - 10.0 ** rng.uniform(-12, -1, n // 2)])
    return p, q


def _near_logits():
    a_s, b_s = [], []
    for a in (-80.0, -30.0, -5.0, -0.3, 0.0, 0.3, 5.0, 30.0, 80.0):
        for d in (1.0, 0.1) + NEAR:
            a_s.append(a)
            b_s.append(a + d * max(1.0, abs(a)))
    return np.array(a_s), np.array(b_s)


def _distinct(p, q, dtype):
    p, q = p.astype(dtype), q.astype(dtype)
    keep = p != q
    return p[keep], q[keep]


def _jit_kl(make_p, make_q):
    return jax.jit(lambda a, b: kl_divergence(make_p(a), make_q(b)))


# ------------------------------------------------------------- mpmath: same family

DTYPES = [np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_probs_mpmath(dtype, rng):
    p, q = _near_probs()
    gp, gq = _generic_probs(rng)
    p, q = _distinct(np.concatenate([p, gp, gq]), np.concatenate([q, gq, gp]), dtype)
    got = _jit_kl(lambda a: Bernoulli(probs=a), lambda b: Bernoulli(probs=b))(p, q)
    _check(got, _refs(_bern_probs, p, q), dtype, "Bernoulli probs")


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_logits_mpmath(dtype, rng):
    a, b = _near_logits()
    ga, gb = rng.normal(0, 6, 24), rng.normal(0, 6, 24)
    a, b = _distinct(np.concatenate([a, ga]), np.concatenate([b, gb]), dtype)
    got = _jit_kl(lambda x: Bernoulli(logits=x), lambda y: Bernoulli(logits=y))(a, b)
    _check(got, _refs(_bern_logits, a, b), dtype, "Bernoulli logits")


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_mixed_parameterizations_mpmath(dtype, rng):
    """probs ‖ logits and logits ‖ probs at generic points (no common representation is exact
    near p = q, so only distant pairs are held to the bar)."""
    p = rng.uniform(0.02, 0.98, 16).astype(dtype)
    b = rng.normal(0, 3, 16).astype(dtype)
    got = _jit_kl(lambda x: Bernoulli(probs=x), lambda y: Bernoulli(logits=y))(p, b)
    refs = _refs(lambda x, y: _mp_bern(_mpf(x), _sig(_mpf(y)), 1 - _mpf(x), _sig(-_mpf(y))), p, b)
    _check(got, refs, dtype, "Bernoulli probs‖logits")
    got = _jit_kl(lambda y: Bernoulli(logits=y), lambda x: Bernoulli(probs=x))(b, p)
    refs = _refs(lambda y, x: _mp_bern(_sig(_mpf(y)), _mpf(x), _sig(-_mpf(y)), 1 - _mpf(x)), b, p)
    _check(got, refs, dtype, "Bernoulli logits‖probs")


def _mp_geometric(p, q):
    p, q = _mpf(p), _mpf(q)
    if p == 1:
        return -mp.log(q)
    return mp.log(p / q) + (1 - p) / p * mp.log((1 - p) / (1 - q))


@pytest.mark.parametrize("dtype", DTYPES)
def test_geometric_mpmath(dtype, rng):
    p, q = _near_probs()
    keep = p > 1e-20  # p ≥ 1e-8: KL/p stays in range
    gp, gq = rng.uniform(0.01, 1.0, 24), rng.uniform(0.01, 0.99, 24)
    p, q = _distinct(np.concatenate([p[keep], gp, [1.0, 1.0]]), np.concatenate([q[keep], gq, [0.3, 1e-5]]), dtype)
    got = _jit_kl(lambda a: Geometric(probs=a), lambda b: Geometric(probs=b))(p, q)
    _check(got, _refs(_mp_geometric, p, q), dtype, "Geometric probs")
    a, b = _near_logits()
    keep = a > -30
    a, b = _distinct(a[keep], b[keep], dtype)
    got = _jit_kl(lambda x: Geometric(logits=x), lambda y: Geometric(logits=y))(a, b)
    refs = _refs(lambda x, y: _bern_logits(x, y) / _sig(_mpf(x)), a, b)
    _check(got, refs, dtype, "Geometric logits")


def _mp_binomial_sum(n, p, q):
    """Direct sum over k = 0 … n of P(k)·log(P(k)/Q(k))."""
    n, p, q = int(n), _mpf(p), _mpf(q)
    out = mp.mpf(0)
    for k in range(n + 1):
        pk = mp.binomial(n, k) * p**k * (1 - p) ** (n - k)
        qk = mp.binomial(n, k) * q**k * (1 - q) ** (n - k)
        if pk > 0:
            if qk == 0:
                return mp.inf
            out += pk * mp.log(pk / qk)
    return out


@pytest.mark.parametrize("dtype", DTYPES)
def test_binomial_mpmath(dtype, rng):
    p, q = _near_probs()
    gp, gq = _generic_probs(rng, 12)
    p, q = _distinct(np.concatenate([p, gp]), np.concatenate([q, gq]), dtype)
    n = np.resize(np.array([1.0, 7.0, 25.0]), p.shape).astype(dtype)
    got = _jit_kl(lambda a: Binomial(a[0], probs=a[1]), lambda b: Binomial(b[0], probs=b[1]))((n, p), (n, q))
    _check(got, _refs(_mp_binomial_sum, n, p, q), dtype, "Binomial small n (direct sum)")
    big = np.full_like(p, 1e5)
    got = _jit_kl(lambda a: Binomial(a[0], probs=a[1]), lambda b: Binomial(b[0], probs=b[1]))((big, p), (big, q))
    _check(got, _refs(lambda m, x, y: m * _bern_probs(x, y), big, p, q), dtype, "Binomial n = 1e5")


def _mp_poisson(lp, lq):
    lp, lq = _mpf(lp), _mpf(lq)
    return lp * mp.log(lp / lq) - lp + lq if lp > 0 else lq


@pytest.mark.parametrize("dtype", DTYPES)
def test_poisson_mpmath(dtype, rng):
    lp, lq = [], []
    for lam in (1e-6, 1e-2, 1.0, 37.0, 1e3, 1e5):
        for d in NEAR:
            lp.append(lam)
            lq.append(lam * (1 + d))
    far_p = 10.0 ** rng.uniform(-6, 5, 16)
    far_q = 10.0 ** rng.uniform(-6, 5, 16)
    extra_p = [1e-30, 1e30 if dtype == np.float64 else 1e30, 0.0, 2.0]
    extra_q = [1e30 if dtype == np.float64 else 1e30, 1e-30, 3.0, 2.0 * (1 + 2**-20)]
    lp, lq = _distinct(np.concatenate([lp, far_p, extra_p]), np.concatenate([lq, far_q, extra_q]), dtype)
    got = _jit_kl(lambda a: Poisson(a), lambda b: Poisson(b))(lp, lq)
    _check(got, _refs(_mp_poisson, lp, lq), dtype, "Poisson")


def _mp_cat_probs(P, Q):
    P = [_mpf(x) for x in P]
    Q = [_mpf(x) for x in Q]
    sp, sq = sum(P), sum(Q)
    out = mp.mpf(0)
    for p, q in zip(P, Q):
        if p > 0:
            out += mp.inf if q == 0 else (p / sp) * mp.log((p / sp) / (q / sq))
    return out


def _mp_cat_logits(A, B):
    A = [_mpf(x) for x in A]
    B = [_mpf(x) for x in B]
    la = mp.log(sum(mp.exp(a) for a in A if a != -mp.inf))
    lb = mp.log(sum(mp.exp(b) for b in B if b != -mp.inf))
    out = mp.mpf(0)
    for a, b in zip(A, B):
        if a != -mp.inf:
            out += mp.inf if b == -mp.inf else mp.exp(a - la) * ((a - la) - (b - lb))
    return out


def _near_simplex(rng, k, d, n=6):
    p = rng.dirichlet(np.full(k, 0.8), size=n)
    q = p * (1 + d * rng.standard_normal(p.shape))
    return p, q / q.sum(-1, keepdims=True)


@pytest.mark.parametrize("cls,ks", [(Categorical, (3, 40)), (OneHotCategorical, (5,))])
@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_probs_mpmath(cls, ks, dtype, rng):
    """From probs: the KL of the normalized vectors (= Σ p·log(p/q) for vectors summing to 1)."""
    f = _jit_kl(lambda a: cls(probs=a), lambda b: cls(probs=b))
    for k in ks:
        ps, qs = [], []
        for d in (1e-1,) + NEAR[::2]:
            p, q = _near_simplex(rng, k, d, 3)
            ps.append(p)
            qs.append(q)
        p = rng.dirichlet(np.full(k, 0.5), size=4)
        p[:, 0] = 0.0  # zero categories
        ps.append(p / p.sum(-1, keepdims=True))
        qs.append(rng.dirichlet(np.full(k, 0.5), size=4))
        tiny = rng.dirichlet(np.full(k, 1.0), size=2)
        tiny[:, 1] = 1e-30  # a category 1e-30 in p, ~0.3 in q and back
        ps.append(tiny / tiny.sum(-1, keepdims=True))
        qs.append(np.roll(tiny, 1, axis=-1) / tiny.sum(-1, keepdims=True))
        p, q = np.concatenate(ps).astype(dtype), np.concatenate(qs).astype(dtype)
        _check(f(p, q), _refs(_mp_cat_probs, p, q), dtype, f"{cls.__name__} probs K={k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_logits_mpmath(dtype, rng):
    f = _jit_kl(lambda a: Categorical(logits=a), lambda b: Categorical(logits=b))
    for k in (2, 40):
        as_, bs = [], []
        for d in (1e-1,) + NEAR:
            a = rng.normal(0, 2, (3, k))
            as_.append(a)
            bs.append(a * (1 + d * rng.standard_normal(a.shape)) + rng.normal(0, 3, (3, 1)))  # shifted logits too
        as_.append(rng.normal(0, 20, (3, k)))  # distant, large logits
        bs.append(rng.normal(0, 20, (3, k)))
        a = rng.normal(0, 2, (4, k))
        b = a + 1e-3 * rng.standard_normal(a.shape)
        a[:, 0] = -np.inf  # masked categories: in p only, then in both
        b[2:, 0] = -np.inf
        as_.append(a)
        bs.append(b)
        a, b = np.concatenate(as_).astype(dtype), np.concatenate(bs).astype(dtype)
        _check(f(a, b), _refs(_mp_cat_logits, a, b), dtype, f"Categorical logits K={k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_categorical_mixed_mpmath(dtype, rng):
    p = rng.dirichlet(np.ones(5), size=6).astype(dtype)
    b = rng.normal(0, 1, (6, 5)).astype(dtype)
    got = _jit_kl(lambda x: Categorical(probs=x), lambda y: Categorical(logits=y))(p, b)
    with mp.workdps(DPS):
        refs = [_mp_cat_logits([mp.log(_mpf(x)) for x in pp], bb) for pp, bb in zip(p, b)]
    _check(got, refs, dtype, "Categorical probs‖logits")


# ----------------------------------------------------------------- mpmath: cross pairs


def _mp_bern_poisson(p, lam):
    p, lam = _mpf(p), _mpf(lam)
    if lam == 0:
        return mp.mpf(0) if p == 0 else mp.inf
    return _mp_bern(p, lam * mp.exp(-lam), 1 - p, mp.exp(-lam))


@pytest.mark.parametrize("dtype", DTYPES)
def test_bernoulli_poisson_mpmath(dtype, rng):
    ps, lams = [], []
    for p in (1e-6, 1e-3, 0.3, 0.9, 1 - 1e-6, 0.0, 1.0):
        for lam in (1e-6, 1e-3, 0.3, 1.0, 5.0, 1e3):
            ps.append(p)
            lams.append(lam)
    for p in (1e-6, 1e-3, 0.1):  # λ ≈ p: the Poisson closest to the Bernoulli
        for d in NEAR:
            ps.append(p)
            lams.append(p * (1 + d))
    p = np.array(ps, dtype)
    lam = np.array(lams, dtype)
    got = _jit_kl(lambda a: Bernoulli(probs=a), lambda b: Poisson(b))(p, lam)
    _check(got, _refs(_mp_bern_poisson, p, lam), dtype, "Bernoulli‖Poisson")
    a = rng.normal(0, 4, 16).astype(dtype)
    lam = (10.0 ** rng.uniform(-4, 2, 16)).astype(dtype)
    got = _jit_kl(lambda x: Bernoulli(logits=x), lambda b: Poisson(b))(a, lam)
    refs = _refs(
        lambda x, m: _mp_bern(_sig(_mpf(x)), _mpf(m) * mp.exp(-_mpf(m)), _sig(-_mpf(x)), mp.exp(-_mpf(m))), a, lam
    )
    _check(got, refs, dtype, "Bernoulli(logits)‖Poisson")


# -------------------------------------------------- independent check: scipy summation


def _scipy_sum(P, Q, top=4000):
    ks = np.arange(0, top)
    lp, lq = P.logpmf(ks), Q.logpmf(ks)
    live = lp > -np.inf
    if np.any(lq[live] == -np.inf):
        return np.inf
    return float(np.sum(np.exp(lp[live]) * (lp[live] - lq[live])))


def _generic_pairs(rng):
    p1, p2 = rng.uniform(0.05, 0.95, 2)
    l1, l2 = rng.uniform(0.3, 20.0, 2)
    cp, cq = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    cat = lambda v: stats.rv_discrete(values=(np.arange(6), v))  # noqa: E731
    return [
        (Bernoulli(probs=p1), Bernoulli(logits=np.log(p2 / (1 - p2))), stats.bernoulli(p1), stats.bernoulli(p2)),
        (Binomial(12, probs=p1), Binomial(12, probs=p2), stats.binom(12, p1), stats.binom(12, p2)),
        (Binomial(12, probs=p1), Binomial(9, probs=0.0), stats.binom(12, p1), stats.binom(9, 0.0)),
        (Binomial(12, probs=0.0), Binomial(9, probs=p2), stats.binom(12, 0.0), stats.binom(9, p2)),
        (Binomial(6, probs=1.0), Binomial(9, probs=p2), stats.binom(6, 1.0), stats.binom(9, p2)),
        (Geometric(probs=p1), Geometric(probs=p2), stats.geom(p1, loc=-1), stats.geom(p2, loc=-1)),
        (Poisson(l1), Poisson(l2), stats.poisson(l1), stats.poisson(l2)),
        (Bernoulli(probs=p1), Poisson(l1 / 10), stats.bernoulli(p1), stats.poisson(l1 / 10)),
        (Poisson(l1), Bernoulli(probs=p2), stats.poisson(l1), stats.bernoulli(p2)),
        (Poisson(l1), Binomial(30, probs=p2), stats.poisson(l1), stats.binom(30, p2)),
        (Categorical(probs=cp), Categorical(logits=np.log(cq)), cat(cp), cat(cq)),
        (OneHotCategorical(logits=np.log(cp)), OneHotCategorical(probs=cq), cat(cp), cat(cq)),
        (Delta(3.0), Poisson(l1), stats.rv_discrete(values=([3], [1.0])), stats.poisson(l1)),
        (Delta(2.0), Categorical(probs=cq), stats.rv_discrete(values=([2], [1.0])), cat(cq)),
    ]


def test_against_scipy_summation(rng):
    for _ in range(2):
        for p, q, sp, sq in _generic_pairs(rng):
            ref = _scipy_sum(sp, sq)
            got = float(KL(p, q))
            name = f"{type(p).__name__}‖{type(q).__name__}"
            if np.isinf(ref):
                assert got == np.inf, name
            else:
                np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-14, err_msg=name)


def test_delta_continuous_convention():
    """KL(Delta(v, log_density) ‖ q) = log_density − log q(v) for a continuous q."""
    got = KL(Delta(jnp.array([0.3, -1.0]), log_density=0.25), Normal(0.5, 2.0))
    np.testing.assert_allclose(got, 0.25 - stats.norm(0.5, 2.0).logpdf([0.3, -1.0]), rtol=1e-14)


# ---------------------------------------------------------------------------- gradients

# (name, make_p, make_q, params of p, params of q) at interior points, float64.
INTERIOR = [
    ("bernoulli_probs", lambda a: Bernoulli(probs=a), lambda b: Bernoulli(probs=b), 0.3, 0.6),
    ("bernoulli_logits", lambda a: Bernoulli(logits=a), lambda b: Bernoulli(logits=b), -0.4, 1.1),
    ("bernoulli_mixed", lambda a: Bernoulli(probs=a), lambda b: Bernoulli(logits=b), 0.3, 1.1),
    ("binomial", lambda a: Binomial(8, probs=a), lambda b: Binomial(8, logits=b), 0.3, -0.2),
    ("geometric", lambda a: Geometric(probs=a), lambda b: Geometric(probs=b), 0.3, 0.55),
    ("geometric_logits", lambda a: Geometric(logits=a), lambda b: Geometric(logits=b), 0.3, -0.5),
    ("poisson", lambda a: Poisson(a), lambda b: Poisson(b), 2.5, 4.0),
    ("bernoulli_poisson", lambda a: Bernoulli(probs=a), lambda b: Poisson(b), 0.3, 0.7),
    ("bernoulli_logits_poisson", lambda a: Bernoulli(logits=a), lambda b: Poisson(b), 0.3, 2.7),
    ("poisson_bernoulli_zero", lambda a: Poisson(a * 0.0), lambda b: Bernoulli(probs=b), 1.0, 0.4),
    (
        "categorical_probs",
        lambda a: Categorical(probs=a),
        lambda b: Categorical(probs=b),
        np.array([0.2, 0.3, 0.5]),
        np.array([0.4, 0.4, 0.2]),
    ),
    (
        "categorical_logits",
        lambda a: Categorical(logits=a),
        lambda b: Categorical(logits=b),
        np.array([0.2, -1.3, 0.5]),
        np.array([1.0, 0.4, -0.2]),
    ),
    (
        "onehot_mixed",
        lambda a: OneHotCategorical(logits=a),
        lambda b: OneHotCategorical(probs=b),
        np.array([0.2, -1.3, 0.5]),
        np.array([0.4, 0.4, 0.2]),
    ),
    ("delta_normal", lambda a: Delta(a, log_density=0.3), lambda b: Normal(b, 1.5), 0.4, -0.2),
]


GROUPS = {
    "binary": INTERIOR[:6],
    "poisson": INTERIOR[6:10],
    "categorical_delta": INTERIOR[10:],
}


@pytest.mark.parametrize("group", list(GROUPS))
def test_check_grads(group):
    """check_grads (reverse mode, float64) of every pair of the group at once: the output
    stacks one KL per pair, so each pair's gradient is checked along its own cotangent."""
    cases = GROUPS[group]

    def f(xs, ys):
        return jnp.stack([KL(c[1](x), c[2](y)) for c, x, y in zip(cases, xs, ys)])

    xs = tuple(jnp.asarray(c[3]) for c in cases)
    ys = tuple(jnp.asarray(c[4]) for c in cases)
    check_grads(jax.jit(f), (xs, ys), 1, modes=["rev"])


# (make_p, make_q, p params, q params, rows with p = q in the interior): boundary points
# (probabilities 0 and 1, zero categories, −inf logits, zero rates) and p = q.
BOUNDARY = [
    (
        lambda a: Bernoulli(probs=a),
        lambda b: Bernoulli(probs=b),
        [0.0, 1.0, 0.0, 1.0, 0.3, 0.3, 0.7, 1e-30, 0.5],
        [0.4, 0.4, 0.0, 1.0, 0.3, 0.6, 0.7, 1e-30, 0.5],
        [4, 6, 7, 8],
    ),
    (lambda a: Geometric(probs=a), lambda b: Geometric(probs=b), [1.0, 1.0, 0.3, 0.9], [0.4, 1.0, 0.3, 0.9], [2, 3]),
    (
        lambda a: Binomial(5, probs=a),
        lambda b: Binomial(5, probs=b),
        [0.0, 1.0, 0.0, 0.3, 1e-30],
        [0.4, 0.4, 0.0, 0.3, 1e-30],
        [3, 4],
    ),
    (
        lambda a: Bernoulli(logits=a),
        lambda b: Bernoulli(logits=b),
        [-np.inf, np.inf, 0.3, 40.0],
        [0.2, -0.2, 0.3, 40.0],
        [2, 3],
    ),
    (lambda a: Poisson(a), lambda b: Poisson(b), [0.0, 2.0, 1e-30, 1e5], [1.0, 2.0, 1e-30, 1e5], [1, 2, 3]),
    (lambda a: Bernoulli(probs=a), lambda b: Poisson(b), [0.0, 1.0, 0.3, 0.0], [0.5, 0.5, 0.3, 0.0], []),
    (
        lambda a: Categorical(probs=a),
        lambda b: Categorical(probs=b),
        [[0.0, 0.5, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        [1],
    ),
    (
        lambda a: Categorical(logits=a),
        lambda b: Categorical(logits=b),
        [[-np.inf, 0.5, 0.5], [0.2, 0.3, 0.5], [-np.inf, -np.inf, 1.0], [0.0, 0.0, 0.0]],
        [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [-np.inf, -np.inf, 1.0], [-np.inf, 0.0, 0.0]],
        [1, 2],
    ),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_finite_gradients_at_p_equal_q_and_boundaries(dtype):
    """Gradients with respect to both distributions are finite wherever the KL is (and never
    NaN), and vanish where p = q in the interior; one compiled function for all the cases."""

    def f(a_s, b_s):
        out = []
        for (make_p, make_q, *_), a, b in zip(BOUNDARY, a_s, b_s):
            vg = jax.value_and_grad(lambda x, y: KL(make_p(x), make_q(y)), argnums=(0, 1))
            out.append(jax.vmap(vg)(a, b))
        return out

    a_s = [jnp.asarray(np.asarray(c[2], dtype)) for c in BOUNDARY]
    b_s = [jnp.asarray(np.asarray(c[3], dtype)) for c in BOUNDARY]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for (make_p, make_q, a, _, same), (val, (ga, gb)) in zip(BOUNDARY, jax.jit(f)(a_s, b_s)):
        val, ga, gb = np.asarray(val), np.asarray(ga), np.asarray(gb)
        name = f"{type(make_p(jnp.asarray(a[0]))).__name__}‖{type(make_q(jnp.asarray(a[0]))).__name__}"
        axes = tuple(range(1, ga.ndim))
        fin = np.isfinite(val)
        assert np.all(np.isfinite(ga).all(axis=axes)[fin]), (name, ga)
        assert np.all(np.isfinite(gb).all(axis=axes)[fin]), (name, gb)
        assert not np.any(np.isnan(ga)) and not np.any(np.isnan(gb)), name
        np.testing.assert_array_equal(val[same], 0.0, err_msg=name)
        np.testing.assert_allclose(ga[same], 0.0, atol=tol, err_msg=name)
        np.testing.assert_allclose(gb[same], 0.0, atol=tol, err_msg=name)


# --------------------------------------------------------------- values at the boundary


def test_self_kl_is_zero(rng):
    p = rng.uniform(0, 1, 8)
    probs = rng.dirichlet(np.ones(5), 4)
    for d in [
        Bernoulli(probs=p),
        Bernoulli(logits=np.log(p)),
        Binomial(np.arange(8.0), probs=p),
        Geometric(probs=p),
        Poisson(p * 30),
        Categorical(probs=probs),
        Categorical(logits=np.log(probs)),
        OneHotCategorical(probs=probs),
        Delta(p),
    ]:
        np.testing.assert_array_equal(np.asarray(KL(d, d)), 0.0, err_msg=type(d).__name__)


def test_infinite_and_boundary_values():
    inf = np.inf
    got = KL(
        Bernoulli(probs=jnp.array([0.0, 1.0, 0.5, 0.5, 0.0])), Bernoulli(probs=jnp.array([1.0, 0.0, 0.0, 1.0, 0.0]))
    )
    np.testing.assert_array_equal(got, [inf, inf, inf, inf, 0.0])
    got = KL(Bernoulli(logits=jnp.array([-jnp.inf, jnp.inf])), Bernoulli(logits=jnp.array([0.0, 0.0])))
    np.testing.assert_allclose(got, [np.log(2), np.log(2)], rtol=1e-15)
    np.testing.assert_array_equal(KL(Poisson(jnp.array([1.0, 0.0])), Poisson(jnp.array([0.0, 0.0]))), [inf, 0.0])
    np.testing.assert_allclose(KL(Poisson(0.0), Poisson(2.5)), 2.5)
    np.testing.assert_array_equal(KL(Geometric(probs=0.5), Geometric(probs=1.0)), inf)
    np.testing.assert_allclose(KL(Geometric(probs=1.0), Geometric(probs=0.25)), np.log(4.0), rtol=1e-15)
    # Poisson ‖ Bernoulli / Binomial: +inf unless the Poisson is the point mass at 0.
    got = KL(Poisson(jnp.array([0.5, 0.0])), Bernoulli(probs=0.2))
    np.testing.assert_allclose(got, [inf, -np.log(0.8)], rtol=1e-15)
    got = KL(Poisson(jnp.array([0.5, 0.0])), Binomial(7, probs=0.2))
    np.testing.assert_allclose(got, [inf, -7 * np.log(0.8)], rtol=1e-15)
    np.testing.assert_array_equal(KL(Bernoulli(probs=0.3), Poisson(0.0)), inf)
    np.testing.assert_allclose(KL(Bernoulli(probs=0.0), Poisson(0.0)), 0.0)
    # Binomial with more trials in p than in q.
    np.testing.assert_array_equal(KL(Binomial(5, probs=0.3), Binomial(4, probs=0.3)), inf)
    np.testing.assert_array_equal(KL(Binomial(0, probs=0.3), Binomial(0, probs=0.9)), 0.0)
    # Categorical: mass where q has none.
    got = KL(Categorical(probs=jnp.array([0.5, 0.5])), Categorical(logits=jnp.array([0.0, -jnp.inf])))
    assert got == inf
    got = KL(Categorical(logits=jnp.array([0.0, -jnp.inf])), Categorical(probs=jnp.array([0.5, 0.5])))
    np.testing.assert_allclose(got, np.log(2.0), rtol=1e-15)


def test_results_never_negative(rng):
    p = rng.uniform(0, 1, 200)
    q = p * (1 + 1e-7 * rng.standard_normal(200))
    bern = _jit_kl(lambda a: Bernoulli(probs=a), lambda b: Bernoulli(probs=b))
    cat = _jit_kl(lambda a: Categorical(logits=a), lambda b: Categorical(logits=b))
    for dt in DTYPES:
        assert np.all(np.asarray(bern(p.astype(dt), np.clip(q, 0, 1).astype(dt))) >= 0)
        a = rng.normal(0, 1, (50, 7)).astype(dt)
        assert np.all(np.asarray(cat(a, a + dt(1e-7) * rng.normal(size=a.shape).astype(dt))) >= 0)


# ------------------------------------------------------------------ Binomial counts


def test_binomial_fewer_trials_in_p():
    with pytest.raises(NotImplementedError, match="total_count.*monte_carlo_kl"):
        kl_divergence(Binomial(5, probs=0.3), Binomial(7, probs=0.4))  # eager: the counts are concrete
    out = KL(Binomial(5, probs=0.3), Binomial(7, probs=0.4))
    assert np.isnan(out)
    # ... except where p is a point mass, which has a closed form.
    got = KL(Binomial(jnp.array([5.0, 5.0]), probs=jnp.array([0.0, 1.0])), Binomial(7, probs=0.4))
    np.testing.assert_allclose(got, [-stats.binom(7, 0.4).logpmf(0), -stats.binom(7, 0.4).logpmf(5)], rtol=1e-13)


# ----------------------------------------------------------- shapes, dtype and dispatch


def test_categorical_event_size_mismatch():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        KL(Categorical(probs=jnp.ones((2, 3)) / 3), Categorical(logits=jnp.zeros(4)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(5,\)"):
        KL(OneHotCategorical(logits=jnp.zeros(3)), OneHotCategorical(logits=jnp.zeros(5)))


def test_batch_broadcast_and_dtype():
    p = Categorical(logits=jnp.zeros((4, 1, 3), jnp.float32))
    q = Categorical(probs=jnp.full((5, 3), 1 / 3, jnp.float32))
    out = KL(p, q)
    assert out.shape == (4, 5) and out.dtype == jnp.float32
    out = KL(Bernoulli(probs=jnp.full((3, 1), 0.5, jnp.bfloat16)), Bernoulli(probs=jnp.full((2,), 0.25)))
    assert out.shape == (3, 2)
    out = KL(Bernoulli(probs=jnp.array(0.5, jnp.bfloat16)), Bernoulli(probs=jnp.array(0.25, jnp.bfloat16)))
    assert out.dtype == jnp.float32


def test_dispatch_between_categorical_kinds():
    with pytest.raises(NotImplementedError, match="OneHotCategorical.*Categorical"):
        KL(OneHotCategorical(probs=jnp.ones(3) / 3), Categorical(probs=jnp.ones(3) / 3))


def test_vmap_and_jit_agree(rng):
    p = rng.uniform(0.05, 0.95, 6)
    q = rng.uniform(0.05, 0.95, 6)
    f = lambda a, b: KL(Binomial(9, probs=a), Binomial(9, logits=b))  # noqa: E731
    qb = np.log(q / (1 - q))
    np.testing.assert_allclose(jax.vmap(f)(p, qb), jax.jit(f)(p, qb), rtol=1e-14)
    d = jax.vmap(lambda dp, dq: KL(dp, dq))(Poisson(p * 3), Poisson(q * 3))
    np.testing.assert_allclose(d, KL(Poisson(p * 3), Poisson(q * 3)), rtol=1e-14)


# ---------------------------------------------------------------------------- Delta


def test_delta_pairs():
    np.testing.assert_allclose(KL(Delta(2.0), Poisson(3.0)), -stats.poisson(3.0).logpmf(2), rtol=1e-14)
    assert KL(Delta(2.5), Poisson(3.0)) == np.inf
    np.testing.assert_allclose(KL(Delta(1.0), Bernoulli(logits=0.4)), -np.log(1 / (1 + np.exp(-0.4))), rtol=1e-14)
    v = jnp.array([[1.0, 2.0], [1.0, 3.0]])
    got = KL(Delta(v, event_dim=1), Delta(jnp.array([1.0, 2.0]), log_density=5.0, event_dim=1))
    np.testing.assert_array_equal(got, [0.0, np.inf])
    got = KL(Delta(1.0, log_density=0.7), Delta(1.0, log_density=-3.0))
    assert float(got) == 0.0
    one_hot = OneHotCategorical(probs=jnp.array([0.2, 0.3, 0.5]))
    got = KL(Delta(jnp.array([0.0, 1.0, 0.0]), event_dim=1), one_hot)
    np.testing.assert_allclose(got, -np.log(0.3), rtol=1e-14)
    with pytest.raises(ValueError, match=r"event shape \(\).*event shape \(3,\)"):
        KL(Delta(1.0), one_hot)


def test_delta_gradients_flow_to_v_and_q():
    g = jax.grad(lambda v, m: KL(Delta(v), Normal(m, 2.0)), argnums=(0, 1))(0.5, -0.1)
    np.testing.assert_allclose(g, [(0.5 + 0.1) / 4.0, -(0.5 + 0.1) / 4.0], rtol=1e-14)
