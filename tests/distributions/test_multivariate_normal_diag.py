"""MultivariateNormalDiag: its tests are the checks it shares with the other Gaussian families,
in tests/test_dist_gaussian.py (log_prob, moments, samples against scipy.stats) and
tests/test_kl_gaussian.py (every Gaussian pair against 50-digit mpmath, gradients)."""

from __future__ import annotations

import pytest

from jaxkl.distributions import MultivariateNormalDiag

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)
GROUP = "gaussian"
FAMILY = MultivariateNormalDiag
