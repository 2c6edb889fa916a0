"""Closed-form KL(p ‖ q) for p an InverseGamma: q ∈ {InverseGamma, Beta, ContinuousBernoulli,
Pareto, Uniform (+inf)}.

The method is that of ``gamma_kl``.
"""

from __future__ import annotations

from .._special import gamma_kl
from ..registry import register_kl
from ._kl_common import infinite_kl, pair_params
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .inverse_gamma import InverseGamma
from .pareto import Pareto
from .uniform import Uniform


@register_kl(InverseGamma, InverseGamma, jit=True)
def _kl_inverse_gamma_inverse_gamma(p, q):
    """KL(p ‖ q) between two InverseGamma distributions.

    x ↦ 1/x maps InverseGamma(a, b) onto Gamma(a, rate b) and KL is invariant under
    bijections, so this is the Gamma KL of the same parameters (``_special.gamma_kl``).

    Returns:
        Shape ``broadcast(p.batch_shape, q.batch_shape)``.
    """
    a1, b1, a2, b2 = pair_params(p, q, ("concentration", "rate"), ("concentration", "rate"))
    return gamma_kl(a1, b1, a2, b2)


# +inf: an InverseGamma puts mass on all of (0, ∞); each of these q lives on a bounded
# interval, or (Pareto) on [m, ∞) with m > 0.
for _q in (Beta, ContinuousBernoulli, Uniform, Pareto):
    register_kl(InverseGamma, _q, jit=True)(infinite_kl)
