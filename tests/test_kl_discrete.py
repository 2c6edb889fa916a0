"""The checks every closed-form pair with p a discrete family or a point mass takes.

Each pair's value against a high-precision mpmath evaluation of its textbook formula (or of
the direct sum over the support) at the same dtype-rounded inputs, in float32 and float64,
is in the family's module (tests/distributions/test_<family>.py, with the regimes: generic
parameters, nearly identical distributions at relative differences 1e-2 … 1e-6,
probabilities near 0 and 1, logits up to ±80, rates up to 1e5, distant ones; helpers in
tests/discrete_refs.py). Here, over all of them: direct summation of the scipy.stats pmfs;
gradients (check_grads, and finiteness at p = q and at the boundary); KL(p, p) = 0; the
+inf cases; non-negativity; broadcasting, jit/vmap and dispatch.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from discrete_refs import (
    DTYPES,
    KL,
    jit_kl,
)
from jax.test_util import check_grads
from scipy import stats
from tables import on_simplex

from jaxkl.distributions import Bernoulli, Binomial, Categorical, Delta, Geometric, Normal, OneHotCategorical, Poisson

# --------------------------------------------------------------------------- helpers


# ------------------------------------------------------------- mpmath: same family

# ----------------------------------------------------------------- mpmath: cross pairs


# -------------------------------------------------- independent check: scipy summation


def _scipy_sum(P, Q, top=4000):
    ks = np.arange(0, top)
    lp, lq = P.logpmf(ks), Q.logpmf(ks)
    live = lp > -np.inf
    if np.any(lq[live] == -np.inf):
        return np.inf
    return float(np.sum(np.exp(lp[live]) * (lp[live] - lq[live])))


def _generic_pairs(rng):
    p1, p2 = rng.uniform(0.05, 0.95, 2)
    l1, l2 = rng.uniform(0.3, 20.0, 2)
    cp, cq = rng.dirichlet(np.ones(6)), rng.dirichlet(np.ones(6))
    cat = lambda v: stats.rv_discrete(values=(np.arange(6), v))  # noqa: E731
    return [
        (Bernoulli(probs=p1), Bernoulli(logits=np.log(p2 / (1 - p2))), stats.bernoulli(p1), stats.bernoulli(p2)),
        (Binomial(12, probs=p1), Binomial(12, probs=p2), stats.binom(12, p1), stats.binom(12, p2)),
        (Binomial(12, probs=p1), Binomial(9, probs=0.0), stats.binom(12, p1), stats.binom(9, 0.0)),
        (Binomial(12, probs=0.0), Binomial(9, probs=p2), stats.binom(12, 0.0), stats.binom(9, p2)),
        (Binomial(6, probs=1.0), Binomial(9, probs=p2), stats.binom(6, 1.0), stats.binom(9, p2)),
        (Geometric(probs=p1), Geometric(probs=p2), stats.geom(p1, loc=-1), stats.geom(p2, loc=-1)),
        (Poisson(l1), Poisson(l2), stats.poisson(l1), stats.poisson(l2)),
        (Bernoulli(probs=p1), Poisson(l1 / 10), stats.bernoulli(p1), stats.poisson(l1 / 10)),
        (Poisson(l1), Bernoulli(probs=p2), stats.poisson(l1), stats.bernoulli(p2)),
        (Poisson(l1), Binomial(30, probs=p2), stats.poisson(l1), stats.binom(30, p2)),
        (Categorical(probs=cp), Categorical(logits=np.log(cq)), cat(cp), cat(cq)),
        (OneHotCategorical(logits=np.log(cp)), OneHotCategorical(probs=cq), cat(cp), cat(cq)),
        (Delta(3.0), Poisson(l1), stats.rv_discrete(values=([3], [1.0])), stats.poisson(l1)),
        (Delta(2.0), Categorical(probs=cq), stats.rv_discrete(values=([2], [1.0])), cat(cq)),
    ]


def test_against_scipy_summation(rng):
    for _ in range(2):
        for p, q, sp, sq in _generic_pairs(rng):
            ref = _scipy_sum(sp, sq)
            got = float(KL(p, q))
            name = f"{type(p).__name__}‖{type(q).__name__}"
            if np.isinf(ref):
                assert got == np.inf, name
            else:
                np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-14, err_msg=name)


# ---------------------------------------------------------------------------- gradients

# (name, make_p, make_q, params of p, params of q) at interior points, float64.
INTERIOR = [
    ("bernoulli_probs", lambda a: Bernoulli(probs=a), lambda b: Bernoulli(probs=b), 0.3, 0.6),
    ("bernoulli_logits", lambda a: Bernoulli(logits=a), lambda b: Bernoulli(logits=b), -0.4, 1.1),
    ("bernoulli_mixed", lambda a: Bernoulli(probs=a), lambda b: Bernoulli(logits=b), 0.3, 1.1),
    ("binomial", lambda a: Binomial(8, probs=a), lambda b: Binomial(8, logits=b), 0.3, -0.2),
    ("geometric", lambda a: Geometric(probs=a), lambda b: Geometric(probs=b), 0.3, 0.55),
    ("geometric_logits", lambda a: Geometric(logits=a), lambda b: Geometric(logits=b), 0.3, -0.5),
    ("poisson", lambda a: Poisson(a), lambda b: Poisson(b), 2.5, 4.0),
    ("bernoulli_poisson", lambda a: Bernoulli(probs=a), lambda b: Poisson(b), 0.3, 0.7),
    ("bernoulli_logits_poisson", lambda a: Bernoulli(logits=a), lambda b: Poisson(b), 0.3, 2.7),
    ("poisson_bernoulli_zero", lambda a: Poisson(a * 0.0), lambda b: Bernoulli(probs=b), 1.0, 0.4),
    (
        "categorical_probs",
        lambda a: Categorical(probs=on_simplex(a)),  # probabilities stay in their domain
        lambda b: Categorical(probs=on_simplex(b)),
        np.array([0.2, 0.3, 0.5]),
        np.array([0.4, 0.4, 0.2]),
    ),
    (
        "categorical_logits",
        lambda a: Categorical(logits=a),
        lambda b: Categorical(logits=b),
        np.array([0.2, -1.3, 0.5]),
        np.array([1.0, 0.4, -0.2]),
    ),
    (
        "onehot_mixed",
        lambda a: OneHotCategorical(logits=a),
        lambda b: OneHotCategorical(probs=on_simplex(b)),
        np.array([0.2, -1.3, 0.5]),
        np.array([0.4, 0.4, 0.2]),
    ),
    ("delta_normal", lambda a: Delta(a, log_density=0.3), lambda b: Normal(b, 1.5), 0.4, -0.2),
]


GROUPS = {
    "binary": INTERIOR[:6],
    "poisson": INTERIOR[6:10],
    "categorical_delta": INTERIOR[10:],
}


@pytest.mark.parametrize("group", list(GROUPS))
def test_check_grads(group):
    """check_grads (reverse mode, float64) of every pair of the group at once: the output
    stacks one KL per pair, so each pair's gradient is checked along its own cotangent."""
    cases = GROUPS[group]

    def f(xs, ys):
        return jnp.stack([KL(c[1](x), c[2](y)) for c, x, y in zip(cases, xs, ys)])

    xs = tuple(jnp.asarray(c[3]) for c in cases)
    ys = tuple(jnp.asarray(c[4]) for c in cases)
    check_grads(jax.jit(f), (xs, ys), 1, modes=["rev"])


