"""Bernoulli: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from discrete_refs import (
    DTYPES,
    NEAR,
    bern_logits,
    bern_probs,
    check,
    distinct,
    generic_probs,
    jit_kl,
    mp_bern,
    mp_values,
    mpf,
    near_logits,
    near_probs,
    sig,
)
from scipy import stats
from tables import Case

from jaxkl.distributions import Bernoulli, Poisson

GROUP = "discrete"
FAMILY = Bernoulli
CASE = Case(lambda rng: {"probs": float(rng.uniform(0.1, 0.9))}, lambda probs: stats.bernoulli(probs), True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_probs_mpmath(dtype, rng):
    p, q = near_probs()
    gp, gq = generic_probs(rng)
    p, q = distinct(np.concatenate([p, gp, gq]), np.concatenate([q, gq, gp]), dtype)
    got = jit_kl(lambda a: Bernoulli(probs=a), lambda b: Bernoulli(probs=b))(p, q)
    check(got, mp_values(bern_probs, p, q), dtype, "Bernoulli probs")


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_logits_mpmath(dtype, rng):
    a, b = near_logits()
    ga, gb = rng.normal(0, 6, 24), rng.normal(0, 6, 24)
    a, b = distinct(np.concatenate([a, ga]), np.concatenate([b, gb]), dtype)
    got = jit_kl(lambda x: Bernoulli(logits=x), lambda y: Bernoulli(logits=y))(a, b)
    check(got, mp_values(bern_logits, a, b), dtype, "Bernoulli logits")


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_mixed_parameterizations_mpmath(dtype, rng):
    """probs ‖ logits and logits ‖ probs at generic points (no common representation is exact
    near p = q, so only distant pairs are held to the bar)."""
    p = rng.uniform(0.02, 0.98, 16).astype(dtype)
    b = rng.normal(0, 3, 16).astype(dtype)
    got = jit_kl(lambda x: Bernoulli(probs=x), lambda y: Bernoulli(logits=y))(p, b)
    refs = mp_values(lambda x, y: mp_bern(mpf(x), sig(mpf(y)), 1 - mpf(x), sig(-mpf(y))), p, b)
    check(got, refs, dtype, "Bernoulli probs‖logits")
    got = jit_kl(lambda y: Bernoulli(logits=y), lambda x: Bernoulli(probs=x))(b, p)
    refs = mp_values(lambda y, x: mp_bern(sig(mpf(y)), mpf(x), sig(-mpf(y)), 1 - mpf(x)), b, p)
    check(got, refs, dtype, "Bernoulli logits‖probs")


def _mp_bern_poisson(p, lam):
    p, lam = mpf(p), mpf(lam)
    if lam == 0:
        return mp.mpf(0) if p == 0 else mp.inf
    return mp_bern(p, lam * mp.exp(-lam), 1 - p, mp.exp(-lam))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_bernoulli_poisson_mpmath(dtype, rng):
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
    got = jit_kl(lambda a: Bernoulli(probs=a), lambda b: Poisson(b))(p, lam)
    check(got, mp_values(_mp_bern_poisson, p, lam), dtype, "Bernoulli‖Poisson")
    a = rng.normal(0, 4, 16).astype(dtype)
    lam = (10.0 ** rng.uniform(-4, 2, 16)).astype(dtype)
    got = jit_kl(lambda x: Bernoulli(logits=x), lambda b: Poisson(b))(a, lam)
    refs = mp_values(lambda x, m: mp_bern(sig(mpf(x)), mpf(m) * mp.exp(-mpf(m)), sig(-mpf(x)), mp.exp(-mpf(m))), a, lam)
    check(got, refs, dtype, "Bernoulli(logits)‖Poisson")
