"""kl_logits against scipy's softmax + rel_entr in float64, masks, extremes, gradients."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp
from jax.test_util import check_grads

import jaxkl

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)


def _ref(a, b, axis=-1):
    """float64 reference in log space (scipy's log_softmax), exact for any finite logits."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    lp, lq = sp.log_softmax(a, axis=axis), sp.log_softmax(b, axis=axis)
    p = np.exp(lp)
    with np.errstate(invalid="ignore"):
        terms = np.where(p > 0, p * (lp - lq), 0.0)
    return terms.sum(axis)


def _ref_grads(a, b):
    """Closed-form gradients of KL(softmax a || softmax b), in float64 numpy."""
    p, q = sp.softmax(a, -1), sp.softmax(b, -1)
    kl = sp.rel_entr(p, q).sum(-1, keepdims=True)
    return p * (np.log(p) - np.log(q) - kl), q - p


@pytest.mark.parametrize("shape", [(7,), (4, 33), (2, 3, 50)], ids=str)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
def test_against_scipy_softmax(shape, dtype, rng):
    a = (3 * rng.standard_normal(shape)).astype(dtype)
    b = (3 * rng.standard_normal(shape)).astype(dtype)
    out = jax.jit(jaxkl.kl_logits)(a, b)
    assert out.dtype == dtype and out.shape == shape[:-1]
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, _ref(a, b), rtol=tol, atol=tol * 1e-2)
    ga, gb = jax.grad(lambda a, b: jnp.sum(jaxkl.kl_logits(a, b)), argnums=(0, 1))(a, b)
    ra, rb = _ref_grads(a.astype(np.float64), b.astype(np.float64))
    gtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(ga, ra, rtol=gtol, atol=gtol * 1e-2)
    np.testing.assert_allclose(gb, rb, rtol=gtol, atol=gtol * 1e-2)


def test_check_grads_reverse_mode(rng):
    a, b = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    check_grads(jaxkl.kl_logits, (a, b), order=2, modes=["rev"])


def test_axis_base_keepdims(rng):
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    np.testing.assert_allclose(jaxkl.kl_logits(a, b, axis=0), _ref(a, b, axis=0), rtol=1e-12)
    assert jaxkl.kl_logits(a, b, axis=0, keepdims=True).shape == (1, 4)
    np.testing.assert_allclose(jaxkl.kl_logits(a, b, base=2), _ref(a, b) / np.log(2), rtol=1e-12)


def test_neg_inf_logits_are_masked_entries():
    ninf = -np.inf
    a = np.array([[0.0, 1.0, ninf, 2.0], [0.0, ninf, ninf, 1.0], [0.0, 1.0, 2.0, 3.0], [ninf] * 4])
    b = np.array([[1.0, 0.0, ninf, 0.5], [0.0, 3.0, ninf, 1.0], [0.0, 1.0, ninf, 3.0], [0.0, 1.0, 2.0, 3.0]])
    out = np.asarray(jaxkl.kl_logits(a, b))
    keep = [0, 1, 3]
    np.testing.assert_allclose(out[0], _ref(a[0, keep], b[0, keep]), rtol=1e-12)
    np.testing.assert_allclose(out[1], _ref(a[1], b[1]), rtol=1e-12)  # -inf in q only where p is 0
    assert out[2] == np.inf  # q has no mass where p has
    assert out[3] == 0.0  # p has no support: nothing contributes
    ga, gb = jax.grad(lambda a, b: jnp.sum(jaxkl.kl_logits(a, b)), argnums=(0, 1))(a, b)
    assert np.all(np.isfinite(np.asarray(ga))) and np.all(np.isfinite(np.asarray(gb)))
    assert np.all(np.asarray(ga)[0, 2] == 0) and np.all(np.asarray(gb)[0, 2] == 0)


def test_where_removes_entries_from_both_softmaxes(rng):
    a, b = rng.standard_normal((3, 6)), rng.standard_normal((3, 6))
    mask = np.array([True, False, True, True, False, True])
    np.testing.assert_allclose(jaxkl.kl_logits(a, b, where=mask), _ref(a[:, mask], b[:, mask]), rtol=1e-12)
    ga, gb = jax.grad(lambda a, b: jnp.sum(jaxkl.kl_logits(a, b, where=mask)), argnums=(0, 1))(a, b)
    assert np.all(np.asarray(ga)[:, ~mask] == 0) and np.all(np.asarray(gb)[:, ~mask] == 0)


def test_extreme_logits_float32_finite():
    a = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, 1e4 - 1]], np.float32)
    b = np.array([[-1e4, 1e4, 0.0], [1e4, -1e4, 1e4], [1e4 - 1, 1e4, 1e4]], np.float32)
    out = np.asarray(jaxkl.kl_logits(a, b))
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, _ref(a, b), rtol=1e-5)
    ga, gb = jax.grad(lambda a, b: jnp.sum(jaxkl.kl_logits(a, b)), argnums=(0, 1))(a, b)
    assert np.all(np.isfinite(np.asarray(ga))) and np.all(np.isfinite(np.asarray(gb)))


