"""Closed-form KL divergences with p a positive-support family.

Every pair is checked against a 50-digit mpmath evaluation of its textbook formula at the
same (dtype-rounded) inputs, in four regimes: generic parameters, nearly identical
distributions (relative differences 1e-2 … 1e-6, or, across families, q near the best
approximation of p), extreme parameters (concentrations up to 1e5, scales 1e-4 … 1e4) and
extreme parameters with nearly identical distributions. Independently, each formula is
checked against numerical integration of the scipy.stats densities; then gradients,
KL(p, p) = 0, support mismatches and dispatch through the subclasses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from kits import check_gradients, kl_values
from scipy import integrate, special, stats

from jaxkl.distributions import (
    Beta,
    Chi2,
    ContinuousBernoulli,
    Exponential,
    Gamma,
    Gumbel,
    InverseGamma,
    Normal,
    Pareto,
    Uniform,
    Weibull,
    _kl_common,
    exponential_kl,
    gamma_kl,
    pareto_kl,
    weibull_kl,
)
from jaxkl.registry import kl_divergence, lookup

RTOL = {np.float64: 1e-10, np.float32: 1e-4}
N = 16  # points per regime

# ----------------------------------------------------------------- mpmath references
# Textbook forms (torch.distributions' and the literature's), evaluated at 50 digits.


def _mp_gamma_gamma(a1, b1, a2, b2):
    return (a1 - a2) * mp.digamma(a1) - mp.loggamma(a1) + mp.loggamma(a2) + a2 * mp.log(b1 / b2) + a1 * (b2 - b1) / b1


def _mp_exp_exp(l1, l2):
    return mp.log(l1 / l2) + l2 / l1 - 1


def _mp_chi2_chi2(d1, d2):
    return _mp_gamma_gamma(d1 / 2, mp.mpf(0.5), d2 / 2, mp.mpf(0.5))


def _mp_weibull_weibull(l1, k1, l2, k2):
    # Bauckhage (2013)
    return (
        mp.log(k1 / l1**k1)
        - mp.log(k2 / l2**k2)
        + (k1 - k2) * (mp.log(l1) - mp.euler / k1)
        + (l1 / l2) ** k2 * mp.gamma(k2 / k1 + 1)
        - 1
    )


def _mp_pareto_pareto(m1, a1, m2, a2):
    return a2 * mp.log(m1 / m2) + mp.log(a1 / a2) + a2 / a1 - 1


def _mp_weibull_gamma(lam, k, a, b):
    return mp.log(k) - a * mp.log(b * lam) + mp.loggamma(a) - 1 + mp.euler * (a - k) / k + b * lam * mp.gamma(1 + 1 / k)


def _mp_gamma_gumbel(a, b, mu, beta):
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


def _mp_gamma_normal(a, b, mu, sigma):
    v = sigma**2
    t1 = mp.log(b * b * v * 2 * mp.pi) / 2 - a - mp.loggamma(a)
    return t1 + (a - 1) * mp.digamma(a) + ((a * a + a) / (2 * b * b) - mu * a / b + mu * mu / 2) / v


def _mp_pareto_exponential(m, al, lam):
    return mp.log(al / (m * lam)) - 1 / al + lam * al * m / (al - 1) - 1


def _mp_pareto_gamma(m, al, a, b):
    common = mp.log(m) + 1 / al
    return mp.log(al) - common + mp.loggamma(a) - a * mp.log(b) + (1 - a) * common + b * al * m / (al - 1) - 1


def _mp_pareto_normal(m, al, mu, sigma):
    c = m / (al - 1)
    return (
        mp.log(mp.sqrt(2 * mp.pi) * sigma * al / m)
        - 1 / al
        + (al * c**2 / (al - 2) + (al * c - mu) ** 2) / (2 * sigma**2)
        - 1
    )


# --------------------------------------------------------------------- parameter draws


def _lu(rng, lo, hi):
    return np.exp(rng.uniform(np.log(lo), np.log(hi), N))


def _pert(rng, x):
    """x·(1 ± δ), δ log-uniform in [1e-6, 1e-2]; a quarter of the entries left equal."""
    d = 10.0 ** rng.uniform(-6, -2, x.shape) * rng.choice([-1.0, 1.0], x.shape)
    d[rng.random(x.shape) < 0.25] = 0.0
    return x * (1.0 + d)


def _gamma_regimes(lo_a=1e-3):
    return {
        "generic": lambda r: (_lu(r, 0.1, 20), _lu(r, 0.1, 10), _lu(r, 0.1, 20), _lu(r, 0.1, 10)),
        "near": lambda r: (lambda a, b: (a, b, _pert(r, a), _pert(r, b)))(_lu(r, 0.1, 20), _lu(r, 0.1, 10)),
        "extreme": lambda r: (_lu(r, lo_a, 1e5), _lu(r, 1e-4, 1e4), _lu(r, lo_a, 1e5), _lu(r, 1e-4, 1e4)),
        "extreme_near": lambda r: (lambda a, b: (a, b, _pert(r, a), _pert(r, b)))(_lu(r, lo_a, 1e5), _lu(r, 1e-4, 1e4)),
    }


def _exp_regimes():
    return {
        "generic": lambda r: (_lu(r, 0.1, 10), _lu(r, 0.1, 10)),
        "near": lambda r: (lambda x: (x, _pert(r, x)))(_lu(r, 0.1, 10)),
        "extreme": lambda r: (_lu(r, 1e-4, 1e4), _lu(r, 1e-4, 1e4)),
        "extreme_near": lambda r: (lambda x: (x, _pert(r, x)))(_lu(r, 1e-4, 1e4)),
    }


def _chi2_regimes():
    return {
        "generic": lambda r: (_lu(r, 0.5, 30), _lu(r, 0.5, 30)),
        "near": lambda r: (lambda x: (x, _pert(r, x)))(_lu(r, 0.5, 30)),
        "extreme": lambda r: (_lu(r, 1e-3, 2e5), _lu(r, 1e-3, 2e5)),
        "extreme_near": lambda r: (lambda x: (x, _pert(r, x)))(_lu(r, 1e-3, 2e5)),
    }


def _weibull_pair(r, lam_lo, lam_hi, k_lo, k_hi):
    l1, k1 = _lu(r, lam_lo, lam_hi), _lu(r, k_lo, k_hi)
    k2 = k1 * _lu(r, 0.3, 3.0)
    l2 = l1 * np.exp(np.clip(r.normal(size=N) / k2, -3.0, 3.0))  # keeps (λ1/λ2)^k2 moderate
    return l1, k1, l2, k2


def _weibull_regimes():
    return {
        "generic": lambda r: (_lu(r, 0.2, 5), _lu(r, 0.3, 5), _lu(r, 0.2, 5), _lu(r, 0.3, 5)),
        "near": lambda r: (lambda l, k: (l, k, _pert(r, l), _pert(r, k)))(_lu(r, 0.2, 5), _lu(r, 0.3, 5)),
        "extreme": lambda r: _weibull_pair(r, 1e-4, 1e4, 0.05, 1e5),
        "extreme_near": lambda r: (lambda l, k: (l, k, _pert(r, l), _pert(r, k)))(_lu(r, 1e-4, 1e4), _lu(r, 0.05, 1e5)),
    }


def _pareto_pair(r, m_lo, m_hi, a_lo, a_hi):
    m1, a1, a2 = _lu(r, m_lo, m_hi), _lu(r, a_lo, a_hi), _lu(r, a_lo, a_hi)
    m2 = m1 * (1.0 - _lu(r, 1e-6, 0.9) / np.maximum(a2, 1.0))
    return m1, a1, m2, a2


def _pareto_near(r, m_lo, m_hi, a_lo, a_hi):
    m1, a1 = _lu(r, m_lo, m_hi), _lu(r, a_lo, a_hi)
    m2 = m1 * (1.0 - np.where(r.random(N) < 0.25, 0.0, 10.0 ** r.uniform(-6, -2, N)))
    return m1, a1, m2, _pert(r, a1)


def _pareto_regimes():
    return {
        "generic": lambda r: _pareto_pair(r, 0.2, 5, 0.3, 10),
        "near": lambda r: _pareto_near(r, 0.2, 5, 0.3, 10),
        "extreme": lambda r: _pareto_pair(r, 1e-4, 1e4, 1e-2, 1e5),
        "extreme_near": lambda r: _pareto_near(r, 1e-4, 1e4, 1e-2, 1e5),
    }


def _weibull_gamma_fit(r, lam, k, spread):
    """(a, b) near the Gamma of p's mean-matching rate: b·E_p[x] = a·spread."""
    a = _lu(r, 1e-3, 1e5)
    b = a / (lam * special.gamma(1.0 + 1.0 / k)) * spread
    return a, b


