"""Binomial: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from discrete_refs import (
    DTYPES,
    KL,
    bern_probs,
    check,
    distinct,
    generic_probs,
    jit_kl,
    mp_values,
    mpf,
    near_probs,
)
from scipy import stats
from tables import Case

from jaxkl.distributions import Binomial
from jaxkl.registry import kl_divergence

GROUP = "discrete"
FAMILY = Binomial
BINOMIAL_N = 10.0  # one total count, so that every Binomial pair is finite and in closed form
CASE = Case(
    lambda rng: {"total_count": BINOMIAL_N, "probs": float(rng.uniform(0.1, 0.9))},
    lambda total_count, probs: stats.binom(int(total_count), probs),
    True,
)


def test_entropy_needs_concrete_total_count():
    d = Binomial(jnp.array([3.0, 40.0]), probs=jnp.array([0.2, 0.7]))
    np.testing.assert_allclose(d.entropy(), [stats.binom(3, 0.2).entropy(), stats.binom(40, 0.7).entropy()], rtol=1e-12)
    with pytest.raises(NotImplementedError, match="concrete total_count"):
        jax.jit(lambda dd: dd.entropy())(d)


def _mp_binomial_sum(n, p, q):
    """Direct sum over k = 0 … n of P(k)·log(P(k)/Q(k))."""
    n, p, q = int(n), mpf(p), mpf(q)
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
def test_kl_mpmath(dtype, rng):
    p, q = near_probs()
    gp, gq = generic_probs(rng, 12)
    p, q = distinct(np.concatenate([p, gp]), np.concatenate([q, gq]), dtype)
    n = np.resize(np.array([1.0, 7.0, 25.0]), p.shape).astype(dtype)
    got = jit_kl(lambda a: Binomial(a[0], probs=a[1]), lambda b: Binomial(b[0], probs=b[1]))((n, p), (n, q))
    check(got, mp_values(_mp_binomial_sum, n, p, q), dtype, "Binomial small n (direct sum)")
    big = np.full_like(p, 1e5)
    got = jit_kl(lambda a: Binomial(a[0], probs=a[1]), lambda b: Binomial(b[0], probs=b[1]))((big, p), (big, q))
    check(got, mp_values(lambda m, x, y: m * bern_probs(x, y), big, p, q), dtype, "Binomial n = 1e5")


def test_kl_fewer_trials_in_p():
    with pytest.raises(NotImplementedError, match="total_count.*monte_carlo_kl"):
        kl_divergence(Binomial(5, probs=0.3), Binomial(7, probs=0.4))  # eager: the counts are concrete
    out = KL(Binomial(5, probs=0.3), Binomial(7, probs=0.4))
    assert np.isnan(out)
    # ... except where p is a point mass, which has a closed form.
    got = KL(Binomial(jnp.array([5.0, 5.0]), probs=jnp.array([0.0, 1.0])), Binomial(7, probs=0.4))
    np.testing.assert_allclose(got, [-stats.binom(7, 0.4).logpmf(0), -stats.binom(7, 0.4).logpmf(5)], rtol=1e-13)
