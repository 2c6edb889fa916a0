"""Closed-form KL where p is Beta, Kumaraswamy, Uniform, ContinuousBernoulli or VonMises.

References: the textbook formulas evaluated with 50-digit mpmath at the same (rounded)
inputs, in three regimes per pair (generic, p close to q where the families can
coincide, extreme parameters), and numerical integration of the scipy.stats densities
(an independent check of the formulas themselves).
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from cases_bounded import ContinuousBernoulliScipy, KumaraswamyScipy
from kits import check_gradients, kl_rows, low_precision_gradients
from scipy import integrate, stats

from jaxkl.distributions import (
    Beta,
    ContinuousBernoulli,
    Exponential,
    Gamma,
    Gumbel,
    Kumaraswamy,
    Normal,
    Pareto,
    Uniform,
    VonMises,
)
from jaxkl.registry import kl_divergence, registered_pairs

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
RTOL = {np.float64: 1e-10, np.float32: 1e-4}


# --------------------------------------------------------------------- references


def _lbeta(a, b):
    return mp.log(mp.beta(a, b))


def _neg_h_beta(a, b):
    s = a + b
    return -(_lbeta(a, b) - (a - 1) * mp.digamma(a) - (b - 1) * mp.digamma(b) + (s - 2) * mp.digamma(s))


def _beta_moments(a, b):
    s = a + b
    return a / s, a * b / (s * s * (s + 1))


def _cb(lam):
    """(η, A(η), mean, variance) of ContinuousBernoulli(λ)."""
    eta = mp.log(lam / (1 - lam))
    if eta == 0:
        return eta, mp.mpf(0), mp.mpf(1) / 2, mp.mpf(1) / 12
    big_a = mp.log(mp.expm1(eta) / eta)
    m = mp.exp(eta) / mp.expm1(eta) - 1 / eta
    v = 1 / eta**2 - mp.exp(eta) / mp.expm1(eta) ** 2
    return eta, big_a, m, v


def _neg_h_cb(lam):
    eta, big_a, m, _ = _cb(lam)
    return eta * m - big_a


def _xlogx(x):
    return x * mp.log(x) if x > 0 else mp.mpf(0)


def _uniform_elog(lo, hi):
    """E[log X] for X uniform on [lo, hi], 0 ≤ lo."""
    return (_xlogx(hi) - hi - _xlogx(lo) + lo) / (hi - lo)


def _kum_elog1mx(a, b):
    """E[log(1 − X)] for X ~ Kumaraswamy(a, b), by adaptive quadrature over t = −b·log(1 − X^a)
    (30 digits: the KL then cancels at most 1e4-fold)."""
    with mp.workdps(30):
        return _kum_elog1mx_impl(a, b)


def _kum_elog1mx_impl(a, b):
    f = lambda t: mp.exp(-t) * mp.log(-mp.expm1(mp.log1p(-mp.exp(-t / b)) / a))  # noqa: E731
    pts = sorted({mp.mpf(0), *(b * mp.mpf(10) ** k for k in range(-30, 3) if b * 10.0**k < 150), 1, 5, 20, 60, 150})
    return mp.quad(f, pts)


def ref_beta_beta(a, b, c, d):
    return (
        _lbeta(c, d)
        - _lbeta(a, b)
        + (a - c) * mp.digamma(a)
        + (b - d) * mp.digamma(b)
        + (c + d - a - b) * mp.digamma(a + b)
    )


def ref_beta_uniform(a, b, lo, hi):
    return _neg_h_beta(a, b) + mp.log(hi - lo)


def ref_beta_cb(a, b, lam):
    eta, big_a, _, _ = _cb(lam)
    return _neg_h_beta(a, b) - eta * a / (a + b) + big_a


def ref_beta_gamma(a, b, k, r):
    s = a + b
    return _neg_h_beta(a, b) + mp.loggamma(k) - k * mp.log(r) - (k - 1) * (mp.digamma(a) - mp.digamma(s)) + r * a / s


def ref_beta_exponential(a, b, r):
    return ref_beta_gamma(a, b, mp.mpf(1), r)


def ref_beta_normal(a, b, loc, scale):
    m, v = _beta_moments(a, b)
    return _neg_h_beta(a, b) + mp.log(2 * mp.pi * scale**2) / 2 + (v + (m - loc) ** 2) / (2 * scale**2)


def ref_kum_beta(a, b, c, d):
    hb = mp.digamma(b + 1) + mp.euler
    return mp.log(a * b) + _lbeta(c, d) + (c - a) * hb / a - (b - 1) / b - (d - 1) * _kum_elog1mx(a, b)


def ref_kum_uniform(a, b, lo, hi):
    hb = mp.digamma(b + 1) + mp.euler
    return mp.log(a * b) - (1 - 1 / a) * hb - (1 - 1 / b) + mp.log(hi - lo)


def ref_cb_cb(l1, l2):
    e1, a1, m1, _ = _cb(l1)
    e2, a2, _, _ = _cb(l2)
    return (e1 - e2) * m1 - a1 + a2


def ref_cb_exponential(lam, r):
    _, _, m, _ = _cb(lam)
    return _neg_h_cb(lam) - mp.log(r) + r * m


def ref_cb_normal(lam, loc, scale):
    _, _, m, v = _cb(lam)
    return _neg_h_cb(lam) + mp.log(2 * mp.pi * scale**2) / 2 + (v + (m - loc) ** 2) / (2 * scale**2)


def ref_cb_uniform(lam, lo, hi):
    return _neg_h_cb(lam) + mp.log(hi - lo)


def ref_uniform_uniform(l1, h1, l2, h2):
    return mp.log((h2 - l2) / (h1 - l1))


def ref_uniform_beta(lo, hi, a, b):
    e1 = _uniform_elog(lo, hi)
    e0 = _uniform_elog(1 - hi, 1 - lo)
    return -mp.log(hi - lo) + _lbeta(a, b) - (a - 1) * e1 - (b - 1) * e0


def ref_uniform_cb(lo, hi, lam):
    eta, big_a, _, _ = _cb(lam)
    return -mp.log(hi - lo) - eta * (lo + hi) / 2 + big_a


def ref_uniform_gamma(lo, hi, k, r):
    return -mp.log(hi - lo) + mp.loggamma(k) - k * mp.log(r) - (k - 1) * _uniform_elog(lo, hi) + r * (lo + hi) / 2


def ref_uniform_exponential(lo, hi, r):
    return ref_uniform_gamma(lo, hi, mp.mpf(1), r)


def ref_uniform_gumbel(lo, hi, loc, scale):
    w = hi - lo
    tail = scale / w * (mp.exp(-(lo - loc) / scale) - mp.exp(-(hi - loc) / scale))
    return -mp.log(w) + mp.log(scale) + ((lo + hi) / 2 - loc) / scale + tail


def ref_uniform_normal(lo, hi, loc, scale):
    w = hi - lo
    return -mp.log(w) + mp.log(2 * mp.pi * scale**2) / 2 + (w**2 / 12 + ((lo + hi) / 2 - loc) ** 2) / (2 * scale**2)


def ref_uniform_pareto(lo, hi, m, alpha):
    return -mp.log(hi - lo) - mp.log(alpha) - alpha * mp.log(m) + (alpha + 1) * _uniform_elog(lo, hi)


def ref_vm_vm(m1, k1, m2, k2):
    a = mp.besseli(1, k1) / mp.besseli(0, k1)
    return mp.log(mp.besseli(0, k2) / mp.besseli(0, k1)) + a * (k1 - k2 * mp.cos(m1 - m2))


# ------------------------------------------------------------------------ the pairs


def _cbp(lam):
    return ContinuousBernoulli(probs=lam)


@dataclasses.dataclass
class Pair:
    P: Callable  # builds p from its n_p parameters
    Q: Callable
    n_p: int
    ref: Callable
    scipy_p: Callable
    scipy_q: Callable
    generic: tuple  # a generic interior point (quadrature, check_grads)
    points: list  # (parameters, regime) accuracy points; regimes "generic", "near", "extreme"
    grads_at: list = dataclasses.field(default_factory=list)  # p = q / boundary points
    inf_at: list = dataclasses.field(default_factory=list)  # p has mass outside q's support


_S_BETA = lambda a, b: stats.beta(a, b)  # noqa: E731
_S_UNI = lambda lo, hi: stats.uniform(lo, hi - lo)  # noqa: E731
_S_CB = ContinuousBernoulliScipy
_S_VM = lambda m, k: stats.vonmises(k, loc=m)  # noqa: E731

PAIRS = {
    "Beta-Beta": Pair(
        Beta,
        Beta,
        2,
        ref_beta_beta,
        _S_BETA,
        _S_BETA,
        (2.0, 3.0, 1.5, 4.0),
        [
            ((2.0, 3.0, 1.5, 4.0), "generic"),
            ((0.5, 0.7, 3.0, 2.0), "generic"),
            ((2.0, 3.0, 2.02, 3.0), "near"),
            ((2.0, 3.0, 2.0, 3.0003), "near"),
            ((0.3, 5.0, 0.3000003, 4.999995), "near"),
            ((1e5, 1e5, 1.001e5, 1e5), "extreme"),
            ((1e5, 3e4, 9e4, 3.1e4), "extreme"),
            ((1e5, 1e5, 2.0, 3.0), "extreme"),
            ((2.0, 3.0, 1e5, 1e5), "extreme"),
            ((0.01, 0.02, 0.011, 0.02), "extreme"),
        ],
        [(2.0, 3.0, 2.0, 3.0), (1e5, 1e5, 1e5, 1e5)],
    ),
    "Beta-Uniform": Pair(
        Beta,
        Uniform,
        2,
        ref_beta_uniform,
        _S_BETA,
        _S_UNI,
        (2.0, 3.0, -1.0, 2.0),
        [
            ((2.0, 3.0, -1.0, 2.0), "generic"),
            ((0.5, 0.5, 0.0, 1.0), "generic"),
            ((1.000001, 0.999999, 0.0, 1.0), "near"),
            ((1.0, 1.0, -1e-8, 1.0), "near"),
            ((1e5, 1e5, 0.0, 1.0), "extreme"),
            ((1e5, 2.0, -3.0, 1e4), "extreme"),
        ],
        [(1.0, 1.0, 0.0, 1.0)],
        [(2.0, 3.0, 0.01, 1.0), (2.0, 3.0, 0.0, 0.99)],
    ),
    "Beta-ContinuousBernoulli": Pair(
        Beta,
        _cbp,
        2,
        ref_beta_cb,
        _S_BETA,
        _S_CB,
        (2.0, 3.0, 0.3),
        [
            ((2.0, 3.0, 0.3), "generic"),
            ((0.5, 0.5, 0.8), "generic"),
            ((1.00001, 1.0, 0.500001), "near"),
            ((1.0, 1.0, 0.5001), "near"),
            ((1e5, 1e5, 0.5), "extreme"),
            ((1e5, 2.0, 0.99), "extreme"),
            ((3.0, 4.0, 1e-6), "extreme"),
        ],
        [(1.0, 1.0, 0.5)],
    ),
    "Beta-Gamma": Pair(
        Beta,
        Gamma,
        2,
        ref_beta_gamma,
        _S_BETA,
        lambda k, r: stats.gamma(k, scale=1 / r),
        (2.0, 3.0, 1.5, 2.0),
        [
            ((2.0, 3.0, 1.5, 2.0), "generic"),
            ((0.5, 0.7, 0.8, 3.0), "generic"),
            ((1.0, 1e5, 1.0, 1.001e5), "near"),
            ((3.0, 1e5, 3.0, 1.00003e5), "near"),
            ((1e5, 1e5, 1e5, 2e5), "extreme"),
            ((1e5, 1e5, 2.0, 3.0), "extreme"),
            ((2.0, 1e5, 2.0, 1e5), "extreme"),
            ((0.5, 1e5, 0.5, 1e5), "extreme"),
        ],
        [(1.0, 1e5, 1.0, 1.00001e5)],
    ),
    "Beta-Exponential": Pair(
        Beta,
        Exponential,
        2,
        ref_beta_exponential,
        _S_BETA,
        lambda r: stats.expon(scale=1 / r),
        (2.0, 3.0, 1.7),
        [
            ((2.0, 3.0, 1.7), "generic"),
            ((0.5, 0.5, 0.2), "generic"),
            ((1.0, 1e5, 1e5), "near"),
            ((1.0, 1e4, 1.0001e4), "near"),
            ((1e5, 1e5, 2.0), "extreme"),
            ((3.0, 1e5, 1e3), "extreme"),
        ],
        [(1.0, 1e5, 1e5)],
    ),
    "Beta-Normal": Pair(
        Beta,
        Normal,
        2,
        ref_beta_normal,
        _S_BETA,
        stats.norm,
        (2.0, 3.0, 0.3, 0.5),
        [
            ((2.0, 3.0, 0.3, 0.5), "generic"),
            ((0.5, 0.5, 0.0, 2.0), "generic"),
            ((1e5, 1e5, 0.5, 0.0011292115056121587), "near"),
            ((1e5, 3e4, 0.7692307692307693, 0.0011697094701077092), "near"),
            ((1e5, 1e5, 0.5, 0.1), "extreme"),
            ((2.0, 1e5, 0.0, 1.0), "extreme"),
            ((1e5, 1e5, 0.0, 1e-4), "extreme"),
        ],
        [(1e5, 1e5, 0.5, 0.0011180311936754045)],
    ),
    "Kumaraswamy-Beta": Pair(
        Kumaraswamy,
        Beta,
        2,
        ref_kum_beta,
        KumaraswamyScipy,
        _S_BETA,
        (2.0, 3.0, 1.5, 4.0),
        [
            ((0.5, 2.0, 1.0, 3.0), "generic"),
            ((0.5, 0.5, 1.0, 3.0), "generic"),
            ((2.0, 3.0, 2.0, 3.0), "generic"),
            ((0.1, 0.1, 0.5, 0.5), "generic"),
            ((1.3, 2.5, 1.2, 2.8), "generic"),
            ((0.3, 0.05, 0.3, 0.05), "generic"),
            ((1.0001, 5.0, 1.0, 5.0), "near"),
            ((1.000001, 3.0, 1.0000005, 3.0), "near"),
            ((3.0, 1.001, 3.001, 1.0), "near"),
            ((1.0, 0.02, 1.0, 0.0201), "near"),
            ((0.1, 1e3, 2.0, 5.0), "extreme"),
            ((10.0, 1e3, 5.0, 5.0), "extreme"),
            ((100.0, 0.3, 1.0, 1.0), "extreme"),
            ((2.0, 1e5, 1.0, 1e5), "extreme"),
            ((50.0, 50.0, 30.0, 3.0), "extreme"),
        ],
        [(1.0, 3.0, 1.0, 3.0), (2.0, 1.0, 2.0, 1.0)],
    ),
    "Kumaraswamy-Uniform": Pair(
        Kumaraswamy,
        Uniform,
        2,
        ref_kum_uniform,
        KumaraswamyScipy,
        _S_UNI,
        (2.0, 3.0, -1.0, 1.5),
        [
            ((2.0, 3.0, -1.0, 1.0), "generic"),
            ((1.000001, 1.0, 0.0, 1.0), "near"),
            ((1.0, 1.0000001, 0.0, 1.0), "near"),
            ((0.99999, 1.00002, 0.0, 1.0), "near"),
            ((1e3, 1e4, 0.0, 1.0), "extreme"),
        ],
        [(1.0, 1.0, 0.0, 1.0)],
        [(2.0, 3.0, 0.1, 1.0)],
    ),
    "ContinuousBernoulli-ContinuousBernoulli": Pair(
        _cbp,
        _cbp,
        1,
        ref_cb_cb,
        _S_CB,
        _S_CB,
        (0.3, 0.6),
        [
            ((0.3, 0.6), "generic"),
            ((0.1, 0.95), "generic"),
            ((0.5, 0.2), "generic"),
            ((0.3, 0.3000003), "near"),
            ((0.5, 0.5000001), "near"),
            ((0.50001, 0.49999), "near"),
            ((0.01, 0.0100001), "near"),
            ((1e-6, 0.5), "extreme"),
            ((1e-6, 1.1e-6), "extreme"),
            ((0.999999, 0.2), "extreme"),
            ((0.5, 1e-6), "extreme"),
            ((0.3, 0.999), "extreme"),
        ],
        [(0.3, 0.3), (0.5, 0.5), (1e-6, 1e-6)],
    ),
    "ContinuousBernoulli-Exponential": Pair(
        _cbp,
        Exponential,
        1,
        ref_cb_exponential,
        _S_CB,
        lambda r: stats.expon(scale=1 / r),
        (0.3, 2.0),
        [
            ((0.3, 2.0), "generic"),
            ((0.8, 0.5), "generic"),
            ((1e-6, 13.81551), "near"),
            ((1e-4, 9.2), "near"),
            ((0.5, 1e4), "extreme"),
            ((0.999, 1e-3), "extreme"),
        ],
        [(1e-6, 13.81551)],
    ),
    "ContinuousBernoulli-Normal": Pair(
        _cbp,
        Normal,
        1,
        ref_cb_normal,
        _S_CB,
        stats.norm,
        (0.3, 0.2, 1.0),
        [
            ((0.3, 0.2, 1.0), "generic"),
            ((0.8, 0.0, 0.1), "generic"),
            ((0.5, 0.5, 0.2886751), "near"),
            ((1e-6, 0.0, 1e-6), "extreme"),
            ((0.5, 0.5, 1e-4), "extreme"),
            ((0.5, 100.0, 1e3), "extreme"),
        ],
        [(0.5, 0.5, 0.2886751)],
    ),
    "ContinuousBernoulli-Uniform": Pair(
        _cbp,
        Uniform,
        1,
        ref_cb_uniform,
        _S_CB,
        _S_UNI,
        (0.3, -1.0, 2.0),
        [
            ((0.3, -1.0, 2.0), "generic"),
            ((0.5000001, 0.0, 1.0), "near"),
            ((0.5, -1e-9, 1.0), "near"),
            ((1e-6, 0.0, 1.0), "extreme"),
            ((0.5, -1e4, 1e4), "extreme"),
        ],
        [(0.5, 0.0, 1.0)],
        [(0.3, -1.0, 0.9)],
    ),
    "Uniform-Uniform": Pair(
        Uniform,
        Uniform,
        2,
        ref_uniform_uniform,
        _S_UNI,
        _S_UNI,
        (0.0, 1.0, -1.0, 2.0),
        [
            ((0.0, 1.0, -1.0, 2.0), "generic"),
            ((0.0, 1.0, -1e-9, 1.0), "near"),
            ((-3.0, 5.0, -3.0, 5.000001), "near"),
            ((0.0, 1e-4, -1e4, 1e4), "extreme"),
            ((1e4, 1e4 + 1.0, 1e4 - 1e-3, 1e4 + 1.0), "extreme"),
        ],
        [(0.0, 1.0, 0.0, 1.0)],
        [(0.0, 1.0, 0.1, 2.0), (0.0, 1.0, -1.0, 0.9)],
    ),
    "Uniform-Beta": Pair(
        Uniform,
        Beta,
        2,
        ref_uniform_beta,
        _S_UNI,
        _S_BETA,
        (0.1, 0.7, 2.0, 3.0),
        [
            ((0.1, 0.7, 2.0, 3.0), "generic"),
            ((0.0, 0.5, 0.5, 2.0), "generic"),
            ((0.3, 0.31, 2.0, 5.0), "generic"),
            ((0.0, 1.0, 1.000001, 1.0), "near"),
            ((1e-7, 1.0, 1.0, 1.0), "near"),
            ((0.0, 0.9999999, 1.00001, 0.99999), "near"),
            ((0.4, 0.6, 1e5, 1e5), "extreme"),
            ((0.0, 1.0, 1e5, 1e5), "extreme"),
            ((0.49995, 0.50005, 1e5, 1e5), "extreme"),
        ],
        [(0.0, 1.0, 1.0, 1.0), (0.0, 0.5, 2.0, 3.0)],
        [(-1.0, 1.0, 2.0, 3.0)],
    ),
    "Uniform-ContinuousBernoulli": Pair(
        Uniform,
        _cbp,
        2,
        ref_uniform_cb,
        _S_UNI,
        _S_CB,
        (0.1, 0.7, 0.3),
        [
            ((0.1, 0.7, 0.3), "generic"),
            ((0.0, 1.0, 0.500001), "near"),
            ((1e-8, 1.0, 0.5), "near"),
            ((0.2, 0.9, 1e-6), "extreme"),
            ((0.0, 1e-4, 0.999999), "extreme"),
        ],
        [(0.0, 1.0, 0.5)],
        [(0.0, 1.5, 0.3)],
    ),
    "Uniform-Gamma": Pair(
        Uniform,
        Gamma,
        2,
        ref_uniform_gamma,
        _S_UNI,
        lambda k, r: stats.gamma(k, scale=1 / r),
        (0.5, 2.0, 2.0, 3.0),
        [
            ((0.5, 2.0, 2.0, 3.0), "generic"),
            ((0.0, 1.0, 0.5, 2.0), "generic"),
            ((0.99, 1.01, 1e5, 1e5), "extreme"),
            ((1e-4, 2e-4, 1e5, 6.6e8), "extreme"),
            ((0.0, 1e4, 0.01, 1e-4), "extreme"),
        ],
        [(0.0, 1.0, 2.0, 3.0)],
        [(-1.0, 1.0, 2.0, 3.0)],
    ),
    "Uniform-Exponential": Pair(
        Uniform,
        Exponential,
        2,
        ref_uniform_exponential,
        _S_UNI,
        lambda r: stats.expon(scale=1 / r),
        (0.2, 1.0, 1.3),
        [((0.0, 1.0, 1.3), "generic"), ((1.0, 3.0, 1e5), "extreme"), ((0.0, 1e-4, 1e4), "extreme")],
        [],
        [(-1.0, 1.0, 3.0)],
    ),
    "Uniform-Gumbel": Pair(
        Uniform,
        Gumbel,
        2,
        ref_uniform_gumbel,
        _S_UNI,
        stats.gumbel_r,
        (-1.0, 2.0, 0.3, 1.5),
        [
            ((-1.0, 2.0, 0.3, 1.5), "generic"),
            ((-1e3, 1e3, 0.0, 50.0), "extreme"),
            ((0.0, 1e-4, 0.0, 1.0), "extreme"),
            ((5.0, 6.0, -1e3, 1e4), "extreme"),
        ],
    ),
    "Uniform-Normal": Pair(
        Uniform,
        Normal,
        2,
        ref_uniform_normal,
        _S_UNI,
        stats.norm,
        (-1.0, 2.0, 0.3, 1.5),
        [
            ((-1.0, 2.0, 0.3, 1.5), "generic"),
            ((0.0, 1.0, 0.5, 0.2886751), "near"),
            ((0.0, 1e-4, 0.0, 1e4), "extreme"),
            ((-1e4, 1e4, 3.0, 1e-4), "extreme"),
        ],
    ),
    "Uniform-Pareto": Pair(
        Uniform,
        Pareto,
        2,
        ref_uniform_pareto,
        _S_UNI,
        lambda m, al: stats.pareto(al, scale=m),
        (1.0, 3.0, 0.5, 2.0),
        [
            ((1.0, 3.0, 0.5, 2.0), "generic"),
            ((2.0, 2.5, 2.0, 0.5), "generic"),
            ((1.0, 1.0001, 1.0, 1e5), "extreme"),
            ((1e4, 2e4, 1e-4, 3.0), "extreme"),
        ],
        [],
        [(0.4, 1.0, 0.5, 2.0)],
    ),
    "VonMises-VonMises": Pair(
        VonMises,
        VonMises,
        2,
        ref_vm_vm,
        _S_VM,
        _S_VM,
        (0.2, 2.0, 1.0, 4.0),
        [
            ((0.2, 2.0, 1.0, 4.0), "generic"),
            ((0.0, 0.3, 3.0, 1.5), "generic"),
            ((0.0, 3.0, 0.0, 3.0003), "near"),
            ((0.3, 50.0, 0.30001, 50.0), "near"),
            ((0.0, 1e5, 0.0, 1.00001e5), "near"),
            ((0.0, 11.0, 0.0, 11.11), "near"),
            ((0.0, 29.9, 0.0, 29.90003), "near"),
            ((0.0, 1e5, 0.0, 31.0), "extreme"),
            ((0.0, 1e-3, 1.0, 1e5), "extreme"),
            ((0.0, 1e5, 0.01, 1e5), "extreme"),
        ],
        [(0.2, 2.0, 0.2, 2.0), (0.2, 1e3, 0.2, 1e3), (0.0, 1e-8, 0.0, 1e-8)],
    ),
}


def _cls(build):
    return ContinuousBernoulli if build is _cbp else build


low_precision_gradients((_cls(pair.P), _cls(pair.Q)) for pair in PAIRS.values())  # test_gradients


@functools.cache
def _values(name, dtype):
    """The KL at the accuracy points, then at the generic point, through the pair's program
    shared with the registry table (tests/kits.py)."""
    pair = PAIRS[name]
    pts = [tuple(pt) for pt, _ in pair.points] + [tuple(pair.generic)]
    return kl_rows(_cls(pair.P), _cls(pair.Q), pts, pair.n_p, dtype)[0]


@functools.cache
def _grads(name, dtype):
    """Values and gradients at the generic point and at the p = q / boundary points."""
    pair = PAIRS[name]
    return kl_rows(_cls(pair.P), _cls(pair.Q), [pair.generic, *pair.grads_at, *pair.inf_at], pair.n_p, dtype)


def _supports(d):
    lo, hi = d.support()
    return float(lo), float(hi)


# ------------------------------------------------------------------------- values


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(PAIRS))
def test_value_vs_mpmath(name, dtype):
    pair = PAIRS[name]
    got = _values(name, dtype)[: len(pair.points)]
    for (pt, regime), g in zip(pair.points, got):
        rounded = [mp.mpf(float(dtype(v))) for v in pt]
        want = pair.ref(*rounded)
        assert want > 0, (name, pt)
        err = abs(float(g) - float(want)) / float(want)
        assert err <= RTOL[dtype], f"{name} {regime} {pt}: got {g!r}, want {float(want)!r}, rel err {err:.2e}"


@pytest.mark.parametrize("name", list(PAIRS))
def test_value_vs_quadrature(name):
    pair = PAIRS[name]
    params = pair.generic
    sp = pair.scipy_p(*params[: pair.n_p])
    sq = pair.scipy_q(*params[pair.n_p :])
    lo, hi = _supports(sp)
    if pair.P is VonMises:  # scipy reports the real line for this periodic density
        lo, hi = params[0] - math.pi, params[0] + math.pi
    f = lambda x: math.exp(sp.logpdf(x)) * (sp.logpdf(x) - sq.logpdf(x))  # noqa: E731
    want = integrate.quad(f, lo, hi, epsabs=1e-12, epsrel=1e-10, limit=200)[0]
    got = _values(name, np.float64)[len(pair.points)]
    np.testing.assert_allclose(got, want, rtol=1e-8)


@pytest.mark.parametrize("name", list(PAIRS))
def test_gradients(name):
    """Reverse-mode gradient at a generic point against central differences (float64); finite
    gradients (float64 and float32) at p = q and at boundary parameters, where the gradient
    with respect to q's parameters vanishes for same-family pairs."""
    pair = PAIRS[name]
    check_gradients(_cls(pair.P), _cls(pair.Q), [pair.generic], pair.n_p)
    for dtype in (np.float64, np.float32):
        v, g = _grads(name, dtype)
        k = 1 + len(pair.grads_at)
        v, g, v_inf, g_inf = v[:k], g[:k], v[k:], g[k:]
        assert np.all(v_inf == np.inf), (name, dtype, v_inf)
        np.testing.assert_array_equal(g_inf, 0.0)
        assert np.all(np.isfinite(v)) and np.all(v >= 0), (name, dtype, v)
        assert np.all(np.isfinite(g)), (name, dtype, g)
        if pair.P is pair.Q and pair.P is not Uniform:  # Uniform ‖ Uniform has a corner at p = q
            for pt, gq in zip(pair.grads_at, g[1:]):
                if pt[: pair.n_p] == pt[pair.n_p :]:
                    np.testing.assert_allclose(gq[pair.n_p :], 0.0, atol=1e-6 if dtype == np.float32 else 1e-12)