def _weibull_gamma_regimes():
    def near(r, lam_lo, lam_hi):
        lam = _lu(r, lam_lo, lam_hi)
        k, a, lb = _pert(r, np.ones(N)), _pert(r, np.ones(N)), _pert(r, np.ones(N))
        return lam, k, a, lb / lam

    def extreme(r):
        lam, k = _lu(r, 1e-4, 1e4), _lu(r, 0.05, 1e3)
        a, b = _weibull_gamma_fit(r, lam, k, _lu(r, 0.3, 3.0))
        return lam, k, a, b

    return {
        "generic": lambda r: (_lu(r, 0.2, 5), _lu(r, 0.3, 5), _lu(r, 0.3, 10), _lu(r, 0.2, 5)),
        "near": lambda r: near(r, 0.2, 5),
        "extreme": extreme,
        "extreme_near": lambda r: near(r, 1e-4, 1e4),
    }


def _gamma_normal_regimes(exponential: bool):
    def draw(r, lo_a, hi_a, lo_b, hi_b, near):
        a = np.ones(N) if exponential else _lu(r, lo_a, hi_a)
        b = _lu(r, lo_b, hi_b)
        m, s = a / b, np.sqrt(a) / b
        if near:  # q near the Normal of p's mean and variance
            mu = m + s * 10.0 ** r.uniform(-6, -1, N) * r.choice([-1.0, 1.0], N)
            sigma = _pert(r, s)
        else:
            mu, sigma = m + s * r.normal(scale=2.0, size=N), s * _lu(r, 0.2, 5.0)
        return (b, mu, sigma) if exponential else (a, b, mu, sigma)

    return {
        "generic": lambda r: draw(r, 0.3, 10, 0.2, 5, False),
        "near": lambda r: draw(r, 0.3, 10, 0.2, 5, True),
        "extreme": lambda r: draw(r, 1e-3, 1e5, 1e-4, 1e4, False),
        "extreme_near": lambda r: draw(r, 1e-3, 1e5, 1e-4, 1e4, True),
    }


