"""Closed-form KL divergences: the registry and the pair formulas, grouped by family.

Importing this package registers every pair.
"""

from . import beta as beta
from . import delta as delta
from . import discrete as discrete
from . import gamma as gamma
from . import gaussian as gaussian
from . import multivariate as multivariate
from . import normal as normal
from . import positive as positive
from . import uniform as uniform
from . import von_mises as von_mises
from .registry import kl_divergence as kl_divergence
from .registry import register_kl as register_kl
from .registry import registered_pairs as registered_pairs

__all__ = ["kl_divergence", "register_kl", "registered_pairs"]
