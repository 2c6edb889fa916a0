"""Probability distributions as immutable pytrees (numpyro's names, parameters and order).

Each family has ``batch_shape``, ``event_shape``, ``log_prob``, ``sample``, ``entropy``,
``mean`` and ``variance``; jit, vmap and grad pass through them.

Layout: one module per family, named after its class in snake case (``Normal`` in
``normal.py``, ``OneHotCategorical`` in ``one_hot_categorical.py``), holding the class, its
support, moments and the special functions only it needs; next to it, ``<family>_kl.py``
holds every closed-form KL(p ‖ q) whose p is that family, and registers them. Importing this
package imports every family, then every pair module, so the registry is complete once
``jaxkl.distributions`` is imported.
"""

from ._base import Distribution as Distribution
from ._support import Support as Support
from .bernoulli import Bernoulli as Bernoulli
from .beta import Beta as Beta
from .binomial import Binomial as Binomial
from .categorical import Categorical as Categorical
from .cauchy import Cauchy as Cauchy
from .chi2 import Chi2 as Chi2
from .continuous_bernoulli import ContinuousBernoulli as ContinuousBernoulli
from .delta import Delta as Delta
from .dirichlet import Dirichlet as Dirichlet
from .exponential import Exponential as Exponential
from .gamma import Gamma as Gamma
from .geometric import Geometric as Geometric
from .gumbel import Gumbel as Gumbel
from .half_cauchy import HalfCauchy as HalfCauchy
from .half_normal import HalfNormal as HalfNormal
from .independent import Independent as Independent
from .inverse_gamma import InverseGamma as InverseGamma
from .kumaraswamy import Kumaraswamy as Kumaraswamy
from .laplace import Laplace as Laplace
from .log_normal import LogNormal as LogNormal
from .logistic import Logistic as Logistic
from .low_rank_multivariate_normal import LowRankMultivariateNormal as LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily as MixtureSameFamily
from .multinomial import Multinomial as Multinomial
from .multivariate_normal import MultivariateNormal as MultivariateNormal
from .multivariate_normal_diag import MultivariateNormalDiag as MultivariateNormalDiag
from .normal import Normal as Normal
from .one_hot_categorical import OneHotCategorical as OneHotCategorical
from .pareto import Pareto as Pareto
from .poisson import Poisson as Poisson
from .student_t import StudentT as StudentT
from .uniform import Uniform as Uniform
from .von_mises import VonMises as VonMises
from .weibull import Weibull as Weibull
from .wishart import Wishart as Wishart

# isort: split
# The closed-form pairs: each module registers KL(p ‖ q) for the p it is named after.
from . import (  # noqa: F401  (imported for their registrations)
    bernoulli_kl,
    beta_kl,
    binomial_kl,
    categorical_kl,
    cauchy_kl,
    chi2_kl,
    continuous_bernoulli_kl,
    delta_kl,
    dirichlet_kl,
    exponential_kl,
    gamma_kl,
    geometric_kl,
    gumbel_kl,
    half_cauchy_kl,
    half_normal_kl,
    independent_kl,
    inverse_gamma_kl,
    kumaraswamy_kl,
    laplace_kl,
    log_normal_kl,
    logistic_kl,
    low_rank_multivariate_normal_kl,
    multinomial_kl,
    multivariate_normal_diag_kl,
    multivariate_normal_kl,
    normal_kl,
    one_hot_categorical_kl,
    pareto_kl,
    poisson_kl,
    student_t_kl,
    uniform_kl,
    von_mises_kl,
    weibull_kl,
    wishart_kl,
)

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