def test_kl_of_a_distribution_with_itself_is_zero(rng):
    for d in [
        Beta(jnp.asarray(rng.uniform(0.1, 1e4, 5)), jnp.asarray(rng.uniform(0.1, 1e4, 5))),
        ContinuousBernoulli(probs=jnp.asarray(rng.uniform(0.0, 1.0, 5))),
        ContinuousBernoulli(logits=jnp.asarray(rng.normal(0.0, 30.0, 5))),
        Uniform(jnp.asarray(rng.normal(size=5)), jnp.asarray(rng.uniform(1.0, 2.0, 5))),
        VonMises(jnp.asarray(rng.normal(size=5)), jnp.asarray([1e-3, 0.5, 12.0, 35.0, 1e5])),
    ]:
        np.testing.assert_array_equal(kl_divergence(d, d), 0.0)


# -------------------------------------------------------------- supports, registry


INF_CASES = [
    (Beta(2.0, 3.0), Pareto(0.5, 2.0)),
    (ContinuousBernoulli(probs=0.3), Pareto(0.5, 2.0)),
]


@pytest.mark.parametrize("p, q", INF_CASES, ids=lambda d: type(d).__name__)
def test_unsupported_is_inf_with_zero_gradients(p, q):
    assert float(kl_divergence(p, q)) == np.inf
    gp, gq = jax.grad(lambda p, q: kl_divergence(p, q), argnums=(0, 1))(p, q)
    for leaf in jax.tree_util.tree_leaves((gp, gq)):
        np.testing.assert_array_equal(leaf, 0.0)


