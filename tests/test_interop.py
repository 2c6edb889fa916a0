"""as_distribution and kl_divergence on numpyro, distrax and TFP-on-JAX distributions.

Each case builds the same distribution twice from one set of parameters: with the peer
library and by hand with jaxkl. The peer's own ``log_prob`` checks the parameter mapping
(support conventions included); the hand-built jaxkl pair is the reference for the KL
value and its gradient. A peer that is not installed skips its cases.
"""

from __future__ import annotations

import functools
import importlib
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest

import jaxkl
from jaxkl import distributions as D
from jaxkl.registry import lookup

PEER_MODULES = {
    "numpyro": "numpyro.distributions",
    "distrax": "distrax",
    "tfp": "tensorflow_probability.substrates.jax.distributions",
}


def peer_module(peer: str):
    return pytest.importorskip(PEER_MODULES[peer])


def a(*v) -> np.ndarray:
    return np.asarray(v, np.float64)


_rng = np.random.default_rng(20261121)


def _tril(batch: int, d: int) -> np.ndarray:
    m = np.tril(_rng.normal(size=(batch, d, d)) * 0.4)
    idx = np.arange(d)
    m[:, idx, idx] = np.abs(m[:, idx, idx]) + 0.6
    return m


def _probs(batch: int, k: int) -> np.ndarray:
    x = _rng.gamma(2.0, size=(batch, k))
    return x / x.sum(-1, keepdims=True)


def _spd(batch: int, d: int) -> np.ndarray:
    t = _tril(batch, d)
    return t @ np.swapaxes(t, -1, -2)


# ------------------------------------------------------------------------ families
# name -> (jaxkl builder, p params, q params, points where log_prob is compared)
R3 = [a(-0.7, 0.4), a(0.1, 0.1), a(2.2, -1.3)]
POS = [a(0.3, 0.9), a(1.1, 2.5), a(4.0, 0.05)]
UNIT = [a(0.1, 0.9), a(0.45, 0.3), a(0.8, 0.62)]
T1, T2 = _tril(2, 3), _tril(2, 3)
S1, S2 = _spd(2, 3), _spd(2, 3)
W1, W2 = _rng.normal(size=(2, 3, 2)) * 0.5, _rng.normal(size=(2, 3, 2)) * 0.5
C1, C2 = _probs(2, 4), _probs(2, 4)
M1, M2 = _probs(2, 3), _probs(2, 3)
X3 = [_rng.normal(size=3) for _ in range(3)]
LOC1, LOC2 = _rng.normal(size=(2, 3)), _rng.normal(size=(2, 3))
DG1, DG2 = a(0.8, 1.3, 0.5), a(1.1, 0.7, 0.9)
LS = {"loc": a(0.3, -1.0)}, {"loc": a(-0.2, 0.4)}


def _ls(scale_p=(1.5, 0.7), scale_q=(0.9, 1.3)):
    return {**LS[0], "scale": a(*scale_p)}, {**LS[1], "scale": a(*scale_q)}


def _lowrank_scale(loc, scale_diag, u, v):
    """N(loc, S·Sᵀ) with the scale S = diag(scale_diag) + u·vᵀ."""
    s = scale_diag[..., :, None] * jnp.eye(scale_diag.shape[-1]) + u @ jnp.swapaxes(v, -1, -2)
    return D.MultivariateNormal(loc, covariance_matrix=s @ jnp.swapaxes(s, -1, -2))


