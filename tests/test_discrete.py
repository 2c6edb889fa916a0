"""kl, cross_entropy, js_divergence and entropy against scipy and mpmath."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.spatial.distance as ssd
import scipy.special as sp
import scipy.stats as ss
from conftest import random_probs
from jax.test_util import check_grads

import jaxkl

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)

DTYPES = [np.float32, np.float64]
IDS = ["float32", "float64"]
SHAPES = [((5,), (5,)), ((3, 6), (3, 6)), ((2, 1, 4), (3, 4)), ((4, 7), (7,))]


def _tol(dtype):
    return 2e-5 if dtype == np.float32 else 1e-12


def _ref_kl(p, q):
    return sp.rel_entr(p.astype(np.float64), q.astype(np.float64)).sum(-1)


def _ref_ce(p, q):
    with np.errstate(divide="ignore"):
        return -sp.xlogy(p.astype(np.float64), q.astype(np.float64)).sum(-1)


def _ref_js(p, q):
    p, q = p.astype(np.float64), q.astype(np.float64)
    m = 0.5 * (p + q)
    return 0.5 * sp.rel_entr(p, m).sum(-1) + 0.5 * sp.rel_entr(q, m).sum(-1)


def test_js_matches_scipy_jensenshannon(rng):
    p = random_probs(rng, (5, 9), np.float64, zeros=0.3)
    q = random_probs(rng, (5, 9), np.float64, zeros=0.3)
    np.testing.assert_allclose(jaxkl.js_divergence(p, q), ssd.jensenshannon(p, q, axis=-1) ** 2, rtol=1e-12)
    np.testing.assert_allclose(
        jaxkl.js_divergence(p, q, base=2), ssd.jensenshannon(p, q, axis=-1, base=2) ** 2, rtol=1e-12
    )
    # Weighted: beta KL(p||m) + (1 - beta) KL(q||m), m = beta p + (1 - beta) q; 0 at beta in {0, 1}.
    m = 0.3 * p + 0.7 * q
    ref = 0.3 * sp.rel_entr(p, m).sum(-1) + 0.7 * sp.rel_entr(q, m).sum(-1)
    np.testing.assert_allclose(jaxkl.js_divergence(p, q, beta=0.3), ref, rtol=1e-12)
    np.testing.assert_array_equal(jaxkl.js_divergence(p, q, beta=0.0), 0.0)
    np.testing.assert_array_equal(jaxkl.js_divergence(p, q, beta=1.0), 0.0)
    with pytest.raises(ValueError, match="`beta` must lie in"):
        jaxkl.js_divergence(p, q, beta=1.5)


REFS = {"kl": _ref_kl, "cross_entropy": _ref_ce, "js_divergence": _ref_js}


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=IDS)
@pytest.mark.parametrize("name", list(REFS))
def test_table_against_scipy(name, dtype, shapes, rng):
    p = random_probs(rng, shapes[0], dtype, zeros=0.2)
    q = random_probs(rng, shapes[1], dtype)
    f = getattr(jaxkl, name)
    out = jax.jit(f)(p, q)
    pb, qb = np.broadcast_arrays(p, q)
    assert out.dtype == dtype and out.shape == pb.shape[:-1]
    np.testing.assert_allclose(out, REFS[name](pb, qb), rtol=_tol(dtype), atol=_tol(dtype) * 1e-3)
    np.testing.assert_allclose(f(p, q), out, rtol=_tol(dtype))  # eager == jit
    if dtype == np.float64:
        pi = random_probs(rng, shapes[0], dtype)  # interior: no zeros
        check_grads(lambda a, b: f(a, b), (pi, q), order=1, modes=["fwd", "rev"], eps=1e-6)


@pytest.mark.parametrize("name", list(REFS))
def test_axis_keepdims_base(name, rng):
    p = random_probs(rng, (4, 6), np.float64).T  # event on axis 0
    q = random_probs(rng, (4, 6), np.float64).T
    f = getattr(jaxkl, name)
    nats = f(p, q, axis=0)
    np.testing.assert_allclose(nats, REFS[name](p.T, q.T), rtol=1e-12)
    assert f(p, q, axis=0, keepdims=True).shape == (1, 4)
    np.testing.assert_allclose(f(p, q, axis=0, base=2), nats / np.log(2), rtol=1e-12)


def test_kl_special_entries_follow_rel_entr():
    p = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.5, 0.0, 0.5], [0.25, 0.25, 0.5], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(np.isinf(jaxkl.kl(p, q)), [True, False, False])
    np.testing.assert_allclose(jaxkl.kl(p, q), sp.rel_entr(p, q).sum(-1))
    assert np.isnan(jaxkl.kl([np.nan, 1.0], [0.5, 0.5]))


@pytest.mark.parametrize("rel", [1e-3, 1e-5, 1e-7])
def test_kl_near_p_equals_q_against_mpmath(rel, rng):
    p = random_probs(rng, (64,), np.float64)
    q = p * (1 + rel * rng.standard_normal(64))
    q /= q.sum()
    with mpmath.workdps(50):
        exact = float(sum(mpmath.mpf(a) * mpmath.log(mpmath.mpf(a) / mpmath.mpf(b)) for a, b in zip(p, q)))
    ours = float(jaxkl.kl(p, q))
    naive = float(np.sum(p * (np.log(p) - np.log(q))))
    assert abs(ours - exact) <= 1e-9 * abs(exact)
    # The same inputs through the textbook formula lose far more (sanity of the test).
    assert abs(naive - exact) > 10 * abs(ours - exact)


def test_where_masks_entries_and_their_gradients(rng):
    p = random_probs(rng, (3, 5), np.float64)
    q = random_probs(rng, (3, 5), np.float64)
    mask = np.array([True, True, False, True, False])
    for name in REFS:
        f = getattr(jaxkl, name)
        # The reference sees only the kept entries; no renormalization on either side.
        np.testing.assert_allclose(f(p, q, where=mask), REFS[name](p[:, mask], q[:, mask]), rtol=1e-12)
        gp, gq = jax.grad(lambda a, b: jnp.sum(f(a, b, where=mask)), argnums=(0, 1))(p, q)
        assert np.all(np.asarray(gp)[:, ~mask] == 0) and np.all(np.asarray(gq)[:, ~mask] == 0)


@pytest.mark.parametrize("name", list(REFS))
def test_gradients_finite_at_zeros_and_at_p_equals_q(name, rng):
    f = getattr(jaxkl, name)
    p = np.array([0.0, 0.25, 0.75, 0.0])
    q = np.array([0.0, 0.5, 0.5, 0.0])
    for a, b in [(p, q), (q, q), (p, p)]:
        g = jax.grad(lambda a, b: f(a, b), argnums=(0, 1))(a, b)
        assert all(np.all(np.isfinite(np.asarray(x))) for x in g), (name, a, b, g)
    if name == "kl":
        gp, gq = jax.grad(lambda a, b: f(a, b), argnums=(0, 1))(q, q)
        np.testing.assert_allclose(gp, [0, 1, 1, 0])  # log(p/q) + 1, 0 where p = 0
        np.testing.assert_allclose(gq, [0, -1, -1, 0])  # -p/q


def test_vmap_equals_batched(rng):
    p = random_probs(rng, (6, 5), np.float32, zeros=0.2)
    q = random_probs(rng, (6, 5), np.float32)
    for name in REFS:
        f = getattr(jaxkl, name)
        np.testing.assert_allclose(jax.vmap(f)(p, q), f(p, q), rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(jaxkl.entropy)(p), jaxkl.entropy(p, axis=-1), rtol=1e-6)


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16], ids=["bfloat16", "float16"])
def test_half_inputs_compute_in_float32(dtype, rng):
    p = jnp.asarray(random_probs(rng, (4, 8), np.float32), dtype)
    q = jnp.asarray(random_probs(rng, (4, 8), np.float32), dtype)
    for name in REFS:
        out = getattr(jaxkl, name)(p, q)
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, REFS[name](np.float32(p), np.float32(q)), rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize("name", list(REFS))
def test_event_size_mismatch_names_both_shapes(name):
    f = getattr(jaxkl, name)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        f(np.ones((3, 4)) / 4, np.ones((3, 5)) / 5)
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(3, 5\)"):
        jax.jit(f)(np.ones((3, 4)) / 4, np.ones((3, 5)) / 5)
    with pytest.raises(ValueError, match=r"\(4,\).*\(1,\)"):
        f(np.ones(4) / 4, np.ones(1))  # size 1 is not broadcast along the event


@pytest.mark.parametrize("name", list(REFS))
def test_bad_base_complex_and_integer_input(name):
    f = getattr(jaxkl, name)
    p = np.array([0.5, 0.5])
    with pytest.raises(ValueError, match="`base` must be a positive number"):
        f(p, p, base=-2)
    with pytest.raises(ValueError, match="`base` must be a positive number"):
        f(p, p, base=0)
    with pytest.raises(TypeError, match="`q` must be real"):
        f(p, p.astype(complex))
    out = f(np.array([1, 0]), np.array([1, 0]))  # integers promote to the default float
    assert out.dtype == jnp.result_type(float) and float(out) == 0.0


@pytest.mark.parametrize("name", list(REFS))
def test_validation_rejects_invalid_probabilities(name):
    f = getattr(jaxkl, name)
    good = np.array([0.25, 0.75])
    for bad in (np.array([0.5, 0.6]), np.array([-0.25, 1.25]), np.array([np.nan, 1.0])):
        with pytest.raises(ValueError, match="`p` is not a probability vector"):
            f(bad, good, validate=True)
        with pytest.raises(ValueError, match="`q` is not a probability vector"):
            f(good, bad, validate=True)
        with pytest.raises(jax.errors.JaxRuntimeError, match="`p` is not a probability vector"):
            jax.block_until_ready(jax.jit(lambda a, b: f(a, b, validate=True))(bad, good))
    np.testing.assert_allclose(f(good, good[::-1], validate=True), f(good, good[::-1]))
    # Masked entries are ignored by the check.
    f(np.array([0.25, 0.75, 9.0]), np.array([0.5, 0.5, 9.0]), where=np.array([True, True, False]), validate=True)


# --------------------------------------------------------------------------- entropy

ENTROPY_CASES = [
    ((6,), None, {}),
    ((6,), (6,), {}),
    ((4, 3), None, {"axis": 1}),
    ((4, 3), (4, 3), {"axis": -1, "base": 2}),
    ((4, 3), (1, 3), {"axis": 0}),
    ((2, 3, 4), (2, 3, 4), {"axis": None}),
    ((2, 3, 4), (1,), {"axis": None}),
    ((2, 3), (2, 3), {"axis": None, "keepdims": True}),
    ((3, 5), None, {"base": 10, "keepdims": True}),
]


@pytest.mark.parametrize("case", ENTROPY_CASES, ids=str)
def test_entropy_is_a_drop_in_for_scipy(case, rng):
    pshape, qshape, kw = case
    pk = rng.uniform(0, 3, pshape)
    pk.flat[0] = 0.0
    qk = None if qshape is None else rng.uniform(0.1, 3, qshape)
    ref = ss.entropy(pk, qk, **kw)
    ours = jaxkl.entropy(pk, qk, **kw)
    assert np.shape(ours) == np.shape(ref)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    np.testing.assert_allclose(jax.jit(lambda a, b: jaxkl.entropy(a, b, **kw))(pk, qk), ref, rtol=1e-12)


def test_entropy_worked_example_and_errors():
    P, Q = [1 / 6] * 6, [0.4, 0.1, 0.1, 0.1, 0.1, 0.2]
    assert abs(float(jaxkl.entropy(P, Q)) - 0.1642520334860181) < 1e-15
    for a, b, kw in [((2, 3), (3, 2), {}), ((2, 3, 4), (3, 4), {"axis": None})]:
        with pytest.raises(ValueError, match="Array shapes are incompatible for broadcasting."):
            ss.entropy(np.ones(a), np.ones(b), **kw)
        with pytest.raises(ValueError, match="Array shapes are incompatible for broadcasting."):
            jaxkl.entropy(np.ones(a), np.ones(b), **kw)
    with pytest.raises(ValueError, match="`base` must be a positive number or `None`."):
        jaxkl.entropy([1, 2], base=-1)
    for p, q in [([1, 2], [0, 1]), ([0, 0], None), ([1, -1, 2], None), ([1, 0], [0, 0])]:
        with np.errstate(all="ignore"):
            np.testing.assert_array_equal(jaxkl.entropy(p, q), ss.entropy(p, q))


def test_entropy_gradient_finite_with_zero_entries():
    g = jax.grad(lambda p: jaxkl.entropy(p))(jnp.array([0.0, 1.0, 3.0]))
    assert np.all(np.isfinite(np.asarray(g)))
    check_grads(lambda p, q: jaxkl.entropy(p, q), (np.array([0.2, 1.0, 3.0]), np.array([1.0, 2.0, 1.0])), order=1)


def test_kl_large_rows_value_and_gradient(rng):
    """[64, 32768]: the size at which, on XLA:CPU before jaxlib 0.10, kl sums over blocks of
    rows (one loop in the program) instead of one reduction; values against float64 NumPy,
    the gradient against its formula (log(p/q) + 1, −p/q), keepdims, and float32 near p = q."""
    from jaxkl import discrete

    p = random_probs(rng, (64, 32768))
    q = random_probs(rng, (64, 32768))
    want = np.sum(p * np.log(p / q), axis=-1)
    f = jax.jit(jax.value_and_grad(lambda p, q: jnp.sum(jaxkl.kl(p, q, keepdims=True)), argnums=(0, 1)))
    val, (gp, gq) = f(jnp.asarray(p), jnp.asarray(q))
    np.testing.assert_allclose(float(val), want.sum(), rtol=1e-12)
    # log(p/q) is computed as log1p((p − q)/q): exact near p = q, ~eps·q/p absolute for p ≪ q.
    err = np.abs(np.asarray(gp) - (np.log(p / q) + 1.0))
    assert np.all(err <= 1e-12 * np.abs(np.log(p / q) + 1.0) + 4 * np.finfo(float).eps * (1.0 + q / p)), err.max()
    np.testing.assert_allclose(np.asarray(gq), -p / q, rtol=1e-12)
    q_near = (p * (1.0 + 1e-4 * rng.standard_normal(p.shape))).astype(np.float32)
    p32 = p.astype(np.float32)
    got = np.asarray(jax.jit(jaxkl.kl)(p32, q_near))
    p64, q64 = p32.astype(np.float64), q_near.astype(np.float64)
    ref = np.sum(p64 * np.log1p((p64 - q64) / q64), axis=-1)
    np.testing.assert_allclose(got, ref, rtol=1e-4)
    jaxpr = str(jax.make_jaxpr(lambda p, q: jaxkl.kl(p, q))(p32, q_near))
    assert ("scan" in jaxpr or "while" in jaxpr) == discrete._REDUCTION_MATERIALIZES


# ------------------------------------------------------------------ eager entry points

ENTRY_POINTS = ["kl", "cross_entropy", "js_divergence", "entropy", "rel_entr", "kl_div", "entr"]


def _compiles(caplog) -> int:
    return sum(r.getMessage().startswith("Compiling ") for r in caplog.records)


def test_eager_calls_run_as_one_compiled_program(rng, caplog):
    """Called eagerly, each function runs as one compiled program per input structure and
    static value, not op by op: the first call with new shapes compiles once, a repeat call
    not at all (only the probability-vector functions take static arguments: axis, base,
    keepdims, beta)."""
    for i, name in enumerate(ENTRY_POINTS):
        f = getattr(jaxkl, name)
        p = random_probs(rng, (3, 37 + i))  # a shape no other call here (nor inside another entry point) used
        q = random_probs(rng, (3, 37 + i))
        args = (p,) if name == "entr" else (p, q)
        settings = [{}] if name in ("rel_entr", "kl_div", "entr") else [{}, {"base": 2.0}]
        counts = []
        for kw in settings:
            for _ in range(2):  # a first call, then a repeat
                caplog.clear()
                with jax.log_compiles(True), caplog.at_level("WARNING"):
                    out = f(*args, **kw)
                counts.append(_compiles(caplog))
                np.testing.assert_allclose(out, f.__wrapped__(*args, **kw), rtol=1e-12, err_msg=name)
        assert counts == [1, 0] * len(settings), (name, counts)


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_eager_entry_converts_as_the_plain_function(name):
    """Lists, tuples, nested lists, integers and Python numbers give what the uncompiled
    function gives (value, dtype, weak type); an unhashable static value (a jax array
    ``base``) or non-numeric input runs the uncompiled function with its own checks."""
    f = getattr(jaxkl, name)
    plain = f.__wrapped__
    inputs = [
        ([0.25, 0.75], [0.5, 0.5]),
        ((0.25, 0.75), (0.5, 0.5)),
        ([[0.25, 0.75], [1.0, 0.0]], [[0.5, 0.5], [0.5, 0.5]]),
        ([1, 0], [1, 0]),
        (np.array([0.25, 0.75], np.float32), [0.5, 0.5]),
    ]
    if name in ("rel_entr", "kl_div", "entr"):
        inputs.append((0.25, 0.5))  # Python numbers: weakly typed
    for a, b in inputs:
        args = (a,) if name == "entr" else (a, b)
        got, want = f(*args), plain(*args)
        assert got.dtype == want.dtype and got.shape == want.shape, (name, a, got, want)
        assert got.weak_type == want.weak_type, (name, a)
        np.testing.assert_allclose(got, want, rtol=1e-6 if got.dtype == np.float32 else 1e-13, err_msg=name)
    if name not in ("rel_entr", "kl_div", "entr"):
        a, b = inputs[0]
        np.testing.assert_allclose(f(a, b, base=jnp.asarray(2.0)), f(a, b, base=2.0), rtol=1e-6)
    with pytest.raises(TypeError, match=r"must be a real numeric array"):
        f("ab") if name == "entr" else f("ab", [0.5, 0.5])
