"""The test tables, one entry per family and per closed-form pair, gathered from the family
modules.

``tests/distributions/test_<family>.py`` mirrors ``jaxkl/distributions/<family>.py``: it holds
the family's ``CASE`` (a generic interior parameter point and its scipy.stats equivalent), the
``PAIRS`` whose p is that family (with their independent references and parameter regimes),
and the tests of that family alone. The checks that apply to every entry run once over all
of them: ``tests/test_registry.py`` over the cases, ``tests/test_closed_form.py`` over the
pairs, ``tests/test_dist_*.py`` over the cases of one support.

Random points are seeded from the pair's (or family's) name and the regime, never from a
position in a table, so adding an entry changes no other entry's points.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
import pathlib
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import integrate

FAMILY_DIR = pathlib.Path(__file__).parent / "distributions"


# --------------------------------------------------------------------------- entries


@dataclasses.dataclass
class Case:
    """A generic interior parameter point and its scipy.stats equivalent.

    ``params(rng)`` returns float64 keyword arguments for the jaxkl class; ``scipy(**params)``
    returns an object with ``logpdf``/``logpmf`` and ``support()`` (a frozen scipy.stats
    distribution or a small stand-in) used to build independent references.
    """

    params: Callable[[np.random.Generator], dict]
    scipy: Callable[..., object]
    discrete: bool = False


Rows = Callable[[np.random.Generator], Sequence[Any]] | Sequence[Sequence[float]]


@dataclasses.dataclass(eq=False)
class Pair:
    """A closed-form pair KL(P ‖ Q) and what the checks of ``tests/test_closed_form.py`` need.

    A point is a row of parameters: p's (``p_names``), then q's (``q_names``).

    - ``ref(*row)``: the KL by an independent formula (textbook form, mpmath at 50 digits).
    - ``regimes``: name → points, either a list of rows or ``f(rng)`` returning the columns
      (one array per parameter). Every pair has a ``"generic"`` regime.
    - ``quadrature(sp, sq)``: ∫ p log(p/q) by scipy.integrate over p's support (``quad_*``),
      of the frozen scipy.stats distributions (or stand-ins with ``logpdf`` and ``support()``)
      ``scipy_p(*p_row)`` and ``scipy_q(*q_row)``; by default the families' ``CASE.scipy``.
    - ``quad_at``, ``fd_at``: the points of the quadrature and finite-difference checks
      (as a regime; by default the first two generic points).
    - ``grads_at``: points where value and gradient must be finite (p = q, boundaries,
      extreme scales); at a point where p = q (same family), the gradient is zero except
      for the parameters in ``boundary`` (where p = q sits on the edge of the domain).
    - ``inf_at``: points where p has mass outside q's support: +inf with a zero gradient.
    """

    P: type
    Q: type
    p_names: tuple[str, ...]
    q_names: tuple[str, ...]
    ref: Callable[..., Any]
    regimes: Mapping[str, Rows]
    quadrature: Callable[[Any, Any], float]
    scipy_p: Callable[..., Any] | None = None
    scipy_q: Callable[..., Any] | None = None
    quad_at: Rows | None = None
    fd_at: Rows | None = None
    grads_at: Rows = ()
    inf_at: Rows = ()
    boundary: tuple[str, ...] = ()

    def __post_init__(self):
        assert "generic" in self.regimes, self.id
        assert self.p_names and self.q_names, self.id

    @property
    def id(self) -> str:
        return f"{self.P.__name__}-{self.Q.__name__}"

    @property
    def n_p(self) -> int:
        return len(self.p_names)

    @property
    def names(self) -> list[str]:
        return list(self.p_names) + list(self.q_names)


def seed(*parts: object) -> list[int]:
    """A seed from names (a pair's id, a regime, a check), independent of table positions."""
    return [zlib.crc32(str(part).encode()) for part in parts]


def rows(pair: Pair, points: Rows, *purpose: str) -> np.ndarray:
    """The points as float64 rows [n, n_p + n_q]; drawn from ``seed(pair.id, *purpose)``."""
    if callable(points):
        columns = points(np.random.default_rng(seed(pair.id, *purpose)))
        x = np.stack([np.asarray(c, np.float64) for c in columns], axis=1)
    else:
        x = np.asarray(points, np.float64).reshape(len(points), -1)
    assert x.shape[1] == len(pair.names), (pair.id, x.shape)
    return x


def regime_rows(pair: Pair, regime: str) -> np.ndarray:
    return rows(pair, pair.regimes[regime], regime)


def check_rows(pair: Pair, which: str, n: int = 2) -> np.ndarray:
    """The points of the quadrature (``"quad"``) or finite-difference (``"fd"``) check."""
    points = pair.quad_at if which == "quad" else pair.fd_at
    if points is None:
        return regime_rows(pair, "generic")[:n]
    return rows(pair, points, which)


# --------------------------------------------------------------------------- regimes


def log_uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def perturb(rng: np.random.Generator, x: np.ndarray) -> np.ndarray:
    """x·(1 ± δ), δ log-uniform in [1e-6, 1e-2]; a quarter of the entries left equal."""
    d = 10.0 ** rng.uniform(-6, -2, x.shape) * rng.choice([-1.0, 1.0], x.shape)
    d[rng.random(x.shape) < 0.25] = 0.0
    return x * (1.0 + d)


LOC_SCALE_REGIMES = (
    "generic",
    "near1e-2",
    "near1e-4",
    "near1e-6",
    "small",
    "small-near",
    "large",
    "large-near",
    "mixed",
)


def loc_scale_regimes(closest=lambda m, s: (m, s), loc_scale: bool = True, n: int = 12) -> dict:
    """Regimes of a pair of location-scale (or scale) families, as columns: generic points,
    q near ``closest(m, s)`` (q's (loc, scale) closest to p: the minimizer of the KL over q,
    or p itself) at relative distances 1e-2 … 1e-6, scales 1e-4 and 1e4 (with q at distance
    0.5 or 1e-4), and scales spread over 1e-4 … 1e4."""

    def draw(regime, rng):
        if regime == "mixed":
            sp, sq = 10.0 ** rng.uniform(-4, 4, (2, n))
            mp_, mq = rng.normal(size=(2, n)) * 10.0 ** rng.uniform(-4, 4, (2, n))
        else:
            scale = {"small": 1e-4, "large": 1e4}.get(regime.split("-")[0], 1.0)
            sp = scale * rng.uniform(0.3, 3.0, n)
            # locations of order 1 at small scales (their differences are then exact only if p ≈ q)
            mp_ = rng.normal(size=n) * max(scale, 1.0)
            if regime == "generic":
                mq, sq = rng.normal(size=n), rng.uniform(0.3, 3.0, n)
            else:
                if regime.startswith("near"):
                    eps = float(regime[4:])
                else:
                    eps = 1e-4 if regime.endswith("-near") else 0.5
                m0, s0 = closest(mp_, sp)
                mq = m0 + eps * s0 * rng.normal(size=n)
                sq = s0 * np.exp(eps * rng.normal(size=n))
        return [mp_, sp, mq, sq] if loc_scale else [sp, sq]

    return {regime: (lambda rng, regime=regime: draw(regime, rng)) for regime in LOC_SCALE_REGIMES}


def loc_scale_grads_at(closest=lambda m, s: (m, s), loc_scale: bool = True) -> list:
    """q = ``closest(p)``, at relative distances 0, 1e-9 (below float32's resolution) and
    1e-3, at scales 1, 1e-4 and 1e4."""
    points = []
    for m, s in ((0.3, 1.2), (5.0, 1e-4), (-3e4, 1e4)):
        m0, s0 = closest(m, s)
        for rel in (0.0, 1e-9, 1e-3):
            q = (m0 + rel * s0, s0 * (1 + rel))
            points.append((m, s, *q) if loc_scale else (s, q[1]))
    return points


def same(points: Callable, k: int) -> Callable:
    """p = q at the p-part of the first ``k`` points of a regime (as columns)."""

    def draw(rng):
        columns = [np.asarray(c)[:k] for c in points(rng)]
        half = columns[: len(columns) // 2]
        return [*half, *half]

    return draw


def take(points: Callable, k: int) -> Callable:
    """The first ``k`` points of a regime (as columns)."""
    return lambda rng: [np.asarray(c)[:k] for c in points(rng)]


def firsts(*regimes: Callable) -> Callable:
    """The first point of each regime (as columns)."""

    def draw(rng):
        drawn = [points(rng) for points in regimes]
        return [np.array([np.asarray(cols[i])[0] for cols in drawn]) for i in range(len(drawn[0]))]

    return draw


def loc_scale_params(rng: np.random.Generator) -> dict:
    return {"loc": float(rng.normal()), "scale": float(rng.uniform(0.5, 2.0))}


def scale_params(rng: np.random.Generator) -> dict:
    return {"scale": float(rng.uniform(0.5, 2.0))}


def loc_scale_pair(P, Q, ref, closest=lambda m, s: (m, s), loc_scale=True) -> Pair:
    """A pair of location-scale (or scale) families: the ``loc_scale_regimes``, quadrature in
    quantile space at three generic points, finite differences at a generic point and one
    near the closest q, finite gradients at ``loc_scale_grads_at``."""
    names = ("loc", "scale") if loc_scale else ("scale",)
    regimes = loc_scale_regimes(closest, loc_scale)
    return Pair(
        P,
        Q,
        names,
        names,
        ref,
        regimes,
        quad_quantile,
        quad_at=take(regimes["generic"], 3),
        fd_at=firsts(regimes["generic"], regimes["near1e-2"]),
        grads_at=loc_scale_grads_at(closest, loc_scale),
    )


def bounded_pair(P, Q, p_names, q_names, ref, regimes, quadrature, **kw) -> Pair:
    """A pair with p on a bounded support, given by explicit points: quadrature and finite
    differences at the first generic point."""
    first = list(regimes["generic"])[:1]
    return Pair(P, Q, p_names, q_names, ref, regimes, quadrature, quad_at=first, fd_at=first, **kw)


# --------------------------------------------------------------------------- quadrature


def quad_quantile(sp, sq) -> float:
    """∫₀¹ log(p/q)(x(u)) du in quantile space, each half mapped from its own tail (ppf below
    the median, isf above) so that heavy tails cost nothing; split at q's median (Laplace's
    kink). Where x(u) or scipy's logpdf is no longer finite (u within ~1e-300 of an end;
    scipy's Laplace logpdf underflows in its far tail) the contribution is negligible."""

    def integrand(u, quantile):
        x = quantile(u)
        value = sp.logpdf(x) - sq.logpdf(x) if np.isfinite(x) else 0.0
        return value if np.isfinite(value) else 0.0

    kinks = (sp.cdf(sq.median()), sp.sf(sq.median()))
    return sum(
        integrate.quad(
            integrand,
            0.0,
            0.5,
            args=(qf,),
            points=[k] if 0 < k < 0.5 else None,
            epsabs=1e-14,
            epsrel=1e-12,
            limit=200,
        )[0]
        for qf, k in zip((sp.ppf, sp.isf), kinks)
    )


def quad_log(sp, sq) -> float:
    """∫ p (log p − log q) over p's support (a subset of (0, ∞)), in u = log x, split at
    p's quantiles."""

    def f(u):
        with np.errstate(over="ignore"):
            x = np.exp(u)
            # x beyond the float range (u < −745 or u > 709): for a density ~ x^(a−1) at 0 the
            # mass left below is ~e^(−745·a), under 1e-30 for the generic points the check
            # uses (a ≥ 0.1); above, every density of the tables has long underflowed
            if x == 0.0 or not np.isfinite(x):
                return 0.0
            lp = sp.logpdf(x)
            if lp + u < -700.0:  # p·x underflows: nothing left to add
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


def quad_support(sp, sq, lo=None, hi=None) -> float:
    """∫ p (log p − log q) over p's (bounded) support [lo, hi] (by default scipy's)."""
    if lo is None:
        lo, hi = (float(v) for v in sp.support())

    def f(x):
        return math.exp(sp.logpdf(x)) * (sp.logpdf(x) - sq.logpdf(x))

    return integrate.quad(f, lo, hi, epsabs=1e-12, epsrel=1e-10, limit=200)[0]


def quad_circle(sp, sq) -> float:
    """``quad_support`` over one period centred at p's location (scipy reports the real line
    as the support of its von Mises density)."""
    loc = float(sp.kwds["loc"])
    return quad_support(sp, sq, loc - math.pi, loc + math.pi)


# --------------------------------------------------------------------------- small checks

METHOD_RTOL = {np.float64: 1e-12, np.float32: 2e-5}  # log_prob, moments against scipy.stats


def rel_diff(a, b) -> float:
    """The largest relative difference of ``a`` from ``b``."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def rel_errors(got, want) -> np.ndarray:
    """|got − want| / |want| elementwise, ``want`` of any number type (mpmath included)."""
    got = np.asarray(got, np.float64).ravel()
    want = np.asarray([float(w) for w in np.ravel(want)])
    return np.abs(got - want) / np.abs(want)


def on_simplex(x):
    """``x`` moved along (1, …, 1) to sum to 1 on its last axis: probabilities whose
    random-direction differences (``jax.test_util.check_grads``) stay in their domain."""
    return x - (x.sum(axis=-1, keepdims=True) - 1.0) / x.shape[-1]


def round_trip(d):
    """``d`` flattened and rebuilt as a pytree: the same type and shapes."""
    import jax

    leaves, tree = jax.tree.flatten(d)
    back = jax.tree.unflatten(tree, leaves)
    assert type(back) is type(d) and back.batch_shape == d.batch_shape and back.event_shape == d.event_shape
    return back


# --------------------------------------------------------------------------- gathering


def family_modules() -> list:
    """Every ``tests/distributions/test_<family>.py`` module, imported, in name order."""
    return [importlib.import_module(f"distributions.{path.stem}") for path in sorted(FAMILY_DIR.glob("test_*.py"))]


def cases(names: Sequence[str] | None = None) -> dict:
    """class → ``Case`` of every family module that has one (or of the modules whose
    support group is in ``names``)."""
    out = {}
    for module in family_modules():
        case = getattr(module, "CASE", None)
        if case is not None and (names is None or getattr(module, "GROUP", None) in names):
            out[module.FAMILY] = case
    return out


def pairs() -> list[Pair]:
    """Every ``Pair`` of the family modules (with the families' scipy equivalents where the
    pair gives none)."""
    out: list[Pair] = []
    scipy_of = {cls: case.scipy for cls, case in cases().items()}
    for module in family_modules():
        for pair in getattr(module, "PAIRS", ()):
            pair.scipy_p = pair.scipy_p or scipy_of[pair.P]
            pair.scipy_q = pair.scipy_q or scipy_of[pair.Q]
            out.append(pair)
    ids = [p.id for p in out]
    assert len(ids) == len(set(ids)), ids
    return out


def domain_points(module) -> list[dict]:
    """Valid parameter points of a family module's class, one per parameterization: the
    module's ``DOMAIN_POINTS``, else its ``CASE`` point (seeded from the family's name); a
    point given by ``probs`` is joined by the same distribution given by ``logits``."""
    points = getattr(module, "DOMAIN_POINTS", None)
    if points is None:
        case = getattr(module, "CASE", None)
        if case is None:
            return []
        points = [case.params(np.random.default_rng(seed(module.FAMILY.__name__, "domain")))]
    out = []
    for point in points:
        out.append(point)
        constraints = module.FAMILY.arg_constraints
        if "probs" in point and "_logits" in constraints and not getattr(module, "DOMAIN_POINTS", None):
            p = np.asarray(point["probs"], np.float64)
            logits = np.log(p) if constraints["_probs"] == "simplex" else np.log(p) - np.log1p(-p)
            out.append({**{k: v for k, v in point.items() if k != "probs"}, "logits": logits})
    return out
