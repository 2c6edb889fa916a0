"""MultivariateNormal: its own tests. The checks it shares with the other Gaussian families (one
code path, `mvn_pair`) are in tests/test_dist_gaussian.py and tests/test_kl_gaussian.py."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaxkl.distributions import MultivariateNormal

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)
GROUP = "gaussian"
FAMILY = MultivariateNormal

_COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.5]])
# one valid point per parameterization (tests/test_domain.py walks each one's domain)
DOMAIN_POINTS = [
    {"loc": np.array([0.5, -1.0, 2.0]), "covariance_matrix": _COV},
    {"loc": np.array([0.5, -1.0, 2.0]), "scale_tril": np.linalg.cholesky(_COV)},
    {"loc": np.array([0.5, -1.0, 2.0]), "precision_matrix": np.linalg.inv(_COV)},
]


def other_root(tril):
    """Another square root of L·Lᵀ: a column negated, and entries above the diagonal (which
    are ignored)."""
    out = np.array(tril, np.float64)
    out[..., :, 1] *= -1.0
    out[..., 0, 2] = 7.0
    return out


# parameter → another representation of the same distribution (tests/test_domain.py checks
# that every method and KL reads it as such)
DOMAIN_READINGS = {"scale_tril": other_root}


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
        ({"scale_tril": jnp.array([[1.0, 0.0], [0.5, 0.0]])}, "`scale_tril` must be a lower-triangular matrix with a"),
        (
            {"scale_tril": jnp.array([[1.0, 0.0], [jnp.nan, 1.0]])},
            "`scale_tril` must be a lower-triangular matrix with",
        ),
    ]
    # square roots of L·Lᵀ read as such (the upper triangle ignored, any sign on the diagonal)
    MultivariateNormal(jnp.zeros(2), scale_tril=jnp.array([[1.0, 1.0], [0.0, 1.0]]), validate_args=True)
    MultivariateNormal(jnp.zeros(2), scale_tril=jnp.array([[-1.0, 0.0], [0.0, 1.0]]), validate_args=True)
    for kw, msg in bad:
        with pytest.raises(ValueError, match=msg):
            MultivariateNormal(jnp.zeros(2), validate_args=True, **kw)