def _gamma_gumbel_regimes(exponential: bool):
    def draw(r, lo_a, hi_a, lo_b, hi_b, near):
        a = np.ones(N) if exponential else _lu(r, lo_a, hi_a)
        b = _lu(r, lo_b, hi_b)
        s = np.sqrt(a) / b
        if near:  # β near the Gumbel of p's standard deviation, μ where the e^x − 1 − x term vanishes
            beta = _pert(r, s * np.sqrt(6.0) / np.pi)
            mu = beta * a * np.log1p(1.0 / (b * beta)) + s * 10.0 ** r.uniform(-6, -1, N) * r.choice([-1.0, 1.0], N)
        else:
            beta = s * _lu(r, 0.2, 5.0)
            mu = a / b + s * r.normal(scale=2.0, size=N)
        return (b, mu, beta) if exponential else (a, b, mu, beta)

    return {
        "generic": lambda r: draw(r, 0.3, 10, 0.2, 5, False),
        "near": lambda r: draw(r, 0.3, 10, 0.2, 5, True),
        "extreme": lambda r: draw(r, 1e-3, 1e5, 1e-4, 1e4, False),
        "extreme_near": lambda r: draw(r, 1e-3, 1e5, 1e-4, 1e4, True),
    }


def _pareto_cross_regimes(kind: str):
    def draw(r, lo_m, hi_m, lo_al, hi_al, near):
        low = 2.0 if kind == "normal" else 1.0
        m, al = _lu(r, lo_m, hi_m), low + _lu(r, lo_al, hi_al)
        mean = m * al / (al - 1.0)
        spread = _pert(r, np.ones(N)) if near else _lu(r, 0.3, 3.0)
        if kind == "exponential":
            return m, al, spread / mean
        if kind == "gamma":
            a = _lu(r, 1e-3, 1e5) if hi_al > 100 else _lu(r, 0.3, 10)
            return m, al, a, a / mean * spread
        sd = m / (al - 1.0) * np.sqrt(al / (al - 2.0))
        if near:
            mu = mean + sd * 10.0 ** r.uniform(-6, -1, N) * r.choice([-1.0, 1.0], N)
        else:
            mu = mean + sd * r.normal(scale=2.0, size=N)
        return m, al, mu, sd * spread

    return {
        "generic": lambda r: draw(r, 0.2, 5, 0.3, 10, False),
        "near": lambda r: draw(r, 0.2, 5, 1e-3, 10, True),
        "extreme": lambda r: draw(r, 1e-4, 1e4, 1e-3, 1e5, False),
        "extreme_near": lambda r: draw(r, 1e-4, 1e4, 1e-3, 1e5, True),
    }


