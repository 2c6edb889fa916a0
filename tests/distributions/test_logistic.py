"""Logistic: the registry case and Logistic's own tests (no closed form with itself)."""

from __future__ import annotations

import pytest
from scipy import stats
from tables import Case, loc_scale_params

from jaxkl.distributions import Logistic
from jaxkl.registry import kl_divergence

GROUP = "real"
FAMILY = Logistic
CASE = Case(loc_scale_params, lambda loc, scale: stats.logistic(loc, scale))


def test_no_closed_form_with_itself():
    with pytest.raises(NotImplementedError, match="Logistic"):
        kl_divergence(Logistic(0.0, 1.0), Logistic(0.0, 1.0))
