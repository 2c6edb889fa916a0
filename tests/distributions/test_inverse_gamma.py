"""InverseGamma: the registry case, the pair InverseGamma ‖ InverseGamma (the Gamma ‖ Gamma
formula: KL is invariant under x ↦ 1/x) and InverseGamma's own tests."""

from __future__ import annotations

import mpmath as mp
import numpy as np
from scipy import stats
from tables import Case

from jaxkl.distributions import InverseGamma

from .test_gamma import GAMMA, gamma_regimes, positive_pair, ref_gamma_gamma

GROUP = "positive"
FAMILY = InverseGamma
CASE = Case(
    lambda rng: {"concentration": float(rng.uniform(2.5, 6.0)), "rate": float(rng.uniform(0.5, 2.0))},
    lambda concentration, rate: stats.invgamma(concentration, scale=rate),
)


PAIRS = [
    positive_pair(
        InverseGamma,
        InverseGamma,
        GAMMA,
        GAMMA,
        ref_gamma_gamma,
        gamma_regimes(),
    )
]


def test_entropy_large_concentration():
    with mp.workdps(50):
        a = np.array([50.0, 1e3, 1e5])
        got = np.asarray(InverseGamma(a, 2.0).entropy())
        want = [float(mp.mpf(x) + mp.log(2) + mp.loggamma(x) - (1 + x) * mp.digamma(x)) for x in a]
    np.testing.assert_allclose(got, want, rtol=1e-13)
