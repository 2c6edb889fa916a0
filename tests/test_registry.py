"""One table over the closed-form registry: every registered pair against an independent
reference (scipy.integrate.quad / summation over the support of the scipy.stats densities),
under jit and vmap, with gradients, self-KL and non-negativity.

The per-family modules (tests/test_kl_*.py) hold the high-precision (mpmath) regimes.
"""

from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tables
from hypothesis import given, settings
from hypothesis import strategies as st
from kits import BATCH, FD_H, NON_DIFF, call_rows, kit, make, split, values_grads
from scipy import integrate

import jaxkl
from jaxkl.distributions import Distribution
from jaxkl.registry import lookup

CASES = tables.cases()  # every family's case (tests/distributions/test_<family>.py)


def _concrete_pairs():
    """Every registered pair with concrete classes; a pair registered for a base class
    (e.g. Delta‖Distribution) is expanded over the concrete classes it serves."""
    out = []
    for P, Q in jaxkl.registered_pairs():
        ps = [P] if P in CASES else [c for c in CASES if issubclass(c, P)]
        qs = [Q] if Q in CASES else [c for c in CASES if issubclass(c, Q)]
        for cp in ps:
            for cq in qs:
                vector_event = any(c.__name__ == "OneHotCategorical" for c in (cp, cq)) and cp is not cq
                if lookup(cp, cq) is lookup(P, Q) and (cp, cq) not in out and not vector_event:
                    out.append((cp, cq))
    return out


ALL_PAIRS = _concrete_pairs()


def _draw(cls, rng, n):
    """n parameter points of ``cls`` stacked along a new leading axis (float64)."""
    pts = [CASES[cls].params(rng) for _ in range(n)]
    return {k: np.stack([np.asarray(pt[k], np.float64) for pt in pts]) for k in pts[0]}, pts


def _logf(dist):
    return getattr(dist, "logpmf", None) or dist.logpdf


def _covered(P, pp, Q, qp) -> bool:
    """Whether q's density is positive on (a fine probe of) p's support."""
    sp, sq = CASES[P].scipy(**pp), CASES[Q].scipy(**qp)
    lo, hi = sp.support()
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if CASES[P].discrete:
            top = hi if np.isfinite(hi) else np.ceil(sp.mean() + 60 * sp.std() + 60)
            ks = np.arange(lo, top + 1)
            live = np.asarray(_logf(sp)(ks)) > -np.inf
            return not np.any(np.asarray(_logf(sq)(ks))[live] == -np.inf)
        probe = sp.ppf(np.linspace(1e-9, 1 - 1e-9, 401)) if hasattr(sp, "ppf") else np.linspace(lo, hi, 403)[1:-1]
        return not np.any(np.asarray(_logf(sq)(probe)) == -np.inf)


def reference_kl(P, pp, Q, qp) -> float:
    """E_p[log p(x) − log q(x)] from the scipy.stats densities (quadrature or summation)."""
    if not _covered(P, pp, Q, qp):
        return math.inf
    sp, sq = CASES[P].scipy(**pp), CASES[Q].scipy(**qp)
    lp_f, lq_f = _logf(sp), _logf(sq)
    lo, hi = sp.support()
    if CASES[P].discrete:
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            top = hi if np.isfinite(hi) else np.ceil(sp.mean() + 60 * sp.std() + 60)
            ks = np.arange(lo, top + 1)
            lp = np.asarray(lp_f(ks), float)
            lq = np.asarray(lq_f(ks), float)
        live = lp > -np.inf
        if np.any(lq[live] == -np.inf):
            return math.inf
        return float(np.sum(np.exp(lp[live]) * (lp[live] - lq[live])))
    if hasattr(sp, "ppf"):
        probe = sp.ppf(np.linspace(1e-9, 1 - 1e-9, 401))
    else:  # a stand-in on a finite interval
        probe = np.linspace(lo, hi, 403)[1:-1]
    if np.any(np.asarray(lq_f(probe)) == -np.inf):
        return math.inf

    def g(x):
        lp = lp_f(x)
        return 0.0 if lp == -np.inf else lp - lq_f(x)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(sp, "ppf"):
            # E_p[log p − log q] = ∫_0^1 (log p − log q)(F_p⁻¹(u)) du: heavy tails become
            # integrable endpoint singularities; q's kink (its median) is a break point.
            points = [float(sp.cdf(sq.median()))] if hasattr(sq, "median") else None
            points = [u for u in (points or []) if 1e-12 < u < 1 - 1e-12] or None
            return integrate.quad(
                lambda u: g(sp.ppf(u)), 0.0, 1.0, points=points, limit=400, epsabs=1e-14, epsrel=1e-11
            )[0]

        def f(x):
            lp = lp_f(x)
            return 0.0 if lp == -np.inf else math.exp(lp) * (lp - lq_f(x))

        edges = np.linspace(lo, hi, 9)
        return sum(
            integrate.quad(f, a, b, limit=400, epsabs=1e-15, epsrel=1e-11)[0] for a, b in zip(edges[:-1], edges[1:])
        )