FAMILIES: dict[str, tuple[Callable, dict, dict, list]] = {
    **{n: (getattr(D, n), *_ls(), R3) for n in ("Normal", "Laplace", "Logistic", "Gumbel", "Cauchy")},
    "LogNormal": (D.LogNormal, *_ls(), POS),
    "StudentT": (D.StudentT, {"df": a(3.5, 7.0), **_ls()[0]}, {"df": a(5.0, 2.5), **_ls()[1]}, R3),
    "HalfNormal": (D.HalfNormal, {"scale": a(1.5, 0.7)}, {"scale": a(0.9, 1.3)}, POS),
    "HalfCauchy": (D.HalfCauchy, {"scale": a(1.5, 0.7)}, {"scale": a(0.9, 1.3)}, POS),
    "Gamma": (
        D.Gamma,
        {"concentration": a(2.5, 0.8), "rate": a(1.3, 2.0)},
        {"concentration": a(1.7, 1.2), "rate": a(0.9, 1.5)},
        POS,
    ),
    "Exponential": (D.Exponential, {"rate": a(1.3, 2.0)}, {"rate": a(0.9, 1.5)}, POS),
    "Chi2": (D.Chi2, {"df": a(3.0, 5.5)}, {"df": a(4.2, 2.0)}, POS),
    "InverseGamma": (
        D.InverseGamma,
        {"concentration": a(2.5, 3.8), "rate": a(1.3, 2.0)},
        {"concentration": a(3.7, 2.2), "rate": a(0.9, 1.5)},
        POS,
    ),
    "Beta": (
        D.Beta,
        {"concentration1": a(2.5, 0.8), "concentration0": a(1.3, 2.0)},
        {"concentration1": a(1.7, 1.2), "concentration0": a(0.9, 3.5)},
        UNIT,
    ),
    "Kumaraswamy": (
        D.Kumaraswamy,
        {"concentration1": a(2.5, 1.8), "concentration0": a(1.3, 2.0)},
        {"concentration1": a(1.7, 1.2), "concentration0": a(1.9, 3.5)},
        UNIT,
    ),
    "Uniform": (
        D.Uniform,
        {"low": a(0.2, -1.0), "high": a(0.8, 0.5)},
        {"low": a(0.0, -2.0), "high": a(1.5, 1.0)},
        [a(0.25), a(0.35), a(0.45)],
    ),
    "Pareto": (
        D.Pareto,
        {"scale": a(1.5, 2.0), "alpha": a(2.5, 3.0)},
        {"scale": a(1.0, 1.2), "alpha": a(1.5, 2.0)},
        [a(2.1), a(3.0), a(7.0)],
    ),
    "Weibull": (
        D.Weibull,
        {"scale": a(1.5, 0.7), "concentration": a(2.5, 0.8)},
        {"scale": a(0.9, 1.3), "concentration": a(1.7, 1.2)},
        POS,
    ),
    "VonMises": (
        D.VonMises,
        {"loc": a(0.3, -1.0), "concentration": a(2.5, 0.8)},
        {"loc": a(-0.2, 0.4), "concentration": a(1.7, 4.0)},
        [a(-2.5, 0.4), a(0.1, 0.1), a(2.2, -1.3)],
    ),
    "ContinuousBernoulli": (
        lambda **k: D.ContinuousBernoulli(**k),
        {"probs": a(0.2, 0.7)},
        {"probs": a(0.55, 0.35)},
        UNIT,
    ),
    "ContinuousBernoulliLogits": (
        lambda **k: D.ContinuousBernoulli(**k),
        {"logits": a(-1.2, 0.8)},
        {"logits": a(0.3, -0.5)},
        UNIT,
    ),
    "Poisson": (D.Poisson, {"rate": a(2.5, 0.8)}, {"rate": a(1.7, 3.2)}, [a(0.0), a(3.0), a(7.0)]),
    "Bernoulli": (
        lambda **k: D.Bernoulli(**k),
        {"probs": a(0.2, 0.7)},
        {"probs": a(0.55, 0.35)},
        [a(0.0), a(1.0), a(1.0, 0.0)],
    ),
    "BernoulliLogits": (
        lambda **k: D.Bernoulli(**k),
        {"logits": a(-1.2, 0.8)},
        {"logits": a(0.3, -0.5)},
        [a(0.0), a(1.0), a(1.0, 0.0)],
    ),
    "Geometric": (
        lambda **k: D.Geometric(**k),
        {"probs": a(0.2, 0.7)},
        {"probs": a(0.55, 0.35)},
        [a(0.0), a(2.0), a(5.0)],
    ),
    "GeometricLogits": (
        lambda **k: D.Geometric(**k),
        {"logits": a(-1.2, 0.8)},
        {"logits": a(0.3, -0.5)},
        [a(0.0), a(2.0), a(5.0)],
    ),
    "Binomial": (
        lambda **k: D.Binomial(**k),
        {"total_count": a(10.0), "probs": a(0.2, 0.7)},
        {"total_count": a(10.0), "probs": a(0.55, 0.35)},
        [a(0.0), a(3.0), a(9.0)],
    ),
    "BinomialLogits": (
        lambda **k: D.Binomial(**k),
        {"total_count": a(10.0), "logits": a(-1.2, 0.8)},
        {"total_count": a(10.0), "logits": a(0.3, -0.5)},
        [a(0.0), a(3.0), a(9.0)],
    ),
    "Categorical": (
        lambda **k: D.Categorical(**k),
        {"probs": C1},
        {"probs": C2},
        [np.array(0), np.array(2), np.array([3, 1])],
    ),
    "CategoricalLogits": (
        lambda **k: D.Categorical(**k),
        {"logits": np.log(C1) + 0.3},
        {"logits": np.log(C2) - 1.0},
        [np.array(0), np.array(2), np.array([3, 1])],
    ),
    "OneHotCategorical": (
        lambda **k: D.OneHotCategorical(**k),
        {"probs": C1},
        {"probs": C2},
        [np.eye(4)[0], np.eye(4)[2], np.eye(4)[[3, 1]]],
    ),
    "OneHotCategoricalLogits": (
        lambda **k: D.OneHotCategorical(**k),
        {"logits": np.log(C1)},
        {"logits": np.log(C2)},
        [np.eye(4)[0], np.eye(4)[2], np.eye(4)[[3, 1]]],
    ),
    "Multinomial": (
        lambda **k: D.Multinomial(**k),
        {"total_count": a(6.0), "probs": C1},
        {"total_count": a(6.0), "probs": C2},
        [a(6, 0, 0, 0), a(1, 2, 0, 3), a(0, 0, 5, 1)],
    ),
    "MultinomialLogits": (
        lambda **k: D.Multinomial(**k),
        {"total_count": a(6.0), "logits": np.log(C1)},
        {"total_count": a(6.0), "logits": np.log(C2)},
        [a(6, 0, 0, 0), a(1, 2, 0, 3), a(0, 0, 5, 1)],
    ),
    "Dirichlet": (
        D.Dirichlet,
        {"concentration": 3.0 * C1 + 0.5},
        {"concentration": 2.0 * C2 + 0.8},
        [C2[0], C1[1], a(0.1, 0.2, 0.3, 0.4)],
    ),
    "MultivariateNormal": (
        lambda **k: D.MultivariateNormal(**k),
        {"loc": LOC1, "scale_tril": T1},
        {"loc": LOC2, "scale_tril": T2},
        X3,
    ),
    "MultivariateNormalCov": (
        lambda **k: D.MultivariateNormal(**k),
        {"loc": LOC1, "covariance_matrix": S1},
        {"loc": LOC2, "covariance_matrix": S2},
        X3,
    ),
    "MultivariateNormalDiag": (
        D.MultivariateNormalDiag,
        {"loc": LOC1, "scale_diag": DG1},
        {"loc": LOC2, "scale_diag": DG2},
        X3,
    ),
    "LowRankMultivariateNormal": (
        D.LowRankMultivariateNormal,
        {"loc": LOC1, "cov_factor": W1, "cov_diag": DG1},
        {"loc": LOC2, "cov_factor": W2, "cov_diag": DG2},
        X3,
    ),
    "MultivariateNormalScaleLowRank": (
        _lowrank_scale,
        {"loc": LOC1, "scale_diag": DG1, "u": W1, "v": W2},
        {"loc": LOC2, "scale_diag": DG2, "u": W2, "v": W1},
        X3,
    ),
    "Wishart": (
        lambda **k: D.Wishart(**k),
        {"concentration": a(4.5, 6.0), "scale_tril": T1},
        {"concentration": a(5.0, 3.5), "scale_tril": T2},
        [S1[0], S2[1], np.eye(3)],
    ),
    "Delta": (D.Delta, {"v": a(0.5, -1.0)}, {"v": a(0.5, -1.0)}, [a(0.5, -1.0), a(0.5, 2.0), a(0.0)]),
    "IndependentNormal": (
        lambda loc, scale: D.Independent(D.Normal(loc, scale), 1),
        {"loc": LOC1, "scale": DG1},
        {"loc": LOC2, "scale": DG2},
        X3,
    ),
    "MixtureSameFamily": (
        lambda probs, loc, scale: D.MixtureSameFamily(D.Categorical(probs=probs), D.Normal(loc, scale)),
        {"probs": M1, "loc": LOC1, "scale": np.broadcast_to(DG1, (2, 3))},
        {"probs": M2, "loc": LOC2, "scale": np.broadcast_to(DG2, (2, 3))},
        R3,
    ),
}


