"""VonMises: the registry case, the pair VonMises ‖ VonMises and VonMises's own tests."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from tables import Case, bounded_pair, quad_circle, rel_diff

from jaxkl.distributions import VonMises
from jaxkl.distributions.von_mises import vm_dratio, vm_g, vm_log_i0e, vm_ratio
from jaxkl.registry import kl_divergence

GROUP = "bounded"
FAMILY = VonMises
pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
DTYPES = [np.float64, np.float32]


def scipy_von_mises(m, k):
    return stats.vonmises(k, loc=m)


CASE = Case(
    lambda rng: {"loc": float(rng.uniform(-1.0, 1.0)), "concentration": float(rng.uniform(0.5, 4.0))},
    lambda loc, concentration: scipy_von_mises(loc, concentration),
)


def ref_von_mises(m1, k1, m2, k2):
    a = mp.besseli(1, k1) / mp.besseli(0, k1)
    return mp.log(mp.besseli(0, k2) / mp.besseli(0, k1)) + a * (k1 - k2 * mp.cos(m1 - m2))


PAIRS = [
    bounded_pair(
        VonMises,
        VonMises,
        ("loc", "concentration"),
        ("loc", "concentration"),
        ref_von_mises,
        {
            "generic": [
                (0.2, 2.0, 1.0, 4.0),
                (0.0, 0.3, 3.0, 1.5),
            ],
            "near": [
                (0.0, 3.0, 0.0, 3.0003),
                (0.3, 50.0, 0.30001, 50.0),
                (0.0, 100000.0, 0.0, 100001.0),
                (0.0, 11.0, 0.0, 11.11),
                (0.0, 29.9, 0.0, 29.90003),
            ],
            "extreme": [
                (0.0, 100000.0, 0.0, 31.0),
                (0.0, 0.001, 1.0, 100000.0),
                (0.0, 100000.0, 0.01, 100000.0),
            ],
        },
        quad_circle,
        grads_at=[
            (0.2, 2.0, 0.2, 2.0),
            (0.2, 1000.0, 0.2, 1000.0),
            (0.0, 1e-08, 0.0, 1e-08),
        ],
    ),
]


def test_kl_with_itself_is_zero(rng):
    d = VonMises(jnp.asarray(rng.normal(size=5)), jnp.asarray([1e-3, 0.5, 12.0, 35.0, 1e5]))
    np.testing.assert_array_equal(kl_divergence(d, d), 0.0)


def test_log_prob_is_periodic():
    d = VonMises(0.5, 3.0)
    x = jnp.linspace(-3.0, 3.0, 5)
    np.testing.assert_allclose(d.log_prob(x + 2 * math.pi), d.log_prob(x), rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
def test_helpers(dtype):
    ks = np.array([1e-3, 0.7, 5.0, 11.5, 12.5, 29.0, 31.0, 300.0, 1e5], dtype)
    got = [np.asarray(f(jnp.asarray(ks))) for f in (vm_g, vm_ratio, vm_dratio, vm_log_i0e)]
    for i, k in enumerate(ks):
        K = mp.mpf(float(k))
        i0, i1 = mp.besseli(0, K), mp.besseli(1, K)
        a = i1 / i0
        want = [1 - a, a, 1 - a / K - a * a, mp.log(i0) - K]
        for j, (g, w) in enumerate(zip(got, want)):
            tol = 1e-12 if dtype == np.float64 else 2e-6
            if j == 3 and k < 0.01:
                assert abs(g[i] - float(w)) < 10 * np.finfo(dtype).eps  # log i0e ≈ −κ: absolute
            else:
                assert rel_diff(g[i], float(w)) < tol, (k, j, g[i], w)


@pytest.mark.parametrize("k", [1e-8, 0.3, 4.0, 1e3, 1e5])
def test_sample(k):
    d = VonMises(jnp.array([0.5, -3.0]), k)
    n = 20_000
    x = d.sample(jax.random.key(3), (n,))
    assert x.shape == (n, 2)
    assert bool(jnp.all((x >= -math.pi) & (x < math.pi)))
    # circular mean resultant E[cos(x − μ)] = I1/I0, standard error ≤ 1/√n
    c = jnp.mean(jnp.cos(x - d.loc), axis=0)
    want = float(vm_ratio(jnp.float64(k)))
    se = math.sqrt(max(float(vm_dratio(jnp.float64(k))), 1e-12) / n) + 1e-12
    assert np.all(np.abs(np.asarray(c) - want) < 6 * max(se, math.sqrt(0.5 / n) if k < 1 else se))
    if k >= 1e3:  # the spread of the angles themselves: E[(x − μ)²] ≈ 1/κ
        np.testing.assert_allclose(jnp.mean(jnp.sin(x - d.loc) ** 2, axis=0) * k, 1.0, rtol=0.05)