# ------------------------------------------------------------------------------- table


@dataclasses.dataclass
class Pair:
    P: type
    Q: type
    p_names: tuple[str, ...]
    q_names: tuple[str, ...]
    ref: Callable
    regimes: dict
    scipy: Callable  # (*p_params, *q_params) -> (frozen p, frozen q)

    @property
    def id(self) -> str:
        return f"{self.P.__name__}-{self.Q.__name__}"

    def build(self, vals):
        k = len(self.p_names)
        p = self.P(**dict(zip(self.p_names, vals[:k])))
        q = self.Q(**dict(zip(self.q_names, vals[k:])))
        return p, q


def _sp_gamma(a, b):
    return stats.gamma(a, scale=1.0 / b)


_GAMMA = ("concentration", "rate")
PAIRS = [
    Pair(
        Gamma,
        Gamma,
        _GAMMA,
        _GAMMA,
        _mp_gamma_gamma,
        _gamma_regimes(),
        lambda a1, b1, a2, b2: (_sp_gamma(a1, b1), _sp_gamma(a2, b2)),
    ),
    Pair(
        Exponential,
        Exponential,
        ("rate",),
        ("rate",),
        _mp_exp_exp,
        _exp_regimes(),
        lambda l1, l2: (stats.expon(scale=1 / l1), stats.expon(scale=1 / l2)),
    ),
    Pair(Chi2, Chi2, ("df",), ("df",), _mp_chi2_chi2, _chi2_regimes(), lambda d1, d2: (stats.chi2(d1), stats.chi2(d2))),
    Pair(
        InverseGamma,
        InverseGamma,
        _GAMMA,
        _GAMMA,
        _mp_gamma_gamma,
        _gamma_regimes(),
        lambda a1, b1, a2, b2: (stats.invgamma(a1, scale=b1), stats.invgamma(a2, scale=b2)),
    ),
    Pair(
        Weibull,
        Weibull,
        ("scale", "concentration"),
        ("scale", "concentration"),
        _mp_weibull_weibull,
        _weibull_regimes(),
        lambda l1, k1, l2, k2: (stats.weibull_min(k1, scale=l1), stats.weibull_min(k2, scale=l2)),
    ),
    Pair(
        Pareto,
        Pareto,
        ("scale", "alpha"),
        ("scale", "alpha"),
        _mp_pareto_pareto,
        _pareto_regimes(),
        lambda m1, a1, m2, a2: (stats.pareto(a1, scale=m1), stats.pareto(a2, scale=m2)),
    ),
    Pair(
        Weibull,
        Gamma,
        ("scale", "concentration"),
        _GAMMA,
        _mp_weibull_gamma,
        _weibull_gamma_regimes(),
        lambda lam, k, a, b: (stats.weibull_min(k, scale=lam), _sp_gamma(a, b)),
    ),
    Pair(
        Gamma,
        Gumbel,
        _GAMMA,
        ("loc", "scale"),
        _mp_gamma_gumbel,
        _gamma_gumbel_regimes(False),
        lambda a, b, mu, beta: (_sp_gamma(a, b), stats.gumbel_r(mu, beta)),
    ),
    Pair(
        Exponential,
        Gumbel,
        ("rate",),
        ("loc", "scale"),
        lambda lam, mu, beta: _mp_gamma_gumbel(mp.mpf(1), lam, mu, beta),
        _gamma_gumbel_regimes(True),
        lambda lam, mu, beta: (stats.expon(scale=1 / lam), stats.gumbel_r(mu, beta)),
    ),
    Pair(
        Gamma,
        Normal,
        _GAMMA,
        ("loc", "scale"),
        _mp_gamma_normal,
        _gamma_normal_regimes(False),
        lambda a, b, mu, s: (_sp_gamma(a, b), stats.norm(mu, s)),
    ),
    Pair(
        Exponential,
        Normal,
        ("rate",),
        ("loc", "scale"),
        lambda lam, mu, s: _mp_gamma_normal(mp.mpf(1), lam, mu, s),
        _gamma_normal_regimes(True),
        lambda lam, mu, s: (stats.expon(scale=1 / lam), stats.norm(mu, s)),
    ),
    Pair(
        Pareto,
        Exponential,
        ("scale", "alpha"),
        ("rate",),
        _mp_pareto_exponential,
        _pareto_cross_regimes("exponential"),
        lambda m, al, lam: (stats.pareto(al, scale=m), stats.expon(scale=1 / lam)),
    ),
    Pair(
        Pareto,
        Gamma,
        ("scale", "alpha"),
        _GAMMA,
        _mp_pareto_gamma,
        _pareto_cross_regimes("gamma"),
        lambda m, al, a, b: (stats.pareto(al, scale=m), _sp_gamma(a, b)),
    ),
    Pair(
        Pareto,
        Normal,
        ("scale", "alpha"),
        ("loc", "scale"),
        _mp_pareto_normal,
        _pareto_cross_regimes("normal"),
        lambda m, al, mu, s: (stats.pareto(al, scale=m), stats.norm(mu, s)),
    ),
]
PAIR_IDS = [p.id for p in PAIRS]
REGIMES = ["generic", "near", "extreme", "extreme_near"]


