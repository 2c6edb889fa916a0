"""Registry-table cases for the positive-support families."""

from __future__ import annotations

from cases_common import Case
from scipy import stats

from jaxkl.distributions import Chi2, Exponential, Gamma, InverseGamma, Pareto, Weibull

CASES = {
    Gamma: Case(
        lambda rng: {"concentration": float(rng.uniform(1.5, 5.0)), "rate": float(rng.uniform(0.5, 2.0))},
        lambda concentration, rate: stats.gamma(concentration, scale=1.0 / rate),
    ),
    Exponential: Case(
        lambda rng: {"rate": float(rng.uniform(0.5, 2.0))},
        lambda rate: stats.expon(scale=1.0 / rate),
    ),
    Chi2: Case(
        lambda rng: {"df": float(rng.uniform(3.0, 8.0))},
        lambda df: stats.chi2(df),
    ),
    InverseGamma: Case(
        lambda rng: {"concentration": float(rng.uniform(2.5, 6.0)), "rate": float(rng.uniform(0.5, 2.0))},
        lambda concentration, rate: stats.invgamma(concentration, scale=rate),
    ),
    Weibull: Case(
        lambda rng: {"scale": float(rng.uniform(0.5, 2.0)), "concentration": float(rng.uniform(1.2, 3.0))},
        lambda scale, concentration: stats.weibull_min(concentration, scale=scale),
    ),
    Pareto: Case(
        lambda rng: {"scale": float(rng.uniform(0.5, 2.0)), "alpha": float(rng.uniform(2.5, 6.0))},
        lambda scale, alpha: stats.pareto(alpha, scale=scale),
    ),
}