def _upper_factor(s):
    """U upper triangular with U·Uᵀ = s: the Cholesky factor of s with both axes reversed."""
    return jnp.flip(jnp.linalg.cholesky(jnp.flip(s, (-2, -1))), (-2, -1))


def _name(fam: str) -> Callable:
    """The peer class of the same name as the jaxkl family."""
    return lambda m, **k: getattr(m, fam)(**k)


def _rename(cls: str, **names: str) -> Callable:
    """The peer class ``cls`` with jaxkl's parameter names mapped to the peer's."""
    return lambda m, **k: getattr(m, cls)(**{names.get(n, n): v for n, v in k.items()})


_COMMON = ("Normal", "Laplace", "Logistic", "Gumbel", "Dirichlet", "Uniform", "VonMises")
PEERS: dict[str, dict[str, Callable]] = {
    "numpyro": {
        **{n: _name(n) for n in _COMMON + ("Cauchy", "LogNormal", "StudentT", "HalfNormal", "HalfCauchy")},
        **{n: _name(n) for n in ("Gamma", "Exponential", "Chi2", "InverseGamma", "Beta", "Kumaraswamy", "Pareto")},
        **{n: _name(n) for n in ("Weibull", "Poisson", "Wishart", "Delta", "LowRankMultivariateNormal")},
        **{n: _name(n.replace("Logits", "")) for n in ("Bernoulli", "BernoulliLogits", "Geometric", "GeometricLogits")},
        **{
            n: _name(n.replace("Logits", ""))
            for n in ("Binomial", "BinomialLogits", "Multinomial", "MultinomialLogits")
        },
        **{n: _name(n.replace("Logits", "")) for n in ("Categorical", "CategoricalLogits")},
        "MultivariateNormal": _name("MultivariateNormal"),
        "MultivariateNormalCov": _name("MultivariateNormal"),
        "IndependentNormal": lambda m, loc, scale: m.Normal(loc, scale).to_event(1),
        "ExpandedIndependentNormal": lambda m, loc, scale: m.Normal(loc, scale).expand((2, 3)).to_event(1),
        "MixtureSameFamily": lambda m, probs, loc, scale: m.MixtureSameFamily(
            m.Categorical(probs=probs), m.Normal(loc, scale)
        ),
        "BetaProportion": lambda m, concentration1, concentration0: m.BetaProportion(
            concentration1 / (concentration1 + concentration0), concentration1 + concentration0
        ),
    },
    "distrax": {
        **{n: _name(n) for n in _COMMON},
        "LogStddevNormal": lambda m, loc, scale: m.LogStddevNormal(loc, jnp.log(scale)),
        "Gamma": _name("Gamma"),
        "Beta": _rename("Beta", concentration1="alpha", concentration0="beta"),
        **{
            n: _name(n.replace("Logits", ""))
            for n in ("Bernoulli", "BernoulliLogits", "Categorical", "CategoricalLogits")
        },
        **{n: _name(n.replace("Logits", "")) for n in ("OneHotCategorical", "OneHotCategoricalLogits")},
        **{n: _name(n.replace("Logits", "")) for n in ("Multinomial", "MultinomialLogits")},
        "Softmax": lambda m, logits: m.Softmax(2.0 * logits, temperature=2.0),
        "MultivariateNormal": _rename("MultivariateNormalTri", scale_tril="scale_tri"),
        "MultivariateNormalUpper": lambda m, loc, covariance_matrix: m.MultivariateNormalTri(
            loc, _upper_factor(covariance_matrix), is_lower=False
        ),
        "MultivariateNormalCov": _name("MultivariateNormalFullCovariance"),
        "MultivariateNormalDiag": _name("MultivariateNormalDiag"),
        "MultivariateNormalScaleLowRank": _rename(
            "MultivariateNormalDiagPlusLowRank", u="scale_u_matrix", v="scale_v_matrix"
        ),
        "Delta": _rename("Deterministic", v="loc"),
        "IndependentNormal": lambda m, loc, scale: m.Independent(m.Normal(loc, scale), 1),
        "MixtureSameFamily": lambda m, probs, loc, scale: m.MixtureSameFamily(
            m.Categorical(probs=probs), m.Normal(loc, scale)
        ),
    },
    "tfp": {
        **{n: _name(n) for n in _COMMON + ("Cauchy", "LogNormal", "StudentT", "HalfNormal", "Kumaraswamy", "Beta")},
        **{n: _name(n) for n in ("Gamma", "Exponential", "Chi2", "Poisson", "Bernoulli", "Geometric", "Binomial")},
        **{n: _name(n) for n in ("Categorical", "OneHotCategorical", "Multinomial", "ContinuousBernoulli")},
        **{n + "Logits": _name(n) for n in ("Bernoulli", "Geometric", "Binomial", "Categorical", "OneHotCategorical")},
        **{n + "Logits": _name(n) for n in ("Multinomial", "ContinuousBernoulli")},
        "GammaLogRate": lambda m, concentration, rate: m.Gamma(concentration, log_rate=jnp.log(rate)),
        "PoissonLogRate": lambda m, rate: m.Poisson(log_rate=jnp.log(rate)),
        "HalfCauchy": lambda m, scale: m.HalfCauchy(jnp.zeros_like(scale), scale),
        "InverseGamma": _rename("InverseGamma", rate="scale"),
        "Pareto": _rename("Pareto", alpha="concentration"),
        "Weibull": _name("Weibull"),
        "MultivariateNormal": _name("MultivariateNormalTriL"),
        "MultivariateNormalCov": _name("MultivariateNormalFullCovariance"),
        "MultivariateNormalDiag": _name("MultivariateNormalDiag"),
        "LowRankMultivariateNormal": _rename(
            "MultivariateNormalDiagPlusLowRankCovariance", cov_diag="cov_diag_factor", cov_factor="cov_perturb_factor"
        ),
        "MultivariateNormalScaleLowRankTFP": lambda m, loc, scale_diag, u, pd: m.MultivariateNormalDiagPlusLowRank(
            loc, scale_diag, u, pd
        ),
        "Wishart": _rename("WishartTriL", concentration="df"),
        "Delta": _rename("Deterministic", v="loc"),
        "IndependentNormal": lambda m, loc, scale: m.Independent(m.Normal(loc, scale), 1),
        "MixtureSameFamily": lambda m, probs, loc, scale: m.MixtureSameFamily(
            m.Categorical(probs=probs), m.Normal(loc, scale)
        ),
    },
}
# Families a peer spells differently from jaxkl, with the jaxkl family they stand for.
ALIASES = {
    "LogStddevNormal": "Normal",
    "Softmax": "CategoricalLogits",
    "MultivariateNormalUpper": "MultivariateNormalCov",
    "GammaLogRate": "Gamma",
    "PoissonLogRate": "Poisson",
    "BetaProportion": "Beta",
}
FAMILIES["MultivariateNormalScaleLowRankTFP"] = (
    lambda loc, scale_diag, u, pd: _lowrank_scale(loc, scale_diag, u * pd[..., None, :], u),
    {"loc": LOC1, "scale_diag": DG1, "u": W1, "pd": a(0.7, 1.4)},
    {"loc": LOC2, "scale_diag": DG2, "u": W2, "pd": a(1.2, 0.3)},
    X3,
)
FAMILIES["ExpandedIndependentNormal"] = (
    lambda loc, scale: D.Independent(D.Normal(jnp.broadcast_to(loc, (2, 3)), jnp.broadcast_to(scale, (2, 3))), 1),
    {"loc": a(0.3), "scale": a(1.2)},
    {"loc": LOC2, "scale": DG2},
    X3,
)


