"""Registry-table cases for the real-line and location-scale families."""

from __future__ import annotations

import numpy as np
from cases_common import Case
from scipy import stats

from jaxkl.distributions import Cauchy, Gumbel, HalfCauchy, HalfNormal, Laplace, Logistic, LogNormal, Normal, StudentT


def _loc_scale(rng):
    return {"loc": float(rng.normal()), "scale": float(rng.uniform(0.5, 2.0))}


def _scale(rng):
    return {"scale": float(rng.uniform(0.5, 2.0))}


CASES = {
    Normal: Case(_loc_scale, lambda loc, scale: stats.norm(loc, scale)),
    LogNormal: Case(
        lambda rng: {"loc": float(rng.normal(scale=0.5)), "scale": float(rng.uniform(0.3, 1.0))},
        lambda loc, scale: stats.lognorm(scale, scale=np.exp(loc)),
    ),
    HalfNormal: Case(_scale, lambda scale: stats.halfnorm(scale=scale)),
    Laplace: Case(_loc_scale, lambda loc, scale: stats.laplace(loc, scale)),
    Cauchy: Case(_loc_scale, lambda loc, scale: stats.cauchy(loc, scale)),
    HalfCauchy: Case(_scale, lambda scale: stats.halfcauchy(scale=scale)),
    Gumbel: Case(_loc_scale, lambda loc, scale: stats.gumbel_r(loc, scale)),
    Logistic: Case(_loc_scale, lambda loc, scale: stats.logistic(loc, scale)),
    StudentT: Case(
        lambda rng: {"df": float(rng.uniform(2.5, 8.0)), **_loc_scale(rng)},
        lambda df, loc, scale: stats.t(df, loc, scale),
    ),
}