def _generic_point_covered(P, Q) -> bool:
    rng = np.random.default_rng(0)
    return _covered(P, CASES[P].params(rng), Q, CASES[Q].params(rng))


# Pairs whose generic points are finite get the full treatment; the others (p puts mass
# outside q's support) are checked to be +inf with zero gradients against the same support test.
PAIRS = [pq for pq in ALL_PAIRS if _generic_point_covered(*pq)]
IDS = [f"{p.__name__}-{q.__name__}" for p, q in PAIRS]
INF_PAIRS = [pq for pq in ALL_PAIRS if pq not in PAIRS]
INF_IDS = [f"{p.__name__}-{q.__name__}" for p, q in INF_PAIRS]


@pytest.mark.parametrize("P,Q", PAIRS, ids=IDS)
def test_value_jit_vmap(P, Q, rng):
    """Batched, jitted values equal the quadrature/summation reference (on the first three
    points) and vmap over the parameters gives the same values."""
    pb, pts_p = _draw(P, rng, BATCH)
    qb, pts_q = _draw(Q, rng, BATCH)
    ref = np.array([reference_kl(P, a, Q, b) for a, b in zip(pts_p[:3], pts_q[:3])])
    got, vm, _ = kit(P, Q)(pb, qb)
    assert got.shape == (BATCH,)
    got3 = got[:3]
    np.testing.assert_array_equal(np.isinf(got3), np.isinf(ref), err_msg=f"inf pattern {got3} vs {ref}")
    fin = np.isfinite(ref)
    np.testing.assert_allclose(got3[fin], ref[fin], rtol=2e-7, atol=1e-12)
    np.testing.assert_allclose(vm, got, rtol=1e-12)
    if _nonnegative(P, Q):
        assert np.all(got >= 0)


def _nonnegative(P, Q) -> bool:
    """Every pair is a KL ≥ 0, except a point mass against a density (−log q(v), any sign)."""
    return not (P.__name__ == "Delta" and not CASES[Q].discrete)


@pytest.mark.parametrize("P,Q", INF_PAIRS, ids=INF_IDS)
def test_infinite_pairs(P, Q, rng):
    """Where p has mass outside q's support: +inf, batched, with zero (not NaN) gradients."""
    pb, pts_p = _draw(P, rng, 2)
    qb, pts_q = _draw(Q, rng, 2)
    covered = [_covered(P, a, Q, b) for a, b in zip(pts_p, pts_q)]
    got = np.asarray(jaxkl.kl_divergence(make(P, pb), make(Q, qb)))
    assert got.shape == (2,)
    np.testing.assert_array_equal(np.isinf(got), np.logical_not(covered))
    dp, fp = split(pts_p[0])
    dq, fq = split(pts_q[0])
    if not covered[0]:
        g = jax.grad(lambda a, b: jaxkl.kl_divergence(make(P, {**a, **fp}), make(Q, {**b, **fq})), argnums=(0, 1))(
            dp, dq
        )
        for leaf in jax.tree.leaves(g):
            assert np.all(np.asarray(leaf) == 0.0), (P, Q, g)


