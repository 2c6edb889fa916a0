"""OneHotCategorical: the registry case (its closed-form pairs are checked in
tests/test_kl_discrete.py)."""

from __future__ import annotations

from tables import Case

from jaxkl.distributions import OneHotCategorical

from .test_categorical import scipy_categorical, simplex

GROUP = "discrete"
FAMILY = OneHotCategorical
CASE = Case(simplex, scipy_categorical, True)
