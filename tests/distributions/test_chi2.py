"""Chi2: the registry case, the pair Chi2 ‖ Chi2 (and, as a Gamma, the pairs of the Gamma)."""

from __future__ import annotations

import mpmath as mp
from scipy import stats
from tables import Case

from jaxkl.distributions import Chi2

from .test_gamma import one_parameter_regimes, positive_pair, ref_gamma_gamma

GROUP = "positive"
FAMILY = Chi2
CASE = Case(lambda rng: {"df": float(rng.uniform(3.0, 8.0))}, lambda df: stats.chi2(df))


def ref_chi2(d1, d2):
    return ref_gamma_gamma(d1 / 2, mp.mpf(0.5), d2 / 2, mp.mpf(0.5))


def chi2_regimes():
    return one_parameter_regimes((0.5, 30), (1e-3, 2e5))


DF = ("df",)
PAIRS = [
    positive_pair(
        Chi2,
        Chi2,
        DF,
        DF,
        ref_chi2,
        chi2_regimes(),
    )
]