def _directions(cls, name: str, shape: tuple) -> list:
    """The directions of the finite differences of parameter ``name``: the unit vectors, or
    for a probability vector e_i − e_(i+1) along its last axis (a step that stays a
    probability vector: its domain)."""
    units = []
    for i in np.ndindex(shape):
        u = np.zeros(shape)
        u[i] = 1.0
        units.append(u)
    if cls.arg_constraints.get("_" + name) != "simplex":
        return units
    return [u - np.roll(u, 1, axis=-1) for u, i in zip(units, np.ndindex(shape)) if i[-1] < shape[-1] - 1]


@pytest.mark.parametrize("P,Q", PAIRS, ids=IDS)
def test_gradients(P, Q, rng):
    """The gradient with respect to every parameter entry of both, at an interior point,
    against central differences of the value (float64), from the module's compiled batch:
    the point and its difference stencil x ± h·max(1, |x_i|)·u (``_directions``), ``BATCH`` rows per call."""
    point = {"p": CASES[P].params(rng), "q": CASES[Q].params(rng)}
    while not _covered(P, point["p"], Q, point["q"]):  # an interior point of the finite region
        point = {"p": CASES[P].params(rng), "q": CASES[Q].params(rng)}
    classes = {"p": P, "q": Q}
    # (side, parameter, direction): unit steps, and along the simplex (e_i − e_(i+1), the sum
    # kept) for probability vectors, whose domain a unit step leaves
    entries = [
        (side, k, u)
        for side in ("p", "q")
        for k, v in point[side].items()
        if k not in NON_DIFF
        for u in _directions(classes[side], k, np.shape(v))
    ]
    rows, steps = [point], []
    for side, k, u in entries:
        x = np.array(point[side][k], np.float64)
        h = FD_H * max(1.0, float(np.max(np.abs(x[u != 0]))))
        steps.append(h)
        for sgn in (1.0, -1.0):
            rows.append({**point, side: {**point[side], k: x + sgn * h * u}})
    stacked = [
        {k: np.stack([np.asarray(r[side][k], np.float64) for r in rows]) for k in point[side]} for side in ("p", "q")
    ]
    vals, _, grads = call_rows(P, Q, *stacked)
    assert np.isfinite(vals[0])
    analytic = np.array([np.sum(np.asarray(grads[0 if side == "p" else 1][k][0]) * u) for side, k, u in entries])
    assert np.all(np.isfinite(analytic)), analytic
    # A step that leaves q's support (Delta's point, Pareto's scale) makes the KL infinite:
    # no central difference there.
    plus, minus = vals[1 : 1 + 2 * len(steps) : 2], vals[2 : 2 + 2 * len(steps) : 2]
    smooth = np.isfinite(plus) & np.isfinite(minus)
    if not smooth.any():  # Delta‖Delta: every step leaves q's support; the gradient is 0 there
        assert P.__name__ == Q.__name__ == "Delta", (P, Q, vals)
        np.testing.assert_array_equal(analytic, 0.0)
        return
    numeric = (np.where(smooth, plus, 0.0) - np.where(smooth, minus, 0.0)) / (2.0 * np.asarray(steps))
    np.testing.assert_allclose(analytic[smooth], numeric[smooth], rtol=1e-5, atol=1e-6 * max(1.0, abs(float(vals[0]))))


SAME = [(P, Q) for P, Q in PAIRS if P is Q]


@pytest.mark.parametrize("P", [p for p, _ in SAME], ids=[p.__name__ for p, _ in SAME])
def test_self_kl_zero_and_finite_gradient(P, rng):
    pb, _ = _draw(P, rng, BATCH)
    # Where p = q sits on the edge of q's support (Uniform's interval, Pareto's scale) the
    # KL is not differentiable there: its one-sided gradient is finite but not zero.
    smooth = P.__name__ not in ("Uniform", "Pareto")
    for dt in (np.float32, np.float64):
        val, _, g = kit(P, P, dt)(pb, pb)
        if dt == np.float64:
            assert np.all(np.abs(val) <= 1e-14), val
        for leaf in jax.tree.leaves(g):
            assert np.all(np.isfinite(leaf)), (P, dt, g)
            if smooth:
                np.testing.assert_allclose(np.asarray(leaf, np.float64), 0.0, atol=1e-5 if dt == np.float32 else 1e-10)