def _kl_at(pair, vals):
    """The KL at the points given by the parameter arrays ``vals`` (p's, then q's; their dtype is
    the compute dtype), through the pair's program shared with the registry table."""
    dtype = np.asarray(vals[0]).dtype
    names = pair.p_names + pair.q_names
    return kl_values(
        pair.P, pair.Q, np.stack([np.asarray(v, np.float64) for v in vals], 1), len(pair.p_names), dtype, names
    )


def _errors(pair, regime, dtype, seed=0):
    """Relative errors against the 50-digit reference at the dtype-rounded inputs."""
    rng = np.random.default_rng([seed, PAIR_IDS.index(pair.id), REGIMES.index(regime)])
    vals = [np.asarray(v, dtype) for v in pair.regimes[regime](rng)]
    got = np.asarray(_kl_at(pair, vals), np.float64)
    with mp.workdps(50):
        ref = np.array([float(pair.ref(*(mp.mpf(float(v)) for v in row))) for row in zip(*vals)])
    assert got.dtype == np.float64 and got.shape == ref.shape
    err = np.divide(np.abs(got - ref), np.abs(ref), out=np.zeros(len(ref)), where=ref != got)
    # A divergence beyond the dtype's range must overflow to +inf.
    overflow = ref > np.finfo(dtype).max
    err[overflow] = np.where(got[overflow] == np.inf, 0.0, np.inf)
    return err, got, ref, vals


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("regime", REGIMES)
@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_matches_mpmath(pair, regime, dtype):
    err, got, ref, vals = _errors(pair, regime, dtype)
    assert np.all(got >= 0.0)
    worst = int(np.argmax(err))
    assert err[worst] <= RTOL[dtype], (
        f"rel err {err[worst]:.2e} at {[float(v[worst]) for v in vals]}: got {got[worst]!r}, want {ref[worst]!r}"
    )


# ------------------------------------------------------------------ quadrature check


def _quad_kl(sp, sq):
    """∫ p (log p − log q) over p's support (a subset of (0, ∞)), in u = log x, split at
    p's quantiles."""

    def f(u):
        with np.errstate(over="ignore"):
            x = np.exp(u)
            lp = sp.logpdf(x)
            if lp + u < -700.0 or not np.isfinite(x):  # p·x underflows: nothing left to add
                return 0.0
            return np.exp(lp + u) * (lp - sq.logpdf(x))

    lo, hi = sp.support()
    cuts = np.log(sp.ppf([1e-14, 1e-8, 1e-3, 0.1, 0.5, 0.9, 0.999, 1 - 1e-8, 1 - 1e-14]))
    edges = [np.log(lo) if lo > 0 else -np.inf, *np.unique(cuts), np.inf]
    return sum(
        integrate.quad(f, u0, u1, limit=200, epsabs=1e-13, epsrel=1e-11)[0]
        for u0, u1 in zip(edges[:-1], edges[1:])
        if u0 < u1
    )


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_matches_quadrature(pair):
    rng = np.random.default_rng([1, PAIR_IDS.index(pair.id)])
    vals = [v[:2] for v in pair.regimes["generic"](rng)]
    if pair.P is Pareto:  # quadrature over a tail heavier than x^-3.5 is unreliable
        vals[1] = np.maximum(vals[1], 2.5)
    got = _kl_at(pair, vals)
    want = [_quad_kl(*pair.scipy(*row)) for row in zip(*vals)]
    np.testing.assert_allclose(got, want, rtol=1e-8)


# ----------------------------------------------------------------------- gradients


