"""Probability distributions as immutable pytrees (numpyro's names, parameters and order).

Each family has ``batch_shape``, ``event_shape``, ``log_prob``, ``sample``, ``entropy``,
``mean`` and ``variance``; jit, vmap and grad pass through them.
"""

from ._base import Distribution as Distribution
from ._support import Support as Support
from .beta import Beta as Beta
from .beta import Kumaraswamy as Kumaraswamy
from .categorical import Categorical as Categorical
from .categorical import OneHotCategorical as OneHotCategorical
from .delta import Delta as Delta
from .dirichlet import Dirichlet as Dirichlet
from .discrete import Bernoulli as Bernoulli
from .discrete import Binomial as Binomial
from .discrete import Geometric as Geometric
from .discrete import Poisson as Poisson
from .gamma import Chi2 as Chi2
from .gamma import Exponential as Exponential
from .gamma import Gamma as Gamma
from .gamma import InverseGamma as InverseGamma
from .independent import Independent as Independent
from .location_scale import Cauchy as Cauchy
from .location_scale import Gumbel as Gumbel
from .location_scale import HalfCauchy as HalfCauchy
from .location_scale import Laplace as Laplace
from .location_scale import Logistic as Logistic
from .location_scale import StudentT as StudentT
from .mixture import MixtureSameFamily as MixtureSameFamily
from .multinomial import Multinomial as Multinomial
from .multivariate_normal import LowRankMultivariateNormal as LowRankMultivariateNormal
from .multivariate_normal import MultivariateNormal as MultivariateNormal
from .multivariate_normal import MultivariateNormalDiag as MultivariateNormalDiag
from .normal import HalfNormal as HalfNormal
from .normal import LogNormal as LogNormal
from .normal import Normal as Normal
from .positive import Pareto as Pareto
from .positive import Weibull as Weibull
from .uniform import ContinuousBernoulli as ContinuousBernoulli
from .uniform import Uniform as Uniform
from .von_mises import VonMises as VonMises
from .wishart import Wishart as Wishart

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Chi2",
    "ContinuousBernoulli",
    "Delta",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfCauchy",
    "HalfNormal",
    "Independent",
    "InverseGamma",
    "Kumaraswamy",
    "Laplace",
    "LogNormal",
    "Logistic",
    "LowRankMultivariateNormal",
    "MixtureSameFamily",
    "Multinomial",
    "MultivariateNormal",
    "MultivariateNormalDiag",
    "Normal",
    "OneHotCategorical",
    "Pareto",
    "Poisson",
    "StudentT",
    "Support",
    "Uniform",
    "VonMises",
    "Weibull",
    "Wishart",
]
