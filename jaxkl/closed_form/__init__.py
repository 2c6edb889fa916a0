"""Closed-form KL divergences: the registry and the pair formulas, grouped by family.

Importing this package registers every pair.
"""

from .registry import kl_divergence as kl_divergence
from .registry import register_kl as register_kl
from .registry import registered_pairs as registered_pairs

__all__ = ["kl_divergence", "register_kl", "registered_pairs"]
