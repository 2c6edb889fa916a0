"""MultivariateNormal: its own tests. The checks it shares with the other Gaussian families (one
code path, `mvn_pair`) are in tests/test_dist_gaussian.py and tests/test_kl_gaussian.py."""

from __future__ import annotations

import jax.numpy as jnp
import pytest

from jaxkl.distributions import MultivariateNormal

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)
GROUP = "gaussian"
FAMILY = MultivariateNormal


def test_validate_args_checks_the_matrix():

    MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2), validate_args=True)
    MultivariateNormal(jnp.zeros(2), scale_tril=jnp.array([[1.0, 0.0], [0.5, 2.0]]), validate_args=True)
    bad = [
        (
            {"covariance_matrix": jnp.array([[1.0, 2.0], [2.0, 1.0]])},
            "`covariance_matrix` must be a symmetric positive",
        ),
        (
            {"covariance_matrix": jnp.array([[1.0, 0.1], [0.0, 1.0]])},
            "`covariance_matrix` must be a symmetric positive",
        ),
        ({"precision_matrix": -jnp.eye(2)}, "`precision_matrix` must be a symmetric positive"),
        ({"scale_tril": jnp.array([[1.0, 1.0], [0.0, 1.0]])}, "`scale_tril` must be lower triangular"),
        ({"scale_tril": jnp.array([[-1.0, 0.0], [0.0, 1.0]])}, "`scale_tril` must be lower triangular"),
    ]
    for kw, msg in bad:
        with pytest.raises(ValueError, match=msg):
            MultivariateNormal(jnp.zeros(2), validate_args=True, **kw)
