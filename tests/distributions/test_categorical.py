"""Categorical: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from discrete_refs import (
    DPS,
    DTYPES,
    KL,
    NEAR,
    check,
    jit_kl,
    mp_values,
    mpf,
)
from scipy import stats
from tables import Case

from jaxkl.distributions import Categorical, OneHotCategorical

GROUP = "discrete"
FAMILY = Categorical
K = 4  # categories of the Categorical cases


def scipy_categorical(probs):
    """Categorical (and OneHotCategorical, indexed by the position of the one) as rv_discrete."""
    return stats.rv_discrete(values=(np.arange(len(probs)), np.asarray(probs, float)))


def simplex(rng):
    p = rng.dirichlet(np.full(K, 2.0))
    return {"probs": p / p.sum()}


CASE = Case(simplex, scipy_categorical, True)


def _mp_cat_probs(P, Q):
    P = [mpf(x) for x in P]
    Q = [mpf(x) for x in Q]
    sp, sq = sum(P), sum(Q)
    out = mp.mpf(0)
    for p, q in zip(P, Q):
        if p > 0:
            out += mp.inf if q == 0 else (p / sp) * mp.log((p / sp) / (q / sq))
    return out


def _mp_cat_logits(A, B):
    A = [mpf(x) for x in A]
    B = [mpf(x) for x in B]
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
def test_kl_probs_mpmath(cls, ks, dtype, rng):
    """From probs: the KL of the normalized vectors (= Σ p·log(p/q) for vectors summing to 1)."""
    f = jit_kl(lambda a: cls(probs=a), lambda b: cls(probs=b))
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
        check(f(p, q), mp_values(_mp_cat_probs, p, q), dtype, f"{cls.__name__} probs K={k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_logits_mpmath(dtype, rng):
    f = jit_kl(lambda a: Categorical(logits=a), lambda b: Categorical(logits=b))
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
        check(f(a, b), mp_values(_mp_cat_logits, a, b), dtype, f"Categorical logits K={k}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_mixed_mpmath(dtype, rng):
    p = rng.dirichlet(np.ones(5), size=6).astype(dtype)
    b = rng.normal(0, 1, (6, 5)).astype(dtype)
    got = jit_kl(lambda x: Categorical(probs=x), lambda y: Categorical(logits=y))(p, b)
    with mp.workdps(DPS):
        refs = [_mp_cat_logits([mp.log(mpf(x)) for x in pp], bb) for pp, bb in zip(p, b)]
    check(got, refs, dtype, "Categorical probs‖logits")


def test_kl_event_size_mismatch():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        KL(Categorical(probs=jnp.ones((2, 3)) / 3), Categorical(logits=jnp.zeros(4)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(5,\)"):
        KL(OneHotCategorical(logits=jnp.zeros(3)), OneHotCategorical(logits=jnp.zeros(5)))
