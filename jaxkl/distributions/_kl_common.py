"""Helpers shared by the pair modules of several families: parameters in a common dtype and
shape, +inf of the batch shape, the exactly rounded discrete KL term, and small formula
pieces used by pairs of several families.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .._math import HALF_LOG_2PI, compute_dtype
from .._special import kl_div1p, phi_quotient
from .beta import Beta
from .continuous_bernoulli import ContinuousBernoulli
from .exponential import Exponential
from .gamma import Gamma
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .inverse_gamma import InverseGamma
from .kumaraswamy import Kumaraswamy
from .log_normal import LogNormal
from .pareto import Pareto
from .uniform import Uniform
from .weibull import Weibull

# c(1) = KL(Exponential ‖ Normal of the same mean and variance) = ½·log 2π − ½.
C_EXP_NORMAL = HALF_LOG_2PI - 0.5


# The families on a half-line or an interval: KL(p ‖ q) = +inf for each of them when p has a
# density on the whole real line (registered by the real-line families' pair modules).
# ``Gamma`` also covers its subclass ``Chi2``; ``Exponential`` is listed for
# ``registered_pairs()``.
HALF_LINE_OR_INTERVAL = (
    LogNormal,
    HalfNormal,
    HalfCauchy,
    Exponential,
    Gamma,
    InverseGamma,
    Weibull,
    Pareto,
    Beta,
    Kumaraswamy,
    Uniform,
    ContinuousBernoulli,
)


def pair_dtype(p, q) -> np.dtype:
    """The dtype a pair is computed in: ``compute_dtype`` of the two parameter dtypes
    (float32 for bfloat16/float16 parameters)."""
    return compute_dtype(p.dtype, q.dtype)


def cast_all(dt, *arrays: jax.Array) -> list[jax.Array]:
    """The arrays cast to ``dt`` (shapes unchanged)."""
    return [a.astype(dt) for a in arrays]


def common(*arrays: jax.Array) -> list[jax.Array]:
    """The arrays in their common compute dtype, broadcast to a common shape."""
    dt = compute_dtype(*(jnp.asarray(a).dtype for a in arrays))
    return list(jnp.broadcast_arrays(*(jnp.asarray(a, dt) for a in arrays)))


def pair_params(p, q, p_names, q_names) -> list[jax.Array]:
    """The named parameters of p and q in their common compute dtype, broadcast together."""
    dt = pair_dtype(p, q)
    shape = jnp.broadcast_shapes(p.batch_shape, q.batch_shape)
    return [
        jnp.broadcast_to(v.astype(dt), shape) for v in (*p.broadcast_params(*p_names), *q.broadcast_params(*q_names))
    ]


def infinite_kl(p, q) -> jax.Array:
    """+inf of the broadcast batch shape of p and q (gradient 0 with respect to both)."""
    shape = jnp.broadcast_shapes(p.batch_shape, q.batch_shape)
    return jnp.full(shape, jnp.inf, pair_dtype(p, q))


def normal_kl_moments(m: jax.Array, v: jax.Array, loc: jax.Array, scale: jax.Array) -> jax.Array:
    """KL(N(m, v) ‖ N(loc, scale²)) = ½·(v/σ² − 1 − log(v/σ²)) + ½·((m − loc)/σ)², both ≥ 0."""
    z = (m - loc) / scale
    return 0.5 * phi_quotient(v, scale * scale) + 0.5 * z * z


@jax.custom_jvp
def ratio(d, y):
    """d / y, differentiated as (ḋ − (d/y)·ẏ)/y so that no 1/y² overflows for tiny y."""
    return d / y


@ratio.defjvp
def _ratio_jvp(primals, tangents):
    d, y = primals
    dd, dy = tangents
    u = d / y
    return u, (dd - u * dy) / y


def kl_term(x, y, diff, log_ratio, x_zero, y_zero):
    """kl_div(x, y) = x·log(x/y) − x + y ≥ 0 for one outcome.

    ``diff`` is x − y computed accurately by the caller, ``log_ratio`` log(x/y) (used only
    where x/y ∉ [1/2, 2], where it cannot cancel), ``x_zero``/``y_zero`` mark exact zeros
    (x and y themselves may have underflowed to 0 while their logs are finite). Where
    x/y ∈ [1/2, 2] the value is y·kl_div1p(diff/y), free of cancellation; elsewhere
    x·log(x/y) − diff, whose two terms cancel by at most a factor of 7.
    """
    gen = ~(x_zero | y_zero)
    y_pos = gen & (y > 0)
    y_s = jnp.where(y_pos, y, 1.0)
    u = ratio(jnp.where(y_pos, diff, 0.0), y_s)
    near = y_pos & (u >= -0.5) & (u <= 1.0)
    v_near = y_s * kl_div1p(jnp.where(near, u, 0.0))
    far = gen & ~near
    v_far = jnp.where(far, x, 0.0) * jnp.where(far, log_ratio, 0.0) - jnp.where(far, diff, 0.0)
    val = jnp.maximum(jnp.where(near, v_near, v_far), 0.0)
    return jnp.where(gen, val, jnp.where(x_zero, jnp.where(y_zero, 0.0, y), jnp.inf))


def inf_where(ok: jax.Array, value: jax.Array) -> jax.Array:
    """``value`` where ``ok``, +inf elsewhere (``value`` must be built from safe inputs)."""
    return jnp.where(ok, value, jnp.inf)