@pytest.mark.parametrize("pair", PAIRS, ids=PAIR_IDS)
def test_gradients_match_finite_differences(pair):
    """Reverse-mode gradients at three generic points against central differences (float64),
    through the pair's program shared with the registry table (tests/kits.py)."""
    rng = np.random.default_rng([2, PAIR_IDS.index(pair.id)])
    vals = [v[:3] for v in pair.regimes["generic"](rng)]
    check_gradients(pair.P, pair.Q, np.stack(vals, axis=1), len(pair.p_names), pair.p_names + pair.q_names)


SAME = [p for p in PAIRS if p.P is p.Q]


@pytest.mark.parametrize("pair", SAME, ids=[p.id for p in SAME])
def test_self_divergence_is_zero_with_finite_gradients(pair):
    """KL(p, p) = 0 exactly; at p = q the gradient is finite and, where p = q is an interior
    minimum, zero (Pareto's scale sits on the support boundary m1 ≥ m2 instead)."""
    rng = np.random.default_rng([3, PAIR_IDS.index(pair.id)])
    k = len(pair.p_names)
    vals = [v[:3] for v in pair.regimes["extreme"](rng)[:k]] * 2
    for dtype in (np.float64, np.float32):
        np.testing.assert_array_equal(_kl_at(pair, [np.asarray(v, dtype) for v in vals]), 0.0)
    grads = jax.grad(lambda *v: jnp.sum(kl_divergence(*pair.build(v))), argnums=tuple(range(2 * k)))(*vals)
    for name, g in zip(pair.p_names + pair.q_names, grads):
        assert np.all(np.isfinite(np.asarray(g)))
        if not (pair.P is Pareto and name == "scale"):
            np.testing.assert_allclose(np.asarray(g), 0.0, atol=1e-9)


def test_weibull_gamma_zero_at_the_common_exponential():
    lam = jnp.array([1e-4, 0.3, 1e4])
    p, q = Weibull(lam, 1.0), Gamma(1.0, 1.0 / lam)
    np.testing.assert_allclose(np.asarray(kl_divergence(p, q)), 0.0, atol=1e-15)
    g = jax.grad(lambda lam, k, a, b: jnp.sum(kl_divergence(Weibull(lam, k), Gamma(a, b))), argnums=(0, 1, 2, 3))
    for x in g(lam, jnp.ones(3), jnp.ones(3), 1.0 / lam):
        assert np.all(np.isfinite(np.asarray(x)))
        np.testing.assert_allclose(np.asarray(x), 0.0, atol=1e-8)


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda a: kl_divergence(Weibull(1.3, 1.5), Gamma(a, 0.9)), 2.0),  # the two forms of F
        (lambda k: kl_divergence(Weibull(1.3, 1.0), Weibull(0.9, k)), 1.25),  # B(d): series/direct
        (lambda k: kl_divergence(Weibull(1.3, 1.0), Weibull(0.9, k)), 0.75),
        (lambda a: kl_divergence(Gamma(a, 0.9), Normal(9.0, 3.0)), 8.0),  # Stirling series/direct
        (lambda a: kl_divergence(Gamma(a, 0.9), Gumbel(1.0, 2.0)), 1.0),  # J(t*): series/direct
        (lambda al: kl_divergence(Pareto(1.3, al), Normal(1.0, 2.0)), 4.0),  # φ(−2/α) branches
        (lambda al: kl_divergence(Pareto(1.3, al), Exponential(0.5)), 2.0),  # φ(−1/α) branches
        (lambda m: kl_divergence(Pareto(m, 3.0), Pareto(1.0, 2.0)), 1.5),  # log-ratio branches
    ],
    ids=[
        "weibull-gamma-a",
        "weibull-d+",
        "weibull-d-",
        "gamma-normal-a",
        "gamma-gumbel-a",
        "pareto-normal",
        "pareto-exp",
        "pareto-log",
    ],
)
def test_continuous_across_internal_switches(fn, x):
    """Values and gradients agree on both sides of every switch between two evaluations."""
    lo, hi = x * (1.0 - 1e-11), x * (1.0 + 1e-11)
    np.testing.assert_allclose(float(fn(lo)), float(fn(hi)), rtol=1e-9)
    np.testing.assert_allclose(float(jax.grad(fn)(lo)), float(jax.grad(fn)(hi)), rtol=1e-7)


# ------------------------------------------------------------------ infinite cases


