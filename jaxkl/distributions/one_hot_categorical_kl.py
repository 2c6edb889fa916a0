"""Closed-form KL(p ‖ q) for p an OneHotCategorical: q ∈ {OneHotCategorical}. The formula is
the Categorical one."""

from __future__ import annotations

import jax

from ..registry import register_kl
from .categorical_kl import categorical_params_kl
from .one_hot_categorical import OneHotCategorical


@register_kl(OneHotCategorical, OneHotCategorical, jit=True)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> jax.Array:
    """KL(p ‖ q) between two OneHotCategorical distributions (as for Categorical).

    Raises:
        ValueError: the numbers of categories differ (at trace time, naming both shapes).
    """
    return categorical_params_kl(p, q, "KL(OneHotCategorical ‖ OneHotCategorical)")
