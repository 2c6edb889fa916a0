"""Logits anywhere in the float range, and NaN rows.

Additive masks of −1e4, −1e9, −1e30 and the dtype's most negative number, single logits of
±1e10 on either side: values and gradients of ``kl_logits``, ``jsd_logits`` and
``fused_linear_kl`` against a float64 ``log_softmax`` reference evaluated on the same
(rounded) inputs. A NaN logit makes its row NaN (value and gradients), leaves the other rows
alone, and is ignored where ``where`` masks it out.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxkl

V = 48


def _rows(dtype) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Teacher and student logits [rows, V]: one ordinary row, then one row per extreme."""
    rng = np.random.default_rng(16)
    a0, b0 = rng.normal(size=V), rng.normal(size=V)
    names, a_rows, b_rows = ["ordinary"], [a0], [b0]
    masks = [-1e4, -1e9, -1e30, float(np.finfo(dtype).min)]
    for mask in masks:
        # the student masks a slot where the teacher has mass ~1e-13, and both mask another
        a, b = a0.copy(), b0.copy()
        a[3], b[3] = -30.0, mask
        a[5] = b[5] = mask
        names.append(f"student mask {mask:g}")
        a_rows.append(a)
        b_rows.append(b)
        a, b = a0.copy(), b0.copy()
        a[3] = mask
        names.append(f"teacher mask {mask:g}")
        a_rows.append(a)
        b_rows.append(b)
    for big in (1e10, -1e10):
        for side in ("teacher", "student"):
            a, b = a0.copy(), b0.copy()
            (a if side == "teacher" else b)[7] = big
            names.append(f"{side} logit {big:g}")
            a_rows.append(a)
            b_rows.append(b)
    return np.asarray(a_rows, dtype), np.asarray(b_rows, dtype), names


def _ref_kl(a, b):
    la, lb = jax.nn.log_softmax(a, -1), jax.nn.log_softmax(b, -1)
    pa = jnp.exp(la)
    return jnp.sum(jnp.where(pa > 0, pa * (la - lb), 0.0), -1)


def _ref_jsd(a, b, beta=0.5):
    la, lb = jax.nn.log_softmax(a, -1), jax.nn.log_softmax(b, -1)
    lm = jnp.logaddexp(jnp.log(beta) + la, jnp.log1p(-beta) + lb)
    pa, pb = jnp.exp(la), jnp.exp(lb)
    kp = jnp.sum(jnp.where(pa > 0, pa * (la - lm), 0.0), -1)
    kq = jnp.sum(jnp.where(pb > 0, pb * (lb - lm), 0.0), -1)
    return beta * kp + (1 - beta) * kq


def _value_and_grads(f, a, b):
    return f(a, b), jax.grad(lambda x, y: jnp.sum(f(x, y)), argnums=(0, 1))(a, b)


def _compare(name, got, want, tol):
    """Values to ``tol`` relative; gradients to ``tol`` of the row's largest gradient entry."""
    (v, grads), (wv, wgrads) = got, want
    v, wv = np.asarray(v, np.float64), np.asarray(wv)
    np.testing.assert_allclose(v, wv, rtol=tol, atol=1e-300, err_msg=f"{name}: value")
    for side, g, wg in zip("ab", grads, wgrads):
        g, wg = np.asarray(g, np.float64), np.asarray(wg)
        scale = np.max(np.abs(wg), axis=-1, keepdims=True)
        err = np.abs(g - wg) / np.where(scale > 0, scale, 1.0)
        assert np.all(err <= tol), (name, side, np.max(err, axis=-1))