def test_support_is_elementwise():
    p = Uniform(jnp.array([0.0, -0.5, 0.2]), jnp.array([1.0, 0.5, 0.9]))
    kl = kl_divergence(p, Beta(2.0, 3.0))
    assert np.isfinite(kl[0]) and kl[1] == np.inf and np.isfinite(kl[2])
    kl = kl_divergence(Uniform(0.0, 1.0), Uniform(jnp.array([0.0, 0.1]), 1.0))
    np.testing.assert_array_equal(kl, [0.0, np.inf])


def test_registered_pairs():
    pairs = set(registered_pairs())
    expected = [
        (Beta, Beta),
        (Beta, ContinuousBernoulli),
        (Beta, Exponential),
        (Beta, Gamma),
        (Beta, Normal),
        (Beta, Uniform),
        (Beta, Pareto),
        (Kumaraswamy, Beta),
        (Kumaraswamy, Uniform),
        (ContinuousBernoulli, ContinuousBernoulli),
        (ContinuousBernoulli, Exponential),
        (ContinuousBernoulli, Normal),
        (ContinuousBernoulli, Uniform),
        (ContinuousBernoulli, Pareto),
        (Uniform, Uniform),
        (Uniform, Beta),
        (Uniform, ContinuousBernoulli),
        (Uniform, Exponential),
        (Uniform, Gamma),
        (Uniform, Gumbel),
        (Uniform, Normal),
        (Uniform, Pareto),
        (VonMises, VonMises),
    ]
    assert set(expected) <= pairs
    with pytest.raises(NotImplementedError, match="Kumaraswamy"):
        kl_divergence(Kumaraswamy(2.0, 3.0), Kumaraswamy(2.0, 3.0))


