"""Delta: the registry case (its closed-form pairs are checked in tests/test_kl_discrete.py)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from discrete_refs import KL
from scipy import stats
from tables import Case

from jaxkl.distributions import Bernoulli, Delta, Normal, OneHotCategorical, Poisson

GROUP = "discrete"
FAMILY = Delta


class DeltaScipy:
    """The point mass at v with scipy's frozen-distribution interface (logpmf, support)."""

    def __init__(self, v):
        self.v = float(v)

    def logpmf(self, x):
        x = np.asarray(x, float)
        return np.where(x == self.v, 0.0, -np.inf)

    def support(self):
        return self.v, self.v


# v = 0.5 lies inside the support of every univariate continuous family of the table (and
# outside every discrete one: +inf there); Delta ‖ (multivariate q) needs a vector v and is
# not a table pair.
CASE = Case(lambda rng: {"v": 0.5}, DeltaScipy, True)


def test_kl_continuous_convention():
    """KL(Delta(v, log_density) ‖ q) = log_density − log q(v) for a continuous q."""
    got = KL(Delta(jnp.array([0.3, -1.0]), log_density=0.25), Normal(0.5, 2.0))
    np.testing.assert_allclose(got, 0.25 - stats.norm(0.5, 2.0).logpdf([0.3, -1.0]), rtol=1e-14)


def test_kl_pairs():
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


def test_kl_gradients_flow_to_v_and_q():
    g = jax.grad(lambda v, m: KL(Delta(v), Normal(m, 2.0)), argnums=(0, 1))(0.5, -0.1)
    np.testing.assert_allclose(g, [(0.5 + 0.1) / 4.0, -(0.5 + 0.1) / 4.0], rtol=1e-14)
