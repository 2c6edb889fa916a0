"""Poisson: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from discrete_refs import (
    DTYPES,
    NEAR,
    check,
    distinct,
    jit_kl,
    mp_values,
    mpf,
)
from scipy import stats
from tables import Case

from jaxkl.distributions import Poisson

GROUP = "discrete"
FAMILY = Poisson
CASE = Case(lambda rng: {"rate": float(rng.uniform(0.5, 5.0))}, lambda rate: stats.poisson(rate), True)


@functools.cache
def _mp_poisson_entropy(lam):
    lam = mp.mpf(lam)
    kmax = int(lam + 40 * mp.sqrt(lam) + 60)
    terms = (mp.exp(k * mp.log(lam) - lam - mp.loggamma(k + 1)) for k in range(kmax))
    return -mp.fsum(t * mp.log(t) for t in terms if t > 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_entropy_vs_mpmath(dtype):
    lam = np.array([1e-6, 1e-2, 0.7, 12.0, 49.99, 50.0, 51.0, 300.0, 4000.0], dtype)
    with mp.workdps(30):
        ref = np.array([float(_mp_poisson_entropy(float(v))) for v in lam])
    got = jax.jit(lambda r: Poisson(r).entropy())(lam)
    np.testing.assert_allclose(got, ref, rtol=3e-6 if dtype == np.float32 else 1e-13)
    # the asymptotic series at very large rates
    big = np.array([1e5, 1e8])
    series = 0.5 * np.log(2 * np.pi * np.e * big) - 1 / (12 * big) - 1 / (24 * big**2) - 19 / (360 * big**3)
    np.testing.assert_allclose(Poisson(big).entropy(), series, rtol=1e-14)
    assert np.all(np.isfinite(jax.grad(lambda r: Poisson(r).entropy().sum())(jnp.array([0.0, 3.0, 50.0, 1e5]))))


def _mp_poisson(lp, lq):
    lp, lq = mpf(lp), mpf(lq)
    return lp * mp.log(lp / lq) - lp + lq if lp > 0 else lq


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_mpmath(dtype, rng):
    lp, lq = [], []
    for lam in (1e-6, 1e-2, 1.0, 37.0, 1e3, 1e5):
        for d in NEAR:
            lp.append(lam)
            lq.append(lam * (1 + d))
    far_p = 10.0 ** rng.uniform(-6, 5, 16)
    far_q = 10.0 ** rng.uniform(-6, 5, 16)
    extra_p = [1e-30, 1e30 if dtype == np.float64 else 1e30, 0.0, 2.0]
    extra_q = [1e30 if dtype == np.float64 else 1e30, 1e-30, 3.0, 2.0 * (1 + 2**-20)]
    lp, lq = distinct(np.concatenate([lp, far_p, extra_p]), np.concatenate([lq, far_q, extra_q]), dtype)
    got = jit_kl(lambda a: Poisson(a), lambda b: Poisson(b))(lp, lq)
    check(got, mp_values(_mp_poisson, lp, lq), dtype, "Poisson")
