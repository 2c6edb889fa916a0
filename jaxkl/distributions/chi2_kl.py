"""Closed-form KL(p ‖ q) for p a Chi2: q ∈ {Chi2, Gamma}.

Both are the Gamma formula of ``gamma_kl``; the other pairs with p a Chi2 are Gamma pairs
served through subclassing.
"""

from __future__ import annotations

from ..registry import register_kl
from .chi2 import Chi2
from .gamma import Gamma
from .gamma_kl import kl_gamma_gamma

register_kl(Chi2, Chi2, jit=True)(kl_gamma_gamma)
register_kl(Chi2, Gamma, jit=True)(kl_gamma_gamma)
