"""Closed-form KL(p ‖ q) for p a Kumaraswamy: q ∈ {Beta, Uniform}.

Kumaraswamy ‖ Kumaraswamy has no closed form (E[log(1 − X^a')] under Kumaraswamy(a, b) is
an infinite series unless a' = a) and is not registered; use ``jaxkl.quadrature_kl``.
The method is that of ``beta_kl``.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._math import log1p as _log1p
from .._special import beta_kl, betaln, expm1mx, harmonic, phi_quotient
from ..registry import register_kl
from ._kl_common import common
from .beta import Beta
from .kumaraswamy import Kumaraswamy, kumaraswamy_neg_entropy
from .uniform import Uniform


@register_kl(Kumaraswamy, Uniform, jit=True)
def _kl_kumaraswamy_uniform(p, q):
    """KL(p ‖ q) for p = Kumaraswamy(a, b) and q = Uniform(l, h).

    −H(p) + log(h − l) for l ≤ 0 and h ≥ 1 (+inf otherwise): phi1p(1/a − 1) + phi1p(1/b − 1) −
    (1 − 1/a)(H_b − 1) + log1p((h − 1) − l), exact at Kumaraswamy(1, 1) = Uniform(0, 1).
    """
    a, b = p.broadcast_params("concentration1", "concentration0")
    low, high = q.broadcast_params("low", "high")
    a, b, low, high = common(a, b, low, high)
    ok = (low <= 0) & (high >= 1)
    d = jnp.where(ok, (high - 1.0) - low, 0.0)
    return jnp.where(ok, jnp.maximum(kumaraswamy_neg_entropy(a, b), 0.0) + _log1p(d), jnp.inf)


def _mori_rule(h: float, u_lo: float, u_hi: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes τ_k and weights ω_k with ∫₀^∞ f(τ) dτ ≈ Σ ω_k f(τ_k), τ = exp(u − e^(−u)).

    Mori's double-exponential transform for integrands that decay exponentially: nodes
    cluster double-exponentially at 0 (where the Kumaraswamy integrands have algebraic
    singularities) and spread single-exponentially towards ∞.
    """
    u = h * np.arange(math.floor(u_lo / h), math.ceil(u_hi / h) + 1)
    tau = np.exp(u - np.exp(-u))
    return tau, h * tau * (1.0 + np.exp(-u))


# float64: step 0.2 on u ∈ [−4, 8.4] (63 nodes); float32: step 0.35 on [−3.2, 7.7] (32 nodes).
# The scale c = clip(b, 1/100, 1) puts the branch points at t = 2πikb a fixed distance from
# the nodes; the range reaches t = 45 (float64) / 20 (float32) at c = 1/100.
_RULES = {
    np.dtype(np.float64): _mori_rule(0.2, -4.0, 8.4),
    np.dtype(np.float32): _mori_rule(0.35, -3.2, 7.7),
}


_C_MIN = 0.01


def _log_neg_log1mexp(s: jax.Array) -> jax.Array:
    """log(−log(1 − e^(−s))) for s > 0, accurate when e^(−s) underflows."""
    big = s >= 1.0
    z = jnp.exp(-jnp.where(big, s, 1.0))
    tiny = z < 1e-8
    zs = jnp.where(tiny, 0.5, z)
    ratio = jnp.where(tiny, 1.0 + 0.5 * z, -jnp.log1p(-zs) / zs)  # −log(1 − z)/z
    sm = jnp.where(big, 1.0, s)
    return jnp.where(big, -s + jnp.log(ratio), jnp.log(-jnp.log(-jnp.expm1(-sm))))


def _expm1_over(v: jax.Array) -> jax.Array:
    """(e^v − 1)/v (1 at v = 0), with 1 + v/2 + v²/6 + v³/24 for |v| < 1e-4 (float64) / 1e-2
    (float32), so that the derivative stays finite for tiny v."""
    small = jnp.abs(v) < (1e-4 if v.dtype == np.float64 else 1e-2)
    vt = jnp.where(small, v, 0.0)
    vs = jnp.where(small, 1.0, v)
    return jnp.where(small, 1.0 + vt * (0.5 + vt * (1.0 / 6.0 + vt / 24.0)), jnp.expm1(vs) / vs)


def _kumaraswamy_nodes(a, b):
    """Per-node quantities of X ~ Kumaraswamy(a, b) (trailing node axis).

    With t ~ Exp(1), X = (1 − e^(−t/b))^(1/a) (so that 1 − X^a = e^(−t/b)). Returns the
    weights w_k (Σ w_k f(t_k) ≈ E[f]) and log w_k, s = t/b, log X, log(1 − X) and
    r = log((1 − X^a)/(1 − X)), each computed without cancellation.
    """
    tau, omega = (jnp.asarray(v, a.dtype) for v in _RULES[np.dtype(a.dtype)])
    c = jnp.clip(b, _C_MIN, 1.0)[..., None]
    a, b = a[..., None], b[..., None]
    t = c * tau
    log_w = jnp.log(c * omega) - t
    w = jnp.exp(log_w)
    s = t / b
    lnl = _log_neg_log1mexp(s)  # log(−log Y), Y = X^a = 1 − e^(−s)
    lx = -jnp.exp(lnl) / a  # log X
    near1 = lx > -0.6931471805599453
    lxn = jnp.where(near1, lx, -1.0)
    l1x = jnp.where(
        near1, lnl - jnp.log(a) + jnp.log(_expm1_over(lxn)), jnp.log1p(-jnp.exp(jnp.where(near1, -1.0, lx)))
    )
    # r = log1p((X − X^a)/(1 − X)); (X − X^a)/(1 − X) = (a − 1)·X·E1((a − 1)·log X)/E1(log X).
    y = (a - 1.0) * lx
    big_y = jnp.abs(y) > 1.0
    ys = jnp.where(big_y, 0.0, y)
    yb = jnp.where(big_y, y, 1.0)
    x_e1 = jnp.where(big_y, (jnp.exp(a * lx) - jnp.exp(lx)) / yb, jnp.exp(lx) * _expm1_over(ys))
    r = _log1p((a - 1.0) * x_e1 / _expm1_over(lx))
    return w, log_w, s, lx, l1x, r