@pytest.mark.parametrize("P,Q", PAIRS, ids=IDS)
@settings(max_examples=3, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**32 - 1), rel=st.floats(1e-7, 1e-1))
def test_non_negative(P, Q, seed, rel):
    """KL ≥ 0 in float32 and float64 on random parameters, including near-identical pairs."""
    rng = np.random.default_rng(seed)
    pb, _ = _draw(P, rng, BATCH)
    if P is Q:
        qb = {
            k: (v * (1 + rel * rng.uniform(-1, 1, v.shape)) if v.ndim == 1 and k not in NON_DIFF else v)
            for k, v in pb.items()
        }
    else:
        qb, _ = _draw(Q, rng, BATCH)
    for dt in (np.float32, np.float64):
        out = kit(P, Q, dt, grads=values_grads(P, Q, dt))(pb, qb)[0]  # the kits of the other tests
        assert not np.any(np.isnan(out)), (P, Q, dt, out)
        if _nonnegative(P, Q):
            assert np.all(out >= 0), (P, Q, dt, out)


def test_unregistered_pair_error():
    class Odd(Distribution):
        _params = ("x",)

        def __init__(self, x):
            self._set(x=jnp.asarray(x, float))

    with pytest.raises(NotImplementedError, match=r"Odd.*Odd.*monte_carlo_kl.*quadrature_kl"):
        jaxkl.kl_divergence(Odd(1.0), Odd(2.0))


# The pairs the closed-form table must cover (by class name): same family, torch's cross
# pairs, and those torch lacks.
REQUIRED = """
Normal Normal; Laplace Laplace; Cauchy Cauchy; Gumbel Gumbel; LogNormal LogNormal; HalfNormal HalfNormal;
HalfCauchy HalfCauchy; Exponential Exponential; Gamma Gamma; Chi2 Chi2; InverseGamma InverseGamma;
Beta Beta; Uniform Uniform; Pareto Pareto; Weibull Weibull; ContinuousBernoulli ContinuousBernoulli;
VonMises VonMises; Bernoulli Bernoulli; Categorical Categorical; OneHotCategorical OneHotCategorical;
Binomial Binomial; Geometric Geometric; Poisson Poisson;
Bernoulli Poisson; Beta ContinuousBernoulli; Beta Exponential; Beta Gamma; Beta Normal; Beta Uniform;
ContinuousBernoulli Exponential; ContinuousBernoulli Normal; ContinuousBernoulli Uniform;
Exponential Gamma; Exponential Gumbel; Exponential Normal; Gamma Exponential; Gamma Gumbel; Gamma Normal;
Gumbel Normal; Laplace Normal; Normal Gumbel; Normal Laplace; Pareto Exponential; Pareto Gamma; Pareto Normal;
Uniform Beta; Uniform ContinuousBernoulli; Uniform Exponential; Uniform Gamma; Uniform Gumbel; Uniform Normal;
Uniform Pareto; Normal Gamma; Poisson Binomial;
Chi2 Gamma; Gamma Chi2; Weibull Gamma; Kumaraswamy Beta; Delta Normal; Delta Delta
"""


def test_registered_pairs_cover_the_table():
    names = {(p.__name__, q.__name__) for p, q in jaxkl.registered_pairs()}
    required = [tuple(s.split()) for s in REQUIRED.replace("\n", " ").split(";") if s.strip()]
    by_name = {c.__name__: c for c in CASES}
    missing = []
    for p, q in required:
        listed = (p, q) in names or any(
            (pp.__name__, qq.__name__) in names
            for pp in by_name[p].__mro__
            for qq in by_name[q].__mro__
            if (pp.__name__, qq.__name__) == (p, q) or (pp.__name__ == p and qq.__name__ == "Distribution")
        )
        if not listed:
            missing.append(f"{p}‖{q}")
    assert not missing, f"not in registered_pairs(): {missing}"
    for p, q in required:  # and each dispatches to a formula
        assert lookup(by_name[p], by_name[q]) is not None, (p, q)


