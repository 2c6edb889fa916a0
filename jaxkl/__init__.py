"""jaxkl: the Kullback–Leibler divergence in JAX.

Pure, jit-, vmap- and grad-compatible functions for element-wise KL terms with scipy's
semantics, KL between probability vectors and between logits, closed-form KL between
parameterized distributions (``jaxkl.distributions``, ``jaxkl.kl_divergence``), and the
estimators for pairs without one: Monte Carlo (``monte_carlo_kl``, ``kl_estimate``),
k-nearest-neighbour from samples (``knn_kl``) and quadrature (``quadrature_kl``).
"""

from . import checks as checks
from . import distributions as distributions
from .discrete import cross_entropy as cross_entropy
from .discrete import entropy as entropy
from .discrete import js_divergence as js_divergence
from .discrete import kl as kl
from .elementwise import entr as entr
from .elementwise import kl_div as kl_div
from .elementwise import rel_entr as rel_entr
from .fused_linear import fused_linear_kl as fused_linear_kl
from .interop import as_distribution as as_distribution
from .logits import jsd_logits as jsd_logits
from .logits import kl_logits as kl_logits
from .monte_carlo import kl_estimate as kl_estimate
from .monte_carlo import kl_estimator_terms as kl_estimator_terms
from .monte_carlo import monte_carlo_kl as monte_carlo_kl
from .quadrature import quadrature_kl as quadrature_kl
from .registry import kl_divergence as kl_divergence
from .registry import register_kl as register_kl
from .registry import registered_pairs as registered_pairs
from .sample_based import knn_kl as knn_kl

__version__ = "0.1.0"

__all__ = [
    "as_distribution",
    "checks",
    "cross_entropy",
    "distributions",
    "entr",
    "entropy",
    "fused_linear_kl",
    "js_divergence",
    "jsd_logits",
    "kl",
    "kl_div",
    "kl_divergence",
    "kl_estimate",
    "kl_estimator_terms",
    "kl_logits",
    "knn_kl",
    "monte_carlo_kl",
    "quadrature_kl",
    "register_kl",
    "registered_pairs",
    "rel_entr",
]