@register_kl(Kumaraswamy, Beta, jit=True, cpu_chunked=True)
def _kl_kumaraswamy_beta(p, q):
    """KL(p ‖ q) for p = Kumaraswamy(a, b) and q = Beta(α, β).

    Since X^a ~ Beta(1, b) under p, E[log X] = −H_b/a and E[log(1 − X^a)] = −1/b, so

        KL = log(ab) + log B(α, β) + (α − a)·H_b/a − (b − 1)/b − (β − 1)·E[log(1 − X)],

    where E[log(1 − X)] = −Σ_m b·B(1 + m/a, b)/m is an infinite series that converges like
    m^(−1−b) (the 10-term truncation of Nalisnick and Smyth, used by numpyro and TFP, is off
    by several per cent at moderate parameters). Here it is integrated instead over
    t = −b·log(1 − X^a) ~ Exp(1) with Mori's double-exponential rule (63 nodes in float64,
    32 in float32), which handles the algebraic endpoint singularities of the integrand.
    Measured against 50-digit references for a ∈ [0.1, 1e3], b ∈ [0.01, 1e5] and q's
    concentrations in [0.05, 1e4]: relative error below 1e-12 in float64 and 1e-5 in
    float32 (b ≥ 0.1; for smaller b a small KL between two laws piled up at 1 can lose up
    to about 1e-7/b relative in float32).

    The same nodes also evaluate the non-negative form KL = E_p[e^L − 1 − L],
    L = log q(X) − log p(X), with L written around Beta(1, b) = Kumaraswamy(1, b) (or
    Beta(a, 1) = Kumaraswamy(a, 1), whichever is closer) as a sum of terms that are each
    O(distance to that coincidence), so that it keeps relative accuracy as p → q. The two
    differ by the quadrature error of ∫q = 1 on p's nodes; the non-negative form is returned
    where that error is below the rounding error of the direct form (q's mass is then
    resolved, as it is whenever q is close to p).

    References:
        Nalisnick, E. and Smyth, P., "Stick-breaking variational autoencoders", 2017.
        Mori, M., "Discovery of the double exponential transformation and its
        developments", 2005.
    """
    a, b = p.broadcast_params("concentration1", "concentration0")
    al, be = q.broadcast_params("concentration1", "concentration0")
    a, b, al, be = common(a, b, al, be)
    w, log_w, s, lx, l1x, r = _kumaraswamy_nodes(a, b)
    hb = harmonic(b)
    # Direct form, with the one expectation that has no closed form by quadrature.
    e_l1x = jnp.sum(w * l1x, axis=-1)
    parts = (jnp.log(a), phi_quotient(jnp.ones_like(b), b), betaln(al, be), (al - a) * hb / a, -(be - 1.0) * e_l1x)
    kl_direct = sum(parts)
    # its rounding error: a few ulps of the largest terms
    err_direct = 4.0 * float(np.finfo(a.dtype).eps) * sum(jnp.abs(t) for t in parts)
    # Non-negative form around the closer coincidence.
    ref_a = jnp.abs(a - 1.0) <= jnp.abs(b - 1.0)
    ones = jnp.ones_like(a)
    breg_a = beta_kl(ones, b, al, be)
    breg_b = beta_kl(a, ones, al, be)
    e = lambda v: v[..., None]  # noqa: E731
    la = (
        e(-breg_a - _log1p(a - 1.0) + (al - 1.0) * hb)
        + e(al - a) * lx
        + e(be - b) * (l1x + e(1.0 / b))
        - e(b - 1.0) * r
    )
    # log(1 − X) = −s − r: the terms of size s are combined as (b − β)·s.
    lb = (
        e(-breg_b + (al - a) / a + (be - 1.0) * harmonic(a) - _log1p(b - 1.0))
        + e(al - a) * lx
        - e(be - 1.0) * r
        + e(b - be) * s
    )
    big_l = jnp.where(e(ref_a), la, lb)
    # w·(e^L − 1 − L), with e^L·w formed in log space where q/p is large (p's far tail).
    large = big_l > 1.0
    l_small = jnp.where(large, 0.0, big_l)
    l_large = jnp.where(large, big_l, 1.0)
    e_lw = jnp.exp(l_large + log_w)
    terms = jnp.where(large, e_lw - w * (1.0 + l_large), w * expm1mx(l_small))
    kl_near = jnp.sum(terms, axis=-1)
    # The two forms differ by the quadrature error of ∫q = 1 on p's nodes, Σ w·(e^L − 1); the
    # non-negative form is used only where that is below the rounding error of the direct one
    # (q's mass is then resolved by the nodes, as it is whenever p is close to q).
    err_near = jnp.abs(jnp.sum(jnp.where(large, e_lw - w, w * jnp.expm1(l_small)), axis=-1))
    return jnp.maximum(jnp.where(err_near < err_direct, kl_near, kl_direct), 0.0)