@pytest.mark.parametrize(
    "p, q, where_inf",
    [
        (Pareto(jnp.array([1.0, 2.0, 0.5]), 3.0), Pareto(1.0, 2.0), [False, False, True]),
        (Pareto(1.0, jnp.array([0.5, 1.0, 1.5])), Exponential(2.0), [True, True, False]),
        (Pareto(1.0, jnp.array([0.5, 1.0, 1.5])), Gamma(2.0, 1.0), [True, True, False]),
        (Pareto(1.0, jnp.array([0.5, 2.0, 2.5])), Normal(0.0, 1.0), [True, True, False]),
        (Pareto(1.0, jnp.array([0.5, 2.0, 2.5])), Chi2(3.0), [True, False, False]),
    ],
    ids=["pareto-scale", "pareto-exponential", "pareto-gamma", "pareto-normal", "pareto-chi2"],
)
def test_parameter_dependent_infinity(p, q, where_inf):
    kl = np.asarray(kl_divergence(p, q))
    np.testing.assert_array_equal(np.isposinf(kl), where_inf)
    assert np.all(np.isfinite(kl[~np.asarray(where_inf)]))
    leaves_p, tree_p = jax.tree_util.tree_flatten(p)
    leaves_q, tree_q = jax.tree_util.tree_flatten(q)
    k = len(leaves_p)

    def total(*leaves):
        pp = jax.tree_util.tree_unflatten(tree_p, leaves[:k])
        qq = jax.tree_util.tree_unflatten(tree_q, leaves[k:])
        v = kl_divergence(pp, qq)
        return jnp.sum(jnp.where(jnp.isfinite(v), v, 0.0))

    for g in jax.grad(total, argnums=tuple(range(len(leaves_p) + len(leaves_q))))(*leaves_p, *leaves_q):
        assert np.all(np.isfinite(np.asarray(g)))


POSITIVE = [
    Gamma(2.0, jnp.ones((2, 1))),
    Exponential(jnp.ones((2, 1))),
    Chi2(jnp.full((2, 1), 3.0)),
    InverseGamma(3.0, jnp.ones((2, 1))),
    Weibull(1.0, jnp.full((2, 1), 2.0)),
]
BOUNDED = [
    Beta(jnp.ones(3), 2.0),
    ContinuousBernoulli(probs=jnp.full(3, 0.3)),
    Uniform(jnp.zeros(3), 1.0),
    Pareto(jnp.ones(3), 2.0),
]


MISMATCHED = [(p, q) for p in [*POSITIVE, Pareto(1.0, jnp.full((2, 1), 3.0))] for q in BOUNDED]
MISMATCHED = [(p, q) for p, q in MISMATCHED if not (isinstance(p, Pareto) and isinstance(q, Pareto))]


@pytest.mark.parametrize("p, q", MISMATCHED, ids=[f"{type(p).__name__}-{type(q).__name__}" for p, q in MISMATCHED])
def test_support_mismatch_is_infinite_with_zero_gradients(p, q):
    kl = kl_divergence(p, q)
    assert kl.shape == (2, 3) and np.all(np.isposinf(np.asarray(kl)))
    gp, gq = jax.grad(lambda p, q: jnp.sum(kl_divergence(p, q)), argnums=(0, 1))(p, q)
    for leaf in jax.tree_util.tree_leaves((gp, gq)):
        np.testing.assert_array_equal(np.asarray(leaf), 0.0)


# ------------------------------------------------------------------------ dispatch


@pytest.mark.parametrize(
    "tp, tq, fn",
    [
        (Gamma, Gamma, gamma_kl.kl_gamma_gamma),
        (Chi2, Chi2, gamma_kl.kl_gamma_gamma),
        (Chi2, Gamma, gamma_kl.kl_gamma_gamma),
        (Gamma, Chi2, gamma_kl.kl_gamma_gamma),
        (Exponential, Gamma, gamma_kl.kl_gamma_gamma),
        (Gamma, Exponential, gamma_kl.kl_gamma_gamma),
        (Exponential, Chi2, gamma_kl.kl_gamma_gamma),
        (Exponential, Exponential, exponential_kl._kl_exponential_exponential),
        (Exponential, Normal, exponential_kl._kl_exponential_normal),
        (Chi2, Normal, gamma_kl._kl_gamma_normal),
        (Exponential, Gumbel, exponential_kl._kl_exponential_gumbel),
        (Chi2, Gumbel, gamma_kl._kl_gamma_gumbel),
        (Weibull, Exponential, weibull_kl._kl_weibull_gamma),
        (Weibull, Chi2, weibull_kl._kl_weibull_gamma),
        (Pareto, Exponential, pareto_kl._kl_pareto_exponential),
        (Pareto, Chi2, pareto_kl._kl_pareto_gamma),
        (Exponential, Pareto, _kl_common.infinite_kl),
        (Weibull, Pareto, _kl_common.infinite_kl),
        (Chi2, Uniform, _kl_common.infinite_kl),
        (Pareto, ContinuousBernoulli, _kl_common.infinite_kl),
    ],
    ids=lambda x: getattr(x, "__name__", None),
)
def test_dispatch_through_subclasses(tp, tq, fn):
    assert lookup(tp, tq).fn is fn


