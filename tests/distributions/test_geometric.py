"""Geometric: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import mpmath as mp
import numpy as np
import pytest
from discrete_refs import (
    DTYPES,
    bern_logits,
    check,
    distinct,
    jit_kl,
    mp_values,
    mpf,
    near_logits,
    near_probs,
    sig,
)
from scipy import stats
from tables import Case

from jaxkl.distributions import Geometric

GROUP = "discrete"
FAMILY = Geometric
CASE = Case(
    lambda rng: {"probs": float(rng.uniform(0.2, 0.9))},
    lambda probs: stats.geom(probs, loc=-1),  # failures before the first success
    True,
)


def _mp_geometric(p, q):
    p, q = mpf(p), mpf(q)
    if p == 1:
        return -mp.log(q)
    return mp.log(p / q) + (1 - p) / p * mp.log((1 - p) / (1 - q))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_mpmath(dtype, rng):
    p, q = near_probs()
    keep = p > 1e-20  # p ≥ 1e-8: KL/p stays in range
    gp, gq = rng.uniform(0.01, 1.0, 24), rng.uniform(0.01, 0.99, 24)
    p, q = distinct(np.concatenate([p[keep], gp, [1.0, 1.0]]), np.concatenate([q[keep], gq, [0.3, 1e-5]]), dtype)
    got = jit_kl(lambda a: Geometric(probs=a), lambda b: Geometric(probs=b))(p, q)
    check(got, mp_values(_mp_geometric, p, q), dtype, "Geometric probs")
    a, b = near_logits()
    keep = a > -30
    a, b = distinct(a[keep], b[keep], dtype)
    got = jit_kl(lambda x: Geometric(logits=x), lambda y: Geometric(logits=y))(a, b)
    refs = mp_values(lambda x, y: bern_logits(x, y) / sig(mpf(x)), a, b)
    check(got, refs, dtype, "Geometric logits")