# --------------------------------------------------------------- register_kl's options


@pytest.fixture
def user_family():
    """A user's family registered for the test only (the registry is restored afterwards)."""
    from jaxkl import registry

    class Point(Distribution):
        _params = ("x",)

        def __init__(self, x):
            self._set(x=jnp.asarray(x, float))

    saved = dict(registry._REGISTRY)
    yield Point
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved)
    registry.lookup.cache_clear()


def test_user_pair_runs_as_written_by_default(user_family):
    seen = []

    @jaxkl.register_kl(user_family, user_family)
    def _kl(p, q):
        seen.append(isinstance(p.x, jax.core.Tracer))
        if not seen[-1] and np.any(np.asarray(p.x) < 0):  # an eager check on concrete values
            raise ValueError("negative x")
        return (p.x - q.x) ** 2

    assert float(jaxkl.kl_divergence(user_family(3.0), user_family(1.0))) == 4.0
    with pytest.raises(ValueError, match="negative x"):
        jaxkl.kl_divergence(user_family(-3.0), user_family(1.0))
    assert seen == [False, False]
    out = jax.jit(jaxkl.kl_divergence)(user_family(3.0), user_family(1.0))  # traceable inside the caller's jit
    assert seen[-1] is True and float(out) == 4.0


def test_user_pair_with_jit_compiles_once_per_shape(user_family):
    traced = []

    @jaxkl.register_kl(user_family, user_family, jit=True)
    def _kl(p, q):
        traced.append(isinstance(p.x, jax.core.Tracer))
        return (p.x - q.x) ** 2

    for x in (3.0, 5.0, 7.0):
        assert float(jaxkl.kl_divergence(user_family(x), user_family(1.0))) == (x - 1.0) ** 2
    assert traced == [True]  # traced once, for the first call; the others reuse the program
    np.testing.assert_array_equal(jaxkl.kl_divergence(user_family([1.0, 2.0]), user_family(0.0)), [1.0, 4.0])
    assert traced == [True, True]  # a new shape: traced again


@pytest.mark.parametrize("jit", [False, True])
def test_cpu_chunked_pair_gives_the_same_values(user_family, jit):
    shapes = []

    def formula(p, q):
        shapes.append(jnp.shape(p.x))
        return jnp.log1p((p.x - q.x) ** 2) * jnp.exp(-q.x)

    jaxkl.register_kl(user_family, user_family, jit=jit, cpu_chunked=True)(formula)
    rng = np.random.default_rng(7)
    n = 4 * 16384 + 5  # at least 4 chunks, and a partial last chunk
    x, y = rng.normal(size=n), rng.normal(size=n)
    got = np.asarray(jaxkl.kl_divergence(user_family(x), user_family(y)))
    want = np.log1p((x - y) ** 2) * np.exp(-y)
    np.testing.assert_allclose(got, want, rtol=1e-5 if got.dtype == np.float32 else 1e-13)
    if jax.default_backend() == "cpu":
        assert (16384,) in shapes  # evaluated a chunk at a time
    small = np.asarray(jaxkl.kl_divergence(user_family(x[:10]), user_family(y[:10])))
    assert shapes[-1] == (10,)  # a small batch runs whole
    np.testing.assert_allclose(small, want[:10], rtol=1e-5 if small.dtype == np.float32 else 1e-13)