def _normalized(make: Callable) -> Callable:
    """The jaxkl family with ``probs`` renormalized, as distrax does on construction."""
    return lambda probs, **k: make(probs=probs / jnp.sum(probs, -1, keepdims=True), **k)


# (peer, family) -> the jaxkl equivalent, where it is not the family's own builder.
NATIVE = {
    ("distrax", "Categorical"): _normalized(FAMILIES["Categorical"][0]),
    ("distrax", "OneHotCategorical"): _normalized(FAMILIES["OneHotCategorical"][0]),
    ("distrax", "Multinomial"): _normalized(FAMILIES["Multinomial"][0]),
    ("distrax", "MixtureSameFamily"): _normalized(FAMILIES["MixtureSameFamily"][0]),
}


@dataclass
class Case:
    peer: str
    family: str
    make_peer: Callable = field(repr=False)

    def __repr__(self) -> str:
        return f"{self.peer}-{self.family}"

    @property
    def spec(self) -> tuple[Callable, dict, dict, list]:
        """(jaxkl builder, p params, q params, points)."""
        make, pp, pq, points = FAMILIES[ALIASES.get(self.family, self.family)]
        return NATIVE.get((self.peer, self.family), make), pp, pq, points

    def peer_dist(self, params: dict):
        return self.make_peer(peer_module(self.peer), **params)

    def build(self) -> tuple[Any, Any, Any, Any]:
        """(peer p, peer q, jaxkl p, jaxkl q)."""
        make_jaxkl, pp, pq, _ = self.spec
        return self.peer_dist(pp), self.peer_dist(pq), make_jaxkl(**pp), make_jaxkl(**pq)

    def split_params(self) -> tuple[dict, dict]:
        """(the differentiable parameters of p, the fixed ones: counts and point masses)."""
        pp = self.spec[1]
        fixed = {k: v for k, v in pp.items() if k in ("total_count", "v")}
        return {k: v for k, v in pp.items() if k not in fixed}, fixed


