"""KL(p ‖ q) for p a StudentT: no finite closed form is registered. StudentT puts mass on the
whole real line, so KL(p ‖ q) is +inf for every q of the registered half-line and interval
families (zero gradients)."""

from __future__ import annotations

from ..registry import register_kl
from ._kl_common import HALF_LINE_OR_INTERVAL, infinite_kl
from .student_t import StudentT

# +inf: StudentT puts mass on the whole real line, each of these q on a half-line or an interval.
for _q in HALF_LINE_OR_INTERVAL:
    register_kl(StudentT, _q, jit=True)(infinite_kl)