# ------------------------------------------------------------------------- supports


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.__name__)
def test_support_is_declared_and_matches_scipy(cls, rng):
    """Every family of the table declares its support: discrete for the discrete ones; for
    the continuous ones the ends scipy.stats gives (angles in [−π, π) on the circle, where
    scipy.stats.vonmises reports the whole real line)."""
    pp, _ = _draw(cls, rng, 3)
    support = make(cls, pp, np.float64).support
    assert support is not None
    kind, low, high = support
    lo, hi = CASES[cls].scipy(**{k: v[0] for k, v in pp.items()}).support()
    if CASES[cls].discrete:
        assert kind == "discrete"
        assert np.all(np.asarray(low) <= lo) and np.all(np.asarray(high) >= hi)  # ends where declared
    elif kind == "circle":
        np.testing.assert_allclose([low, high], [-math.pi, math.pi])
    else:
        assert kind in ("real", "lower", "interval")
        assert (kind == "real") == (lo == -np.inf) and (kind == "interval") == (hi < np.inf)
        np.testing.assert_allclose(np.broadcast_to(low, (3,))[0], lo, rtol=1e-15)
        np.testing.assert_allclose(np.broadcast_to(high, (3,))[0], hi, rtol=1e-15)


def test_a_users_family_with_a_support_is_integrated_by_quadrature():
    """quadrature_kl reads only ``support``, ``log_prob`` and the moments (the default centre):
    a user's Normal equals the closed form log(σq/σp) + (σp² + (μp − μq)²)/(2σq²) − ½."""
    from jaxkl.distributions import Support

    class MyNormal(Distribution):
        _params = ("loc", "scale")
        support = Support("real")

        def __init__(self, loc, scale):
            self._set(loc=jnp.asarray(loc, float), scale=jnp.asarray(scale, float))

        def log_prob(self, x):
            z = (x - self.loc) / self.scale
            return -0.5 * z * z - jnp.log(self.scale) - 0.5 * math.log(2 * math.pi)

        @property
        def mean(self):
            return jnp.broadcast_to(self.loc, self.batch_shape)

        @property
        def variance(self):
            return jnp.broadcast_to(self.scale**2, self.batch_shape)

    with jax.enable_x64(True):
        got = float(jaxkl.quadrature_kl(MyNormal(0.3, 1.2), MyNormal(-0.5, 2.0)))
    want = math.log(2.0 / 1.2) + (1.2**2 + 0.8**2) / (2 * 2.0**2) - 0.5
    assert abs(got - want) <= 1e-10 * want


# ------------------------------------------------------ a family declared by its fields


def test_a_family_declared_by_annotations_gets_fields_constructor_and_pytree():
    from jaxkl.distributions._base import Static

    class Shifted(Distribution):
        loc: jax.Array
        scale: jax.Array
        order: Static[int]
        arg_constraints = {"scale": "positive"}

    class Narrow(Shifted):  # own fields replace the base's
        scale: jax.Array

    assert Shifted._params == ("loc", "scale") and Shifted._static == ("order",)
    assert Narrow._params == ("scale",) and Narrow._static == ("order",)
    d = Shifted(np.array([0.0, 1.0], np.float32), scale=2.0, order=3)  # a Python number takes the array's dtype
    assert d.loc.dtype == d.scale.dtype == jnp.float32 and d.order == 3 and d.batch_shape == (2,)
    leaves, tree = jax.tree.flatten(d)
    assert [np.asarray(v).tolist() for v in leaves] == [[0.0, 1.0], 2.0]
    e = jax.tree.unflatten(tree, [v + 1 for v in leaves])
    assert type(e) is Shifted and e.order == 3 and float(e.scale) == 3.0
    np.testing.assert_array_equal(jax.jit(lambda d: d.loc * d.scale)(d), [0.0, 2.0])
    assert Narrow(1.5, order=0).scale.shape == ()
    with pytest.raises(TypeError, match=r"takes 3 fields"):
        Shifted(0.0, 1.0, 2, 3)
    with pytest.raises(TypeError, match="unexpected argument `width`"):
        Shifted(0.0, 1.0, width=2)
    with pytest.raises(TypeError, match="two values for `loc`"):
        Shifted(0.0, 1.0, 2, loc=1.0)
    with pytest.raises(TypeError, match="missing `scale`, `order`"):
        Shifted(0.0)
    with pytest.raises(TypeError, match="`scale` must be numeric"):
        Shifted(0.0, "wide", 1)
    with pytest.raises(ValueError, match="scale"):
        Shifted(0.0, -1.0, 1, validate_args=True)
    with pytest.raises(AttributeError, match="immutable"):
        d.loc = 1.0
