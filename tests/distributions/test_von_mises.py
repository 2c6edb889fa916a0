"""VonMises: the registry case, the pair VonMises ‖ VonMises and VonMises's own tests."""

from __future__ import annotations

import jax.numpy as jnp
import mpmath as mp
import numpy as np
from scipy import stats
from tables import Case, bounded_pair, quad_circle

from jaxkl.distributions import VonMises
from jaxkl.registry import kl_divergence

GROUP = "bounded"
FAMILY = VonMises


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