def test_p_equals_q_value_and_gradient(rng):
    a = rng.standard_normal((4, 9)).astype(np.float32)
    out = jaxkl.kl_logits(a, a + 3.0)  # same distribution, shifted logits
    np.testing.assert_allclose(out, 0.0, atol=1e-6)
    assert np.all(np.asarray(out) >= 0)
    ga, gb = jax.grad(lambda a, b: jnp.sum(jaxkl.kl_logits(a, b)), argnums=(0, 1))(a, a)
    np.testing.assert_allclose(ga, 0.0, atol=1e-6)
    np.testing.assert_allclose(gb, 0.0, atol=1e-6)


def test_vmap_and_half_precision(rng):
    a, b = rng.standard_normal((5, 8)).astype(np.float32), rng.standard_normal((5, 8)).astype(np.float32)
    np.testing.assert_allclose(jax.vmap(jaxkl.kl_logits)(a, b), jaxkl.kl_logits(a, b), rtol=1e-6)
    out = jaxkl.kl_logits(jnp.asarray(a, jnp.bfloat16), jnp.asarray(b, jnp.bfloat16))
    assert out.dtype == jnp.float32
    ab, bb = np.float32(jnp.asarray(a, jnp.bfloat16)), np.float32(jnp.asarray(b, jnp.bfloat16))
    np.testing.assert_allclose(out, _ref(ab, bb), rtol=1e-5)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        jaxkl.kl_logits(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(TypeError, match="`p_logits` must be real"):
        jaxkl.kl_logits(np.zeros(3, complex), np.zeros(3))
    with pytest.raises(ValueError, match="`base` must be a positive number"):
        jaxkl.kl_logits(np.zeros(3), np.zeros(3), base=-1.0)
    out = jaxkl.kl_logits(np.array([1, 2, 3]), np.array([3, 2, 1]))  # integer logits promote
    np.testing.assert_allclose(out, _ref([1, 2, 3], [3, 2, 1]), rtol=1e-12)


def test_the_row_plan_reaches_eager_and_nested_calls():
    """The row plan is a static argument: an eager call compiled under one plan is not
    reused for another, eager or inside an outer trace."""
    from jaxkl.logits.engine import RowPlan
    from jaxkl.logits.kl import kl_logits_planned

    a = jnp.zeros((4, 8))

    def loops(blocks):
        plan = RowPlan(blocks=blocks, block_elements=8)
        kl_logits_planned(a, a, plan=plan)  # an eager call first, to fill the cache for this plan
        jaxpr = jax.make_jaxpr(lambda a, b: kl_logits_planned(a, b, plan=plan))(a, a)
        return "scan" in str(jaxpr)  # the row-block loop

    assert [loops(True), loops(False), loops(True)] == [True, False, True]


def test_jit_entry_compiles_once_per_static_value():
    """Eager calls of the public logits functions run through ``_math.jit_entry``: traced once
    per input structure and static value; an unhashable static value runs the plain
    function (whose own error names the argument)."""
    from jaxkl._math import jit_entry

    traces = []

    @jit_entry(("scale",))
    def f(x, *, scale=1.0):
        traces.append(scale)
        return x * scale + 1.0

    x = jnp.arange(3.0)
    for _ in range(3):
        np.testing.assert_allclose(f(x, scale=2.0), [1.0, 3.0, 5.0])
    assert traces == [2.0]
    f(x, scale=3.0)
    assert traces == [2.0, 3.0]
    f(x[:2], scale=3.0)  # a new shape
    assert len(traces) == 3
    np.testing.assert_allclose(f(x, scale=jnp.array(2.0)), [1.0, 3.0, 5.0])  # unhashable: plain call
    assert isinstance(traces[-1], jax.Array)
    with pytest.raises(TypeError, match="temperature"):
        jaxkl.kl_logits(x, x, temperature=jnp.array(2.0))


def test_jit_entry_binds_arguments_as_python_does():
    """The fast argument binding of ``jit_entry`` gives ``Signature.bind``'s result for valid
    calls, and a wrong call gets Python's own message."""
    import inspect

    from jaxkl._math import _binder

    def f(a, b=1.0, /, c=2.0, *, d, e=None):
        return a

    sig = inspect.signature(f)
    bind = _binder(sig)
    for args, kwargs in [((1,), {"d": 3}), ((1, 2, 3), {"d": 3, "e": 4}), ((1,), {"c": 5, "d": 3})]:
        assert bind(args, kwargs) == dict(sig.bind(*args, **kwargs).arguments)
    for args, kwargs in [
        ((), {"d": 3}),
        ((1,), {}),
        ((1,), {"a": 1, "d": 3}),
        ((1, 2, 3, 4), {"d": 3}),
        ((1,), {"d": 3, "z": 0}),
    ]:
        with pytest.raises(TypeError):
            bind(args, kwargs)
    a = jnp.zeros(3)
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'q_logits'"):
        jaxkl.kl_logits(a)
    with pytest.raises(TypeError, match="unexpected keyword argument 'temprature'"):
        jaxkl.kl_logits(a, a, temprature=2.0)
    with pytest.raises(TypeError, match="takes 2 positional arguments but 3 were given"):
        jaxkl.kl_logits(a, a, -1)