# (make_p, make_q, p params, q params, rows with p = q in the interior): boundary points
# (probabilities 0 and 1, zero categories, −inf logits, zero rates) and p = q.
BOUNDARY = [
    (
        lambda a: Bernoulli(probs=a),
        lambda b: Bernoulli(probs=b),
        [0.0, 1.0, 0.0, 1.0, 0.3, 0.3, 0.7, 1e-30, 0.5],
        [0.4, 0.4, 0.0, 1.0, 0.3, 0.6, 0.7, 1e-30, 0.5],
        [4, 6, 7, 8],
    ),
    (lambda a: Geometric(probs=a), lambda b: Geometric(probs=b), [1.0, 1.0, 0.3, 0.9], [0.4, 1.0, 0.3, 0.9], [2, 3]),
    (
        lambda a: Binomial(5, probs=a),
        lambda b: Binomial(5, probs=b),
        [0.0, 1.0, 0.0, 0.3, 1e-30],
        [0.4, 0.4, 0.0, 0.3, 1e-30],
        [3, 4],
    ),
    (
        lambda a: Bernoulli(logits=a),
        lambda b: Bernoulli(logits=b),
        [-np.inf, np.inf, 0.3, 40.0],
        [0.2, -0.2, 0.3, 40.0],
        [2, 3],
    ),
    (lambda a: Poisson(a), lambda b: Poisson(b), [0.0, 2.0, 1e-30, 1e5], [1.0, 2.0, 1e-30, 1e5], [1, 2, 3]),
    (lambda a: Bernoulli(probs=a), lambda b: Poisson(b), [0.0, 1.0, 0.3, 0.0], [0.5, 0.5, 0.3, 0.0], []),
    (
        lambda a: Categorical(probs=a),
        lambda b: Categorical(probs=b),
        [[0.0, 0.5, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]],
        [1],
    ),
    (
        lambda a: Categorical(logits=a),
        lambda b: Categorical(logits=b),
        [[-np.inf, 0.5, 0.5], [0.2, 0.3, 0.5], [-np.inf, -np.inf, 1.0], [0.0, 0.0, 0.0]],
        [[0.2, 0.3, 0.5], [0.2, 0.3, 0.5], [-np.inf, -np.inf, 1.0], [-np.inf, 0.0, 0.0]],
        [1, 2],
    ),
]