CASES = [Case(peer, fam, make) for peer, table in PEERS.items() for fam, make in table.items()]


def has_closed_form(case: Case) -> bool:
    make_jaxkl, pp, pq, _ = case.spec
    return lookup(type(make_jaxkl(**pp)), type(make_jaxkl(**pq))) is not None


KL_CASES = [c for c in CASES if has_closed_form(c)]


def select(cases, families):
    return [c for c in cases if c.family in families]


def peer_kl(peer: str, p, q):
    """The peer's own KL(p ‖ q), or None where it registers none for the pair."""
    m = peer_module(peer)
    try:
        if peer == "numpyro":
            return importlib.import_module("numpyro.distributions.kl").kl_divergence(p, q)
        if peer == "tfp":
            return m.kl_divergence(p, q)
        return p.kl_divergence(q)
    except NotImplementedError:
        return None


def assert_close(got, want, rtol, atol=0.0):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol)


def tolerances(d) -> tuple[float, float]:
    """(rtol, atol) keyed to the dtype the converted distribution computes in (TFP holds
    Bernoulli-type probabilities in float32 whatever it is given)."""
    return (1e-10, 1e-12) if d.dtype == np.float64 else (1e-5, 1e-6)


def _points(case: Case, jp) -> tuple[np.ndarray, np.ndarray]:
    """The family's points stacked along a leading axis, and weights for them."""
    shape = tuple(jp.batch_shape) + tuple(jp.event_shape)
    x = np.stack([np.broadcast_to(x, shape) for x in case.spec[3]])
    return x, np.linspace(0.3, 1.1, len(x)).reshape((-1,) + (1,) * len(jp.batch_shape))


def _weighted_log_prob_grad(case: Case, make: Callable) -> tuple[dict, np.ndarray]:
    """(the gradient of Σ w·log p(x) with respect to p's parameters, log p(x))."""
    theta, fixed = case.split_params()
    x, w = _points(case, case.spec[0](**case.spec[1]))

    def f(t):
        lp = make({**t, **fixed}).log_prob(x)
        return jnp.sum(jnp.where(jnp.isfinite(lp), w * lp, 0.0)), lp

    g, lp = jax.grad(f, has_aux=True)(theta)
    return g, np.asarray(lp)


_NATIVE_GRADS: dict[tuple[str, str], dict] = {}


