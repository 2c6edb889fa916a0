"""Gamma: the registry case, the pairs Gamma ‖ {Gamma, Gumbel, Normal} and Gamma's own tests.

The references are the textbook forms (torch.distributions' and the literature's), evaluated
at 50 digits, in four regimes: generic parameters, nearly identical distributions (relative
differences 1e-2 … 1e-6, or, across families, q near the best approximation of p), extreme
parameters (concentrations up to 1e5, scales 1e-4 … 1e4), and both at once.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from scipy import stats
from tables import Case, Pair, log_uniform, perturb, quad_log, same, take

from jaxkl.distributions import Gamma, Gumbel, Normal
from jaxkl.registry import kl_divergence

GROUP = "positive"
FAMILY = Gamma
CASE = Case(
    lambda rng: {"concentration": float(rng.uniform(1.5, 5.0)), "rate": float(rng.uniform(0.5, 2.0))},
    lambda concentration, rate: stats.gamma(concentration, scale=1.0 / rate),
)
N = 16  # points per regime


def lu(rng, lo, hi):
    return log_uniform(rng, lo, hi, N)


def ref_gamma_gamma(a1, b1, a2, b2):
    return (a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2) + a2 * mp.log(b1 / b2) + a1 * (b2 - b1) / b1


def ref_gamma_gumbel(a, b, mu, beta):
    bs = b * beta
    return (
        (a - 1) * mp.digamma(a)
        - mp.loggamma(a)
        - a
        + mp.log(bs)
        + a / bs
        + mp.exp(mu / beta) * (1 + 1 / bs) ** (-a)
        - mu / beta
    )


def ref_gamma_normal(a, b, mu, sigma):
    v = sigma**2
    t1 = mp.log(b * b * v * 2 * mp.pi) / 2 - a - mp.loggamma(a)
    return t1 + (a - 1) * mp.digamma(a) + ((a * a + a) / (2 * b * b) - mu * a / b + mu * mu / 2) / v


def one_parameter_regimes(generic: tuple[float, float], extreme: tuple[float, float]) -> dict:
    """Regimes of a same-family pair with one parameter: p and q log-uniform in ``generic``
    or ``extreme``, or q = p·(1 ± δ) (``perturb``)."""
    return {
        "generic": lambda r: (lu(r, *generic), lu(r, *generic)),
        "near": lambda r: (lambda x: (x, perturb(r, x)))(lu(r, *generic)),
        "extreme": lambda r: (lu(r, *extreme), lu(r, *extreme)),
        "extreme_near": lambda r: (lambda x: (x, perturb(r, x)))(lu(r, *extreme)),
    }


def moment_fit_regimes(draw) -> dict:
    """The four regimes of a Gamma-family p against a q fitted to its moments, from
    ``draw(r, lo_a, hi_a, lo_b, hi_b, near)``."""
    return {
        "generic": lambda r: draw(r, 0.3, 10, 0.2, 5, False),
        "near": lambda r: draw(r, 0.3, 10, 0.2, 5, True),
        "extreme": lambda r: draw(r, 1e-3, 1e5, 1e-4, 1e4, False),
        "extreme_near": lambda r: draw(r, 1e-3, 1e5, 1e-4, 1e4, True),
    }


def gamma_regimes(lo_a=1e-3):
    return {
        "generic": lambda r: (lu(r, 0.1, 20), lu(r, 0.1, 10), lu(r, 0.1, 20), lu(r, 0.1, 10)),
        "near": lambda r: (lambda a, b: (a, b, perturb(r, a), perturb(r, b)))(lu(r, 0.1, 20), lu(r, 0.1, 10)),
        "extreme": lambda r: (lu(r, lo_a, 1e5), lu(r, 1e-4, 1e4), lu(r, lo_a, 1e5), lu(r, 1e-4, 1e4)),
        "extreme_near": lambda r: (lambda a, b: (a, b, perturb(r, a), perturb(r, b)))(
            lu(r, lo_a, 1e5), lu(r, 1e-4, 1e4)
        ),
    }


def gamma_normal_regimes(exponential: bool):
    def draw(r, lo_a, hi_a, lo_b, hi_b, near):
        a = np.ones(N) if exponential else lu(r, lo_a, hi_a)
        b = lu(r, lo_b, hi_b)
        m, s = a / b, np.sqrt(a) / b
        if near:  # q near the Normal of p's mean and variance
            mu = m + s * 10.0 ** r.uniform(-6, -1, N) * r.choice([-1.0, 1.0], N)
            sigma = perturb(r, s)
        else:
            mu, sigma = m + s * r.normal(scale=2.0, size=N), s * lu(r, 0.2, 5.0)
        return (b, mu, sigma) if exponential else (a, b, mu, sigma)

    return moment_fit_regimes(draw)


def gamma_gumbel_regimes(exponential: bool):
    def draw(r, lo_a, hi_a, lo_b, hi_b, near):
        a = np.ones(N) if exponential else lu(r, lo_a, hi_a)
        b = lu(r, lo_b, hi_b)
        s = np.sqrt(a) / b
        if near:  # β near the Gumbel of p's standard deviation, μ where the e^x − 1 − x term vanishes
            beta = perturb(r, s * np.sqrt(6.0) / np.pi)
            mu = beta * a * np.log1p(1.0 / (b * beta)) + s * 10.0 ** r.uniform(-6, -1, N) * r.choice([-1.0, 1.0], N)
        else:
            beta = s * lu(r, 0.2, 5.0)
            mu = a / b + s * r.normal(scale=2.0, size=N)
        return (b, mu, beta) if exponential else (a, b, mu, beta)

    return moment_fit_regimes(draw)


GAMMA = ("concentration", "rate")
LOC_SCALE = ("loc", "scale")


def positive_pair(P, Q, p_names, q_names, ref, regimes, **kw) -> Pair:
    """A pair with p on the half-line: quadrature in log space at two generic points,
    finite differences at three; KL(p ‖ p) with a zero gradient at three extreme points
    of a same-family pair."""
    if P is Q:
        kw.setdefault("grads_at", same(regimes["extreme"], 3))
    kw.setdefault("fd_at", take(regimes["generic"], 3))
    return Pair(P, Q, p_names, q_names, ref, regimes, quad_log, **kw)


PAIRS = [
    positive_pair(
        Gamma,
        Gamma,
        GAMMA,
        GAMMA,
        ref_gamma_gamma,
        gamma_regimes(),
    ),
    positive_pair(
        Gamma,
        Gumbel,
        GAMMA,
        LOC_SCALE,
        ref_gamma_gumbel,
        gamma_gumbel_regimes(False),
    ),
    positive_pair(
        Gamma,
        Normal,
        GAMMA,
        LOC_SCALE,
        ref_gamma_normal,
        gamma_normal_regimes(False),
    ),
]


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda a: kl_divergence(Gamma(a, 0.9), Normal(9.0, 3.0)), 8.0),  # Stirling series/direct
        (lambda a: kl_divergence(Gamma(a, 0.9), Gumbel(1.0, 2.0)), 1.0),  # J(t*): series/direct
    ],
    ids=["Gamma-Normal-a", "Gamma-Gumbel-a"],
)
def test_continuous_across_internal_switches(fn, x):
    """Values and gradients agree on both sides of every switch between two evaluations."""
    lo, hi = x * (1.0 - 1e-11), x * (1.0 + 1e-11)
    np.testing.assert_allclose(float(fn(lo)), float(fn(hi)), rtol=1e-9)
    np.testing.assert_allclose(float(jax.grad(fn)(lo)), float(jax.grad(fn)(hi)), rtol=1e-7)


def test_low_precision_inputs_compute_in_float32():
    bf = jnp.bfloat16
    kl = kl_divergence(
        Gamma(jnp.asarray(2.0, bf), jnp.asarray(1.0, bf)), Gamma(jnp.asarray(3.0, bf), jnp.asarray(2.0, bf))
    )
    assert kl.dtype == np.float32


def _mp_gamma_entropy(a, b):
    a, b = mp.mpf(float(a)), mp.mpf(float(b))
    return a - mp.log(b) + mp.loggamma(a) + (1 - a) * mp.digamma(a)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entropy_accurate_over_concentrations(dtype):
    """a + lgamma(a) + (1 − a)ψ(a) cancels to O(log a); the Stirling form keeps it accurate."""
    with mp.workdps(50):
        a = np.geomspace(1e-3, 1e6, 41).astype(dtype)
        b = np.geomspace(1e-4, 1e4, 41).astype(dtype)
        got = np.asarray(jax.jit(lambda a, b: Gamma(a, b).entropy())(a, b), np.float64)
        want = np.array([float(_mp_gamma_entropy(x, y)) for x, y in zip(a, b)])
    err = np.abs(got - want) / np.maximum(np.abs(want), 1.0)
    assert err.max() < (1e-13 if dtype == np.float64 else 2e-6)


def test_immutable():
    with pytest.raises(AttributeError):
        Gamma(1.0, 1.0).rate = 2.0
