"""Exponential: the registry case, the pairs Exponential ‖ {Exponential, Gumbel, Normal}."""

from __future__ import annotations

import mpmath as mp
from scipy import stats
from tables import Case

from jaxkl.distributions import Exponential, Gumbel, Normal

from .test_gamma import (
    LOC_SCALE,
    gamma_gumbel_regimes,
    gamma_normal_regimes,
    one_parameter_regimes,
    positive_pair,
    ref_gamma_gumbel,
    ref_gamma_normal,
)

GROUP = "positive"
FAMILY = Exponential
CASE = Case(lambda rng: {"rate": float(rng.uniform(0.5, 2.0))}, lambda rate: stats.expon(scale=1.0 / rate))


def ref_exponential(l1, l2):
    return mp.log(l1 / l2) + l2 / l1 - 1


def exponential_regimes():
    return one_parameter_regimes((0.1, 10), (1e-4, 1e4))


RATE = ("rate",)
PAIRS = [
    positive_pair(
        Exponential,
        Exponential,
        RATE,
        RATE,
        ref_exponential,
        exponential_regimes(),
    ),
    positive_pair(
        Exponential,
        Gumbel,
        RATE,
        LOC_SCALE,
        lambda lam, mu, beta: ref_gamma_gumbel(mp.mpf(1), lam, mu, beta),
        gamma_gumbel_regimes(True),
    ),
    positive_pair(
        Exponential,
        Normal,
        RATE,
        LOC_SCALE,
        lambda lam, mu, s: ref_gamma_normal(mp.mpf(1), lam, mu, s),
        gamma_normal_regimes(True),
    ),
]
