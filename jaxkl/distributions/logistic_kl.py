"""KL(p ‖ q) for p a Logistic: no finite closed form is registered. Logistic puts mass on the
whole real line, so KL(p ‖ q) is +inf for every q of the registered half-line and interval
families (zero gradients)."""

from __future__ import annotations

from ..registry import register_kl
from ._kl_common import HALF_LINE_OR_INTERVAL, infinite_kl
from .logistic import Logistic

# +inf: Logistic puts mass on the whole real line, each of these q on a half-line or an interval.
for _q in HALF_LINE_OR_INTERVAL:
    register_kl(Logistic, _q, jit=True)(infinite_kl)