def native_log_prob_grad(case: Case) -> dict:
    """The native gradient, computed once per family (and per peer where NATIVE differs)."""
    key = (case.peer if (case.peer, case.family) in NATIVE else "", case.family)
    if key not in _NATIVE_GRADS:
        _NATIVE_GRADS[key] = _weighted_log_prob_grad(case, lambda t: case.spec[0](**t))[0]
    return _NATIVE_GRADS[key]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_log_prob_and_its_gradient_match(case):
    """The peer's own log_prob checks the parameter mapping (support conventions included);
    its gradient with respect to the peer's parameters is the native jaxkl gradient."""
    make_jaxkl, pp, _, _ = case.spec
    p, jp = case.peer_dist(pp), make_jaxkl(**pp)
    got = jaxkl.as_distribution(p)
    assert type(got) is type(jp)
    assert tuple(got.batch_shape) == tuple(p.batch_shape)
    assert tuple(got.event_shape) == tuple(p.event_shape)
    g_peer, lp = _weighted_log_prob_grad(case, lambda t: jaxkl.as_distribution(case.peer_dist(t)))
    assert np.all(np.isfinite(lp) | (lp == -np.inf))
    rtol, atol = (1e-6, 1e-12) if got.dtype == np.float64 else (1e-5, 1e-6)
    assert_close(lp, p.log_prob(jnp.asarray(_points(case, jp)[0])), rtol=rtol, atol=atol)
    g_native = native_log_prob_grad(case)
    rtol, atol = tolerances(got)
    for k in g_peer:
        assert np.all(np.isfinite(g_peer[k])), k
        assert_close(g_peer[k], g_native[k], rtol=rtol, atol=atol)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_conversion_under_jit(case):
    """A peer object passed as a jit argument converts to the same jaxkl object."""
    p = case.peer_dist(case.spec[1])
    eager = jaxkl.as_distribution(p)
    traced = jax.jit(jaxkl.as_distribution)(p)
    assert type(traced) is type(eager)
    assert jax.tree.structure(traced) == jax.tree.structure(eager)
    for t, e in zip(jax.tree.leaves(traced), jax.tree.leaves(eager)):
        assert t.dtype == e.dtype
        assert_close(t, e, rtol=1e-15)


@pytest.mark.parametrize("case", [c for c in CASES if not has_closed_form(c)], ids=repr)
def test_families_without_closed_form_raise(case):
    p, q, _, _ = case.build()
    with pytest.raises(NotImplementedError, match=rf"KL\({type(jaxkl.as_distribution(p)).__name__} ‖"):
        jaxkl.kl_divergence(p, q)


@functools.cache
def native_kl(family: str) -> np.ndarray:
    make_jaxkl, pp, pq, _ = FAMILIES[ALIASES.get(family, family)]
    return np.asarray(jaxkl.kl_divergence(make_jaxkl(**pp), make_jaxkl(**pq)))


@pytest.mark.parametrize("case", KL_CASES, ids=repr)
def test_kl_equals_native_and_peer(case):
    p, q, _, _ = case.build()
    want = native_kl(case.family)
    assert np.all(np.isfinite(want)) and np.all(want >= 0)
    rtol, atol = tolerances(jaxkl.as_distribution(p))
    assert_close(jaxkl.kl_divergence(p, q), want, rtol=rtol, atol=atol)
    theirs = peer_kl(case.peer, p, q)
    if theirs is not None:  # the peer's own closed form, less accurate: a loose check
        assert_close(theirs, want, rtol=max(rtol, 1e-5), atol=1e-10)


GRAD_FAMILIES = (
    "Normal", "LogStddevNormal", "GammaLogRate", "BetaProportion", "HalfCauchy", "PoissonLogRate", "BernoulliLogits",
    "Softmax", "MultivariateNormal", "MultivariateNormalUpper", "LowRankMultivariateNormal", "ExpandedIndependentNormal",
)  # fmt: skip


@pytest.mark.parametrize("case", select(KL_CASES, GRAD_FAMILIES), ids=repr)
def test_kl_gradient_through_peer_parameters(case):
    make_jaxkl, _, pq, _ = case.spec
    theta, fixed = case.split_params()
    q, jq = case.peer_dist(pq), make_jaxkl(**pq)
    g_peer = jax.grad(lambda t: jnp.sum(jaxkl.kl_divergence(case.peer_dist({**t, **fixed}), q)))(theta)
    g_native = jax.grad(lambda t: jnp.sum(jaxkl.kl_divergence(make_jaxkl(**t, **fixed), jq)))(theta)
    rtol, atol = tolerances(jaxkl.as_distribution(q))
    for k in theta:
        assert np.all(np.isfinite(g_peer[k])), k
        assert_close(g_peer[k], g_native[k], rtol=rtol, atol=atol)


JIT_FAMILIES = ("Normal", "CategoricalLogits", "MultivariateNormal", "IndependentNormal", "Gamma")


