"""MultivariateNormalDiag: its tests are the checks it shares with the other Gaussian families,
in tests/test_dist_gaussian.py (log_prob, moments, samples against scipy.stats) and
tests/test_kl_gaussian.py (every Gaussian pair against 50-digit mpmath, gradients)."""

from __future__ import annotations

import numpy as np
import pytest

from jaxkl.distributions import MultivariateNormalDiag

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)
GROUP = "gaussian"
FAMILY = MultivariateNormalDiag
DOMAIN_POINTS = [{"loc": np.array([0.5, -1.0, 2.0]), "scale_diag": np.array([1.5, 0.7, 2.0])}]
# the covariance is diag(σ²): a negative σ is read as |σ|
DOMAIN_READINGS = {"scale_diag": lambda s: np.asarray(s, np.float64) * np.array([-1.0, 1.0, -1.0])}