@pytest.mark.parametrize("dtype", DTYPES)
def test_finite_gradients_at_p_equal_q_and_boundaries(dtype):
    """Gradients with respect to both distributions are finite wherever the KL is (and never
    NaN), and vanish where p = q in the interior; one compiled function for all the cases."""

    def f(a_s, b_s):
        out = []
        for (make_p, make_q, *_), a, b in zip(BOUNDARY, a_s, b_s):
            vg = jax.value_and_grad(lambda x, y: KL(make_p(x), make_q(y)), argnums=(0, 1))
            out.append(jax.vmap(vg)(a, b))
        return out

    a_s = [jnp.asarray(np.asarray(c[2], dtype)) for c in BOUNDARY]
    b_s = [jnp.asarray(np.asarray(c[3], dtype)) for c in BOUNDARY]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for (make_p, make_q, a, _, same), (val, (ga, gb)) in zip(BOUNDARY, jax.jit(f)(a_s, b_s)):
        val, ga, gb = np.asarray(val), np.asarray(ga), np.asarray(gb)
        name = f"{type(make_p(jnp.asarray(a[0]))).__name__}‖{type(make_q(jnp.asarray(a[0]))).__name__}"
        axes = tuple(range(1, ga.ndim))
        fin = np.isfinite(val)
        assert np.all(np.isfinite(ga).all(axis=axes)[fin]), (name, ga)
        assert np.all(np.isfinite(gb).all(axis=axes)[fin]), (name, gb)
        assert not np.any(np.isnan(ga)) and not np.any(np.isnan(gb)), name
        np.testing.assert_array_equal(val[same], 0.0, err_msg=name)
        np.testing.assert_allclose(ga[same], 0.0, atol=tol, err_msg=name)
        np.testing.assert_allclose(gb[same], 0.0, atol=tol, err_msg=name)


# --------------------------------------------------------------- values at the boundary


def test_self_kl_is_zero(rng):
    p = rng.uniform(0, 1, 8)
    probs = rng.dirichlet(np.ones(5), 4)
    for d in [
        Bernoulli(probs=p),
        Bernoulli(logits=np.log(p)),
        Binomial(np.arange(8.0), probs=p),
        Geometric(probs=p),
        Poisson(p * 30),
        Categorical(probs=probs),
        Categorical(logits=np.log(probs)),
        OneHotCategorical(probs=probs),
        Delta(p),
    ]:
        np.testing.assert_array_equal(np.asarray(KL(d, d)), 0.0, err_msg=type(d).__name__)