@pytest.mark.parametrize(
    "p, q, ref",
    [
        (Chi2(3.0), Chi2(5.0), lambda: _mp_gamma_gamma(mp.mpf(1.5), mp.mpf(0.5), mp.mpf(2.5), mp.mpf(0.5))),
        (Chi2(3.0), Gamma(2.0, 0.7), lambda: _mp_gamma_gamma(mp.mpf(1.5), mp.mpf(0.5), mp.mpf(2), mp.mpf(0.7))),
        (Gamma(2.0, 0.7), Chi2(3.0), lambda: _mp_gamma_gamma(mp.mpf(2), mp.mpf(0.7), mp.mpf(1.5), mp.mpf(0.5))),
        (Exponential(1.3), Gamma(2.0, 0.7), lambda: _mp_gamma_gamma(mp.mpf(1), mp.mpf(1.3), mp.mpf(2), mp.mpf(0.7))),
        (Gamma(2.0, 0.7), Exponential(1.3), lambda: _mp_gamma_gamma(mp.mpf(2), mp.mpf(0.7), mp.mpf(1), mp.mpf(1.3))),
        (
            Weibull(1.5, 2.0),
            Exponential(1.3),
            lambda: _mp_weibull_gamma(mp.mpf(1.5), mp.mpf(2), mp.mpf(1), mp.mpf(1.3)),
        ),
        (Weibull(1.5, 2.0), Chi2(3.0), lambda: _mp_weibull_gamma(mp.mpf(1.5), mp.mpf(2), mp.mpf(1.5), mp.mpf(0.5))),
        (Pareto(1.5, 3.0), Chi2(3.0), lambda: _mp_pareto_gamma(mp.mpf(1.5), mp.mpf(3), mp.mpf(1.5), mp.mpf(0.5))),
        (Chi2(3.0), Normal(2.0, 1.5), lambda: _mp_gamma_normal(mp.mpf(1.5), mp.mpf(0.5), mp.mpf(2), mp.mpf(1.5))),
        (Chi2(3.0), Gumbel(2.0, 1.5), lambda: _mp_gamma_gumbel(mp.mpf(1.5), mp.mpf(0.5), mp.mpf(2), mp.mpf(1.5))),
    ],
    ids=lambda x: type(x).__name__,
)
def test_subclass_pairs_values(p, q, ref):
    with mp.workdps(50):
        want = float(ref())
    np.testing.assert_allclose(float(kl_divergence(p, q)), want, rtol=1e-13)


# ------------------------------------------------------------- shapes, jit, vmap


def test_broadcast_batch_shapes_and_vmap():
    p = Weibull(jnp.linspace(0.5, 2.0, 3)[:, None], 1.5)
    q = Gamma(jnp.linspace(0.5, 3.0, 4), 1.2)
    kl = jax.jit(kl_divergence)(p, q)
    assert kl.shape == (3, 4)
    mapped = jax.jit(jax.vmap(lambda p: kl_divergence(p, q)))(Weibull(jnp.linspace(0.5, 2.0, 3), jnp.full(3, 1.5)))
    np.testing.assert_allclose(np.asarray(mapped), np.asarray(kl), rtol=1e-14)


def test_low_precision_inputs_compute_in_float32():
    bf = jnp.bfloat16
    kl = kl_divergence(
        Gamma(jnp.asarray(2.0, bf), jnp.asarray(1.0, bf)), Gamma(jnp.asarray(3.0, bf), jnp.asarray(2.0, bf))
    )
    assert kl.dtype == np.float32
    kl = kl_divergence(
        Pareto(jnp.asarray(1.0, bf), jnp.asarray(3.0, bf)), Normal(jnp.asarray(1.0, bf), jnp.asarray(2.0, bf))
    )
    assert kl.dtype == np.float32
