"""OneHotCategorical: the registry case (its closed-form pairs are checked in
tests/test_kl_discrete.py)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from tables import Case

from jaxkl.distributions import OneHotCategorical

from .test_categorical import scipy_categorical, simplex

GROUP = "discrete"
FAMILY = OneHotCategorical
CASE = Case(simplex, scipy_categorical, True)


def test_log_prob_moments_entropy():
    probs = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]])
    d = OneHotCategorical(probs=probs)
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    x = np.array([[0, 0, 1], [0, 1, 0]], float)
    np.testing.assert_allclose(d.log_prob(x), np.log([0.5, 0.1]), rtol=1e-14)
    np.testing.assert_allclose(d.mean, probs)
    np.testing.assert_allclose(d.variance, probs * (1 - probs))
    np.testing.assert_allclose(d.entropy(), [stats.entropy(r) for r in probs], rtol=1e-14)
    with pytest.raises(ValueError, match="last axis 3"):
        d.log_prob(np.zeros(4))