def test_broadcasting_jit_vmap():
    p = Beta(jnp.array([[1.0], [2.0]]), 3.0)
    q = Beta(jnp.array([1.5, 2.5, 3.5]), 2.0)
    kl = kl_divergence(p, q)
    assert kl.shape == (2, 3)
    p1 = Beta(jnp.array([1.0, 2.0]), jnp.array([3.0, 3.0]))
    out = jax.vmap(lambda a, b: kl_divergence(Beta(a, b), Beta(2.0, 2.0)))(p1.concentration1, p1.concentration0)
    np.testing.assert_allclose(out, kl_divergence(p1, Beta(2.0, 2.0)), rtol=1e-14)
    f = jax.jit(lambda p, q: kl_divergence(p, q))
    u = Uniform(jnp.zeros(4), jnp.ones(4))
    np.testing.assert_allclose(f(u, Beta(2.0, 3.0)), kl_divergence(u, Beta(2.0, 3.0)), rtol=1e-14)


@pytest.mark.parametrize("name", ["Kumaraswamy-Beta"])  # (the id keeps it on the pair's worker)
def test_kumaraswamy_beta_beats_the_truncated_series(name):
    # numpyro/TFP sum 10 terms of E[log(1 − X)] = −Σ b·B(1 + m/a, b)/m; at a = b = 0.5 the
    # tail they drop is several per cent of the KL.
    pair = PAIRS[name]
    k = [pt for pt, _ in pair.points].index((0.5, 0.5, 1.0, 3.0))
    a, b, c, d = map(mp.mpf, (0.5, 0.5, 1.0, 3.0))
    want = ref_kum_beta(a, b, c, d)
    trunc = -sum(b * mp.beta(1 + m / a, b) / m for m in range(1, 11))
    hb = mp.digamma(b + 1) + mp.euler
    truncated = mp.log(a * b) + _lbeta(c, d) + (c - a) * hb / a - (b - 1) / b - (d - 1) * trunc
    assert abs(float(truncated / want) - 1) > 0.01
    np.testing.assert_allclose(_values(name, np.float64)[k], float(want), rtol=1e-12)


