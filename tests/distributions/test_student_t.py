"""StudentT: the registry case and StudentT's own tests (no closed form with itself)."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from scipy import stats
from tables import Case, loc_scale_params

from jaxkl.distributions import StudentT
from jaxkl.registry import kl_divergence

GROUP = "real"
FAMILY = StudentT
CASE = Case(
    lambda rng: {"df": float(rng.uniform(2.5, 8.0)), **loc_scale_params(rng)},
    lambda df, loc, scale: stats.t(df, loc, scale),
)


@pytest.mark.parametrize("df", [0.7, 1.0, 1.5, 2.0, 3.0])
def test_moments_where_undefined(df):
    entropy, mean, variance = jax.jit(lambda d: (d.entropy(), d.mean, d.variance))(StudentT(df, 0.5, 2.0))
    ref = stats.t(df, 0.5, 2.0)
    np.testing.assert_allclose(float(mean), ref.mean(), equal_nan=True)
    np.testing.assert_allclose(float(variance), ref.var(), equal_nan=True)
    np.testing.assert_allclose(float(entropy), ref.entropy(), rtol=1e-12)


def test_rejects_non_positive_df():
    with pytest.raises(ValueError, match="df"):
        StudentT(0.0, validate_args=True)


def test_no_closed_form_with_itself():
    with pytest.raises(NotImplementedError, match="StudentT"):
        kl_divergence(StudentT(3.0, 0.0, 1.0), StudentT(3.0, 0.0, 1.0))