FUNCTIONS = {
    "kl_logits": (lambda a, b: jaxkl.kl_logits(a, b), _ref_kl),
    "jsd_logits": (lambda a, b: jaxkl.jsd_logits(a, b), _ref_jsd),
    "jsd_logits beta=0.2": (lambda a, b: jaxkl.jsd_logits(a, b, beta=0.2), lambda a, b: _ref_jsd(a, b, 0.2)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fn", list(FUNCTIONS))
def test_logits_anywhere_in_the_float_range(fn, dtype):
    f, ref = FUNCTIONS[fn]
    a, b, names = _rows(dtype)
    got = _value_and_grads(jax.jit(f), jnp.asarray(a), jnp.asarray(b))
    want = _value_and_grads(ref, jnp.asarray(a, np.float64), jnp.asarray(b, np.float64))
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for i, name in enumerate(names):
        _compare(f"{fn} {name}", jax.tree.map(lambda x, i=i: x[i], got), jax.tree.map(lambda x, i=i: x[i], want), tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_linear_kl_with_huge_student_logits(dtype):
    """Student logits h·W of ±1e9 in some slots (a weight column that masks): the value and
    the gradients with respect to ``hidden`` and ``weight`` against float64 autodiff of the
    formed logits."""
    rng = np.random.default_rng(3)
    n, d = 6, 5
    h = rng.normal(size=(n, d))
    w = rng.normal(size=(d, V))
    w[:, 4] = 0.0
    w[0, 4] = -1e9  # student logit −1e9·h₀ in slot 4
    h[:, 0] = np.abs(h[:, 0]) + 0.5
    teacher = rng.normal(size=(n, V))
    teacher[:, 4] = -30.0
    h, w, teacher = (np.asarray(x, dtype) for x in (h, w, teacher))

    def ours(h, w):
        return jaxkl.fused_linear_kl(h, w, teacher_logits=jnp.asarray(teacher))

    def ref(h, w):
        return _ref_kl(jnp.asarray(teacher, np.float64), h @ w)

    got = _value_and_grads(jax.jit(ours), jnp.asarray(h), jnp.asarray(w))
    want = _value_and_grads(ref, jnp.asarray(h, np.float64), jnp.asarray(w, np.float64))
    v, (gh, gw) = got
    wv, (wgh, wgw) = want
    tol = 1e-10 if dtype == np.float64 else 2e-4
    np.testing.assert_allclose(np.asarray(v, np.float64), wv, rtol=tol)
    np.testing.assert_allclose(np.asarray(gh, np.float64), wgh, rtol=tol, atol=tol * np.abs(wgh).max())
    np.testing.assert_allclose(np.asarray(gw, np.float64), wgw, rtol=tol, atol=tol * np.abs(wgw).max())


def test_nan_rows_give_nan():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(4, V)), rng.normal(size=(4, V))
    a[1, 2] = np.nan  # teacher row
    b[2, 9] = np.nan  # student row
    where = np.ones((4, V), bool)
    a[3, 0], where[3, 0] = np.nan, False  # masked out: ignored
    a, b = jnp.asarray(a), jnp.asarray(b)
    clean_a, clean_b = jnp.where(jnp.isnan(a), 0.0, a), jnp.where(jnp.isnan(b), 0.0, b)
    for name, f in [
        ("kl_logits", lambda x, y: jaxkl.kl_logits(x, y, where=where)),
        ("jsd_logits", lambda x, y: jaxkl.jsd_logits(x, y, where=where)),
        ("fused_linear_kl", lambda x, y: jaxkl.fused_linear_kl(y, jnp.eye(V), teacher_logits=x, where=where[:, 0])),
    ]:
        if name == "fused_linear_kl":  # its mask is per token: row 3 is then left out whole
            rows_ok = [0]
        else:
            rows_ok = [0, 3]
        v, grads = _value_and_grads(jax.jit(f), a, b)
        v_clean = f(clean_a, clean_b)
        assert np.all(np.isnan(np.asarray(v)[1:3])), (name, v)
        np.testing.assert_array_equal(np.asarray(v)[rows_ok], np.asarray(v_clean)[rows_ok], err_msg=name)
        for g in grads[1:] if name == "fused_linear_kl" else grads:  # (the teacher is not differentiated)
            assert np.all(np.isnan(np.asarray(g)[1:3]).any(axis=-1)), (name, g)
            assert np.all(np.isfinite(np.asarray(g)[rows_ok])), (name, g)