def _cb_extreme_rows(lams):
    """Points with ContinuousBernoulli(λ) on either side of every pair that has one."""
    return {
        "ContinuousBernoulli-ContinuousBernoulli": [
            pt for lam in lams for pt in ((lam, 0.3), (0.3, lam), (lam, lam), (lam, lam * 1.001))
        ],
        "Uniform-ContinuousBernoulli": [(0.0, 1.0, lam) for lam in lams],
        "Beta-ContinuousBernoulli": [(2.0, 3.0, lam) for lam in lams],
        "ContinuousBernoulli-Normal": [(lam, 0.0, 1.0) for lam in lams],
        "ContinuousBernoulli-Exponential": [(lam, 2.0) for lam in lams],
    }


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", list(_cb_extreme_rows([])))
def test_continuous_bernoulli_extreme_probs(name, dtype):
    # λ = 0 and 1 are clamped to the nearest interior value (as torch does); values and
    # gradients stay finite down to the smallest normal numbers (through the pair's shared
    # program).
    tiny = float(np.finfo(dtype).tiny)
    pts = _cb_extreme_rows([0.0, tiny, 1e-30, 0.5, 1 - 1e-7, 1.0])[name]
    pair = PAIRS[name]
    vals, grads = kl_rows(_cls(pair.P), _cls(pair.Q), pts, pair.n_p, dtype)
    assert np.all(np.isfinite(vals)) and np.all(vals >= 0), (name, vals)
    assert np.all(np.isfinite(grads)), (name, grads)
