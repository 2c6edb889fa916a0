"""LogNormal: the registry case, the pair LogNormal ‖ LogNormal and LogNormal's own tests."""

from __future__ import annotations

import numpy as np
from scipy import stats
from tables import Case, loc_scale_pair, regime_rows

from jaxkl.distributions import LogNormal, Normal
from jaxkl.registry import kl_divergence

from .test_normal import ref_normal

GROUP = "real"
FAMILY = LogNormal
CASE = Case(
    lambda rng: {"loc": float(rng.normal(scale=0.5)), "scale": float(rng.uniform(0.3, 1.0))},
    lambda loc, scale: stats.lognorm(scale, scale=np.exp(loc)),
)


def _scipy(m, s):
    return stats.lognorm(s, scale=np.exp(m))


PAIRS = [
    loc_scale_pair(
        LogNormal,
        LogNormal,
        ref_normal,
    )
]


def test_equals_normal_of_the_logs():
    x = regime_rows(PAIRS[0], "generic")[:8]
    p, q = x[:, :2].T, x[:, 2:].T
    np.testing.assert_array_equal(kl_divergence(LogNormal(*p), LogNormal(*q)), kl_divergence(Normal(*p), Normal(*q)))
