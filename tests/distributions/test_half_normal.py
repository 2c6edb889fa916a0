"""HalfNormal: the registry case, the pair HalfNormal ‖ HalfNormal."""

from __future__ import annotations

import mpmath as mp
from scipy import stats
from tables import Case, loc_scale_pair, scale_params

from jaxkl.distributions import HalfNormal

GROUP = "real"
FAMILY = HalfNormal
CASE = Case(scale_params, lambda scale: stats.halfnorm(scale=scale))


def ref_half_normal(b, d):
    return mp.log(d / b) + b**2 / (2 * d**2) - mp.mpf(1) / 2


def _scipy(s):
    return stats.halfnorm(scale=s)


PAIRS = [loc_scale_pair(HalfNormal, HalfNormal, ref_half_normal, loc_scale=False)]