def test_infinite_and_boundary_values():
    inf = np.inf
    got = KL(
        Bernoulli(probs=jnp.array([0.0, 1.0, 0.5, 0.5, 0.0])), Bernoulli(probs=jnp.array([1.0, 0.0, 0.0, 1.0, 0.0]))
    )
    np.testing.assert_array_equal(got, [inf, inf, inf, inf, 0.0])
    got = KL(Bernoulli(logits=jnp.array([-jnp.inf, jnp.inf])), Bernoulli(logits=jnp.array([0.0, 0.0])))
    np.testing.assert_allclose(got, [np.log(2), np.log(2)], rtol=1e-15)
    np.testing.assert_array_equal(KL(Poisson(jnp.array([1.0, 0.0])), Poisson(jnp.array([0.0, 0.0]))), [inf, 0.0])
    np.testing.assert_allclose(KL(Poisson(0.0), Poisson(2.5)), 2.5)
    np.testing.assert_array_equal(KL(Geometric(probs=0.5), Geometric(probs=1.0)), inf)
    np.testing.assert_allclose(KL(Geometric(probs=1.0), Geometric(probs=0.25)), np.log(4.0), rtol=1e-15)
    # Poisson ‖ Bernoulli / Binomial: +inf unless the Poisson is the point mass at 0.
    got = KL(Poisson(jnp.array([0.5, 0.0])), Bernoulli(probs=0.2))
    np.testing.assert_allclose(got, [inf, -np.log(0.8)], rtol=1e-15)
    got = KL(Poisson(jnp.array([0.5, 0.0])), Binomial(7, probs=0.2))
    np.testing.assert_allclose(got, [inf, -7 * np.log(0.8)], rtol=1e-15)
    np.testing.assert_array_equal(KL(Bernoulli(probs=0.3), Poisson(0.0)), inf)
    np.testing.assert_allclose(KL(Bernoulli(probs=0.0), Poisson(0.0)), 0.0)
    # Binomial with more trials in p than in q.
    np.testing.assert_array_equal(KL(Binomial(5, probs=0.3), Binomial(4, probs=0.3)), inf)
    np.testing.assert_array_equal(KL(Binomial(0, probs=0.3), Binomial(0, probs=0.9)), 0.0)
    # Categorical: mass where q has none.
    got = KL(Categorical(probs=jnp.array([0.5, 0.5])), Categorical(logits=jnp.array([0.0, -jnp.inf])))
    assert got == inf
    got = KL(Categorical(logits=jnp.array([0.0, -jnp.inf])), Categorical(probs=jnp.array([0.5, 0.5])))
    np.testing.assert_allclose(got, np.log(2.0), rtol=1e-15)


def test_results_never_negative(rng):
    p = rng.uniform(0, 1, 200)
    q = p * (1 + 1e-7 * rng.standard_normal(200))
    bern = jit_kl(lambda a: Bernoulli(probs=a), lambda b: Bernoulli(probs=b))
    cat = jit_kl(lambda a: Categorical(logits=a), lambda b: Categorical(logits=b))
    for dt in DTYPES:
        assert np.all(np.asarray(bern(p.astype(dt), np.clip(q, 0, 1).astype(dt))) >= 0)
        a = rng.normal(0, 1, (50, 7)).astype(dt)
        assert np.all(np.asarray(cat(a, a + dt(1e-7) * rng.normal(size=a.shape).astype(dt))) >= 0)


# ------------------------------------------------------------------ Binomial counts


# ----------------------------------------------------------- shapes, dtype and dispatch


def test_batch_broadcast_and_dtype():
    p = Categorical(logits=jnp.zeros((4, 1, 3), jnp.float32))
    q = Categorical(probs=jnp.full((5, 3), 1 / 3, jnp.float32))
    out = KL(p, q)
    assert out.shape == (4, 5) and out.dtype == jnp.float32
    out = KL(Bernoulli(probs=jnp.full((3, 1), 0.5, jnp.bfloat16)), Bernoulli(probs=jnp.full((2,), 0.25)))
    assert out.shape == (3, 2)
    out = KL(Bernoulli(probs=jnp.array(0.5, jnp.bfloat16)), Bernoulli(probs=jnp.array(0.25, jnp.bfloat16)))
    assert out.dtype == jnp.float32


def test_dispatch_between_categorical_kinds():
    with pytest.raises(NotImplementedError, match="OneHotCategorical.*Categorical"):
        KL(OneHotCategorical(probs=jnp.ones(3) / 3), Categorical(probs=jnp.ones(3) / 3))


def test_vmap_and_jit_agree(rng):
    p = rng.uniform(0.05, 0.95, 6)
    q = rng.uniform(0.05, 0.95, 6)
    f = lambda a, b: KL(Binomial(9, probs=a), Binomial(9, logits=b))  # noqa: E731
    qb = np.log(q / (1 - q))
    np.testing.assert_allclose(jax.vmap(f)(p, qb), jax.jit(f)(p, qb), rtol=1e-14)
    d = jax.vmap(lambda dp, dq: KL(dp, dq))(Poisson(p * 3), Poisson(q * 3))
    np.testing.assert_allclose(d, KL(Poisson(p * 3), Poisson(q * 3)), rtol=1e-14)


# ---------------------------------------------------------------------------- Delta
