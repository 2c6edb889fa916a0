"""Shared by the tests of the discrete pairs (tests/test_kl_discrete.py and the discrete
families' modules in tests/distributions/): high-precision references and parameter points.

The mpmath working precision is 120 digits: with probabilities within 1e-35 of 1 the
textbook terms cancel by more than 50 digits.
"""

from __future__ import annotations

import jax
import mpmath as mp
import numpy as np

from jaxkl.registry import kl_divergence

RTOL = {np.float64: 1e-10, np.float32: 1e-4}
KL = jax.jit(kl_divergence)  # one compilation per pair and shape (eager dispatch of every op is slower)


DPS = 120


NEAR = (1e-2, -1e-2, 1e-4, -1e-4, 1e-6, -1e-6)


def mpf(x) -> mp.mpf:
    return mp.mpf(float(x))


def sig(a) -> mp.mpf:
    return 1 / (1 + mp.exp(-a))


def mp_bern(p1, q1, p0=None, q0=None):
    """Σ over {0, 1} of P·log(P/Q) (0·log 0 = 0), from exact probabilities of both outcomes."""
    p0 = 1 - p1 if p0 is None else p0
    q0 = 1 - q1 if q0 is None else q0
    out = mp.mpf(0)
    for a, b in ((p1, q1), (p0, q0)):
        if a > 0:
            out += mp.inf if b == 0 else a * mp.log(a / b)
    return out


def bern_probs(p, q):
    return mp_bern(mpf(p), mpf(q))


def bern_logits(a, b):
    a, b = mpf(a), mpf(b)
    return mp_bern(sig(a), sig(b), sig(-a), sig(-b))


def mp_values(f, *cols):
    with mp.workdps(DPS):
        return [f(*vals) for vals in zip(*cols)]


def check(got, refs, dtype, what=""):
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
            err = float(abs(mpf(g) - r) / abs(r))
        worst = max(worst, err)
    assert worst <= RTOL[dtype], f"{what}: worst relative error {worst:.2e} in {np.dtype(dtype).name}"
    return worst


def near_probs():
    """(p, q) pairs of probabilities at relative distance 1e-2 … 1e-6, also near 0 and 1."""
    ps, qs = [], []
    for base in (1e-30, 1e-8, 1e-3, 0.3, 0.5, 0.7, 1 - 1e-3, 1 - 1e-6):
        for d in NEAR:
            ps.append(base)
            qs.append(base * (1 + d) if base <= 0.5 else 1 - (1 - base) * (1 + d))
    return np.array(ps), np.array(qs)


def generic_probs(rng, n=24):
    p = np.concatenate([rng.uniform(0.01, 0.99, n), 10.0 ** rng.uniform(-20, -1, n // 2)])
    q = np.concatenate([rng.uniform(0.01, 0.99, n), 1 - 10.0 ** rng.uniform(-12, -1, n // 2)])
    return p, q


def near_logits():
    a_s, b_s = [], []
    for a in (-80.0, -30.0, -5.0, -0.3, 0.0, 0.3, 5.0, 30.0, 80.0):
        for d in (1.0, 0.1) + NEAR:
            a_s.append(a)
            b_s.append(a + d * max(1.0, abs(a)))
    return np.array(a_s), np.array(b_s)


def distinct(p, q, dtype):
    p, q = p.astype(dtype), q.astype(dtype)
    keep = p != q
    return p[keep], q[keep]


def jit_kl(make_p, make_q):
    return jax.jit(lambda a, b: kl_divergence(make_p(a), make_q(b)))


DTYPES = [np.float32, np.float64]
