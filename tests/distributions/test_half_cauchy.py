"""HalfCauchy: the registry case, the pair HalfCauchy ‖ HalfCauchy."""

from __future__ import annotations

import mpmath as mp
from scipy import stats
from tables import Case, loc_scale_pair, scale_params

from jaxkl.distributions import HalfCauchy

GROUP = "real"
FAMILY = HalfCauchy
CASE = Case(scale_params, lambda scale: stats.halfcauchy(scale=scale))


def ref_half_cauchy(b, d):
    # derived in the docstring of the closed form; checked against quadrature
    return mp.log((b + d) ** 2) - mp.log(4 * b * d)


def _scipy(s):
    return stats.halfcauchy(scale=s)


PAIRS = [loc_scale_pair(HalfCauchy, HalfCauchy, ref_half_cauchy, loc_scale=False)]