@pytest.mark.parametrize("case", select(KL_CASES, JIT_FAMILIES), ids=repr)
def test_jit_kl_and_grad_with_peer_arguments(case):
    """kl_divergence jitted with peer distributions as arguments, alone and mixed with
    jaxkl's, and its jitted gradient with respect to the peer's parameters."""
    p, q, jp, jq = case.build()
    want = native_kl(case.family)
    kl = jax.jit(jaxkl.kl_divergence)
    assert_close(kl(p, q), want, rtol=1e-12)
    assert_close(kl(jp, q), want, rtol=1e-12)
    assert_close(kl(p, jq), want, rtol=1e-12)
    theta, _ = case.split_params()
    g = jax.jit(jax.grad(lambda t, q: jnp.sum(jaxkl.kl_divergence(case.peer_dist(t), q))))(theta, q)
    g_native = jax.grad(lambda t: jnp.sum(jaxkl.kl_divergence(case.spec[0](**t), jq)))(theta)
    for k in theta:
        assert np.all(np.isfinite(g[k])), k
        assert_close(g[k], g_native[k], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("peer", ["numpyro", "distrax", "tfp"])
def test_vmap_over_peer_distributions(peer):
    m = peer_module(peer)
    loc_p, loc_q = np.linspace(-1.0, 1.0, 5), np.linspace(0.5, -0.5, 5)
    sp, sq = np.linspace(0.5, 2.0, 5), np.linspace(1.5, 0.8, 5)
    got = jax.vmap(jaxkl.kl_divergence)(m.Normal(loc_p, sp), m.Normal(loc_q, sq))
    assert_close(got, jaxkl.kl_divergence(D.Normal(loc_p, sp), D.Normal(loc_q, sq)), rtol=1e-12)


def test_jaxkl_objects_pass_through():
    d = D.Gamma(2.0, 3.0)
    assert jaxkl.as_distribution(d) is d


UNSUPPORTED = {
    "numpyro": lambda m: m.TruncatedNormal(0.0, 1.0, low=-1.0),
    "distrax": lambda m: m.ClippedNormal(0.0, 1.0, -1.0, 1.0),
    "tfp": lambda m: m.TruncatedNormal(0.0, 1.0, -1.0, 1.0),
}


@pytest.mark.parametrize("peer", sorted(UNSUPPORTED))
def test_unsupported_family_names_the_class(peer):
    m = peer_module(peer)
    d = UNSUPPORTED[peer](m)
    name = type(d).__name__
    with pytest.raises(NotImplementedError, match=rf"{name} \({type(d).__module__}.*registered_pairs"):
        jaxkl.as_distribution(d)
    with pytest.raises(NotImplementedError, match=name):
        jaxkl.kl_divergence(d, D.Normal(0.0, 1.0))


def test_other_objects_are_type_errors():
    with pytest.raises(TypeError, match="not a distribution jaxkl recognises"):
        jaxkl.as_distribution(object())
    # kl_divergence keeps its own error for objects of no known library
    with pytest.raises(NotImplementedError, match="no closed-form KL"):
        jaxkl.kl_divergence(object(), D.Normal(0.0, 1.0))


def test_tfp_of_other_substrates_is_a_type_error():
    tfp_np = pytest.importorskip("tensorflow_probability.substrates.numpy")
    d = tfp_np.distributions.Normal(0.0, 1.0)
    with pytest.raises(TypeError, match="substrates.jax"):
        jaxkl.as_distribution(d)
    with pytest.raises(TypeError, match="substrates.jax"):
        jaxkl.kl_divergence(d, D.Normal(0.0, 1.0))
    # TFP on TensorFlow, recognised by its module name alone
    fake = type("Normal", (), {"__module__": "tensorflow_probability.python.distributions.normal"})()
    with pytest.raises(TypeError, match="TensorFlow or NumPy substrate"):
        jaxkl.as_distribution(fake)


def test_tfp_half_cauchy_with_loc_and_deterministic_with_tolerance():
    tfd = peer_module("tfp")
    with pytest.raises(ValueError, match="HalfCauchy with loc"):
        jaxkl.as_distribution(tfd.HalfCauchy(a(0.0, 1.0), a(1.0, 1.0)))
    with pytest.raises(ValueError, match="atol"):
        jaxkl.as_distribution(tfd.Deterministic(a(1.0), atol=a(0.1)))
    with pytest.raises(ValueError, match="input_output_cholesky"):
        jaxkl.as_distribution(tfd.WishartTriL(a(5.0), T1[0], input_output_cholesky=True))
    # Under jit the value cannot be inspected: the entries with loc != 0 become NaN.
    kl = jax.jit(jaxkl.kl_divergence)(
        tfd.HalfCauchy(a(0.0, 1.0), a(1.0, 2.0)), tfd.HalfCauchy(a(0.0, 0.0), a(2.0, 2.0))
    )
    assert np.isfinite(kl[0]) and np.isnan(kl[1])
    assert_close(kl[0], jaxkl.kl_divergence(D.HalfCauchy(1.0), D.HalfCauchy(2.0)), rtol=1e-12)
    lp = jax.jit(lambda d: jaxkl.as_distribution(d).log_prob(a(1.0, 1.0)))(
        tfd.Deterministic(a(1.0, 1.0), atol=a(0.0, 0.5))
    )
    assert lp[0] == 0.0 and np.isnan(lp[1])


def test_distrax_deterministic_default_tolerance_under_jit():
    distrax = peer_module("distrax")
    lp = jax.jit(lambda d: jaxkl.as_distribution(d).log_prob(a(1.0, 2.0)))(distrax.Deterministic(a(1.0, 1.0)))
    assert lp[0] == 0.0 and lp[1] == -np.inf


def test_kl_from_a_peer_point_mass_to_a_peer_density():
    nd = peer_module("numpyro")
    got = jaxkl.kl_divergence(nd.Delta(a(0.5, -1.0)), nd.Normal(0.0, 2.0))
    assert_close(got, -D.Normal(0.0, 2.0).log_prob(a(0.5, -1.0)), rtol=1e-12)


def _normal_kl_reference(m1, s1, m2, s2) -> float:
    """KL(N(m1, s1²) ‖ N(m2, s2²)) to 50 digits from the (rounded) inputs."""
    with mpmath.workdps(50):
        m1, s1, m2, s2 = (mpmath.mpf(float(v)) for v in (m1, s1, m2, s2))
        r = (s1 / s2) ** 2
        return float((r - 1 - mpmath.log(r)) / 2 + (m1 - m2) ** 2 / (2 * s2**2))


def _gamma_kl_reference(a1, b1, a2, b2) -> float:
    """KL(Gamma(a1, b1) ‖ Gamma(a2, b2)) (rates b) to 50 digits from the (rounded) inputs."""
    with mpmath.workdps(50):
        a1, b1, a2, b2 = (mpmath.mpf(float(v)) for v in (a1, b1, a2, b2))
        return float(
            (a1 - a2) * mpmath.digamma(a1)
            - mpmath.loggamma(a1)
            + mpmath.loggamma(a2)
            + a2 * (mpmath.log(b1) - mpmath.log(b2))
            + a1 * (b2 - b1) / b1
        )


@pytest.mark.parametrize("peer", ["numpyro", "distrax", "tfp"])
def test_near_identical_pairs_keep_jaxkl_accuracy_in_float32(peer):
    m = peer_module(peer)
    f32 = np.float32
    m1, s1, m2, s2 = f32(0.0), f32(1.0), f32(1e-4), f32(1.0)
    got = jaxkl.kl_divergence(m.Normal(m1, s1), m.Normal(m2, s2))
    assert got.dtype == np.float32
    assert_close(got, _normal_kl_reference(m1, s1, m2, s2), rtol=1e-4)
    s2 = f32(1.0 + 3e-4)
    got = jaxkl.kl_divergence(m.Normal(m1, s1), m.Normal(m1, s2))
    assert_close(got, _normal_kl_reference(m1, s1, m1, s2), rtol=1e-4)
    a1, b1, a2, b2 = f32(2.0), f32(1.5), f32(2.0 * (1 + 2e-4)), f32(1.5)
    got = jaxkl.kl_divergence(m.Gamma(a1, b1), m.Gamma(a2, b2))
    assert got.dtype == np.float32
    assert_close(got, _gamma_kl_reference(a1, b1, a2, b2), rtol=1e-4)


def test_importing_jaxkl_imports_no_peer():
    code = (
        "import sys, jaxkl\n"
        "jaxkl.kl_divergence(jaxkl.distributions.Normal(0.0, 1.0), jaxkl.distributions.Normal(1.0, 2.0))\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('numpyro', 'distrax', 'tensorflow_probability')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_estimators_accept_peer_distributions():
    """quadrature_kl, kl_estimate and monte_carlo_kl convert what has a jaxkl equivalent;
    monte_carlo_kl also takes a peer's family without one, through its sample/log_prob."""
    nd = pytest.importorskip("numpyro.distributions")
    key = jax.random.key(3)
    native = jaxkl.quadrature_kl(D.StudentT(4.0, 0.0, 1.0), D.Normal(0.0, 1.2))
    np.testing.assert_allclose(jaxkl.quadrature_kl(nd.StudentT(4.0, 0.0, 1.0), nd.Normal(0.0, 1.2)), native, rtol=1e-6)
    # A registered pair goes to the closed form, whatever the origin.
    np.testing.assert_allclose(
        jaxkl.kl_estimate(nd.Normal(0.0, 1.0), D.Normal(1.0, 2.0), key=key, num_samples=10),
        jaxkl.kl_divergence(D.Normal(0.0, 1.0), D.Normal(1.0, 2.0)),
        rtol=1e-6,
    )
    est = jaxkl.kl_estimate(nd.StudentT(4.0, 0.0, 1.0), nd.Normal(0.0, 1.2), key=key, num_samples=200_000)
    assert abs(float(est) - float(native)) < 0.01
    # TruncatedNormal(0, 1, low=-1) against Normal(0, 1): log p − log q = −log Φ̄(−1) on p's support.
    kl, se = jaxkl.monte_carlo_kl(
        nd.TruncatedNormal(0.0, 1.0, low=-1.0), nd.Normal(0.0, 1.0), key=key, num_samples=1000, return_stderr=True
    )
    np.testing.assert_allclose(kl, -np.log(1 - 0.15865525393145707), rtol=1e-5)
    assert float(se) < 1e-6
