"""LowRankMultivariateNormal: its own tests. The checks it shares with the other Gaussian
families are in tests/test_dist_gaussian.py and tests/test_kl_gaussian.py."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxkl.distributions import LowRankMultivariateNormal
from jaxkl.registry import kl_divergence

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)
GROUP = "gaussian"
FAMILY = LowRankMultivariateNormal
DOMAIN_POINTS = [
    {
        "loc": np.array([0.5, -1.0, 2.0]),
        "cov_factor": np.array([[0.5, 0.1], [-0.3, 0.4], [0.2, 0.2]]),
        "cov_diag": np.array([1.5, 0.7, 2.0]),
    }
]


def test_kl_large_batch_chunked_path_matches():
    # Batches of ≥ 16 low-rank pairs are evaluated a few pairs at a time on CPU (lax.map);
    # the values, broadcasting and gradients are those of the whole-batch formula.
    from jaxkl.distributions import low_rank_multivariate_normal_kl

    rng = np.random.default_rng(5)
    d, r = 6, 2
    p = LowRankMultivariateNormal(
        rng.normal(size=(5, 8, d)), rng.normal(size=(8, d, r)), rng.uniform(0.5, 2, (5, 1, d))
    )
    q = LowRankMultivariateNormal(rng.normal(size=d), rng.normal(size=(5, 8, d, r)), rng.uniform(0.5, 2, d))
    got = kl_divergence(p, q)
    whole = jax.jit(low_rank_multivariate_normal_kl._lowrank_core)(
        p.loc, p.cov_diag, p.cov_factor, q.loc, q.cov_diag, q.cov_factor
    )
    assert got.shape == (5, 8)
    np.testing.assert_allclose(got, whole, rtol=1e-12)
    g = jax.grad(lambda w: kl_divergence(LowRankMultivariateNormal(p.loc, w, p.cov_diag), q).sum())(p.cov_factor)
    assert g.shape == (8, d, r) and bool(jnp.all(jnp.isfinite(g)))
