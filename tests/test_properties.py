"""Hypothesis property tests: invariants every KL must satisfy."""

import jax
import numpy as np
import scipy.special as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import jaxkl

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True)


@st.composite
def prob_pair(draw, zeros=True):
    k = draw(st.integers(2, 12))
    elems = st.floats(0.0 if zeros else 1e-3, 10.0, allow_nan=False, allow_subnormal=False)
    a = draw(arrays(np.float64, (k,), elements=elems))
    b = draw(arrays(np.float64, (k,), elements=st.floats(1e-3, 10.0)))
    if a.sum() == 0:
        a[0] = 1.0
    perm = draw(st.permutations(range(k)))
    return a / a.sum(), b / b.sum(), np.array(perm)


@SETTINGS
@given(prob_pair())
def test_kl_nonnegative_zero_at_p_and_permutation_invariant(pqp):
    p, q, perm = pqp
    d = float(jaxkl.kl(p, q))
    # Gibbs: KL >= sum(p - q), which is 0 up to the rounding of the sums.
    assert d >= float(np.sum(p - q)) - 1e-15
    assert float(jaxkl.kl(p, p)) == 0.0
    np.testing.assert_allclose(float(jaxkl.kl(p[perm], q[perm])), d, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(float(jaxkl.kl(p, q, base=2)), d / np.log(2), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(d, sp.rel_entr(p, q).sum(), rtol=1e-11, atol=1e-15)


@SETTINGS
@given(prob_pair())
def test_js_and_cross_entropy_invariants(pqp):
    p, q, perm = pqp
    js = float(jaxkl.js_divergence(p, q))
    assert -1e-15 <= js <= np.log(2) + 1e-12
    np.testing.assert_allclose(js, float(jaxkl.js_divergence(q, p)), rtol=1e-12, atol=1e-15)
    assert float(jaxkl.js_divergence(p, p)) == 0.0
    ce = float(jaxkl.cross_entropy(p, q))
    np.testing.assert_allclose(ce, float(jaxkl.entropy(p)) + float(jaxkl.kl(p, q)), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(float(jaxkl.cross_entropy(p[perm], q[perm])), ce, rtol=1e-12)


@SETTINGS
@given(
    arrays(np.float64, st.integers(2, 16), elements=st.floats(-30, 30)),
    st.floats(-5, 5),
    st.data(),
)
def test_kl_logits_equals_kl_of_softmaxes(a, shift, data):
    b = data.draw(arrays(np.float64, a.shape, elements=st.floats(-30, 30)))
    ref = float(jaxkl.kl(jax.nn.softmax(a), jax.nn.softmax(b)))
    out = float(jaxkl.kl_logits(a, b))
    np.testing.assert_allclose(out, ref, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(float(jaxkl.kl_logits(a + shift, b)), out, rtol=1e-9, atol=1e-12)
    assert out >= 0.0 and float(jaxkl.kl_logits(a, a)) <= 1e-14
