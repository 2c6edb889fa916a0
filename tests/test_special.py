"""The cancellation-free primitives of jaxkl._special against 50-digit mpmath references."""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from jax.test_util import check_grads

from jaxkl import _special as S
from jaxkl._special import harmonic_m1

pytestmark = pytest.mark.usefixtures("mpmath_50_digits")  # references at 50 digits
RTOL = {np.float32: 2e-6, np.float64: 4e-15}


def _mp(f, *cols):
    return np.array([float(f(*(mp.mpf(float(v)) for v in vals))) for vals in zip(*cols)])


def _rel(got, ref):
    got = np.asarray(got, np.float64)
    return np.max(np.abs(got - ref) / np.abs(ref))


def _grid(dtype):
    x = np.concatenate([-np.logspace(-12, -1e-4, 40), np.logspace(-12, 6, 50)]).astype(dtype)
    return x[x > -1]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "name,ref",
    [
        ("log1pmx", lambda x: mp.log1p(x) - x),
        ("phi1p", lambda x: x - mp.log1p(x)),
        ("kl_div1p", lambda x: (1 + x) * mp.log1p(x) - x),
    ],
)
def test_log1p_family(name, ref, dtype):
    x = _grid(dtype)
    assert _rel(jax.jit(getattr(S, name))(x), _mp(ref, x)) < RTOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_expm1mx(dtype):
    y = np.concatenate([-np.logspace(-12, 2, 40), np.logspace(-12, 1.9 if dtype == np.float64 else 1.5, 40)]).astype(
        dtype
    )
    assert _rel(jax.jit(S.expm1mx)(y), _mp(lambda v: mp.expm1(v) - v, y)) < RTOL[dtype]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_phi_ratio(dtype, rng):
    # r spread over the whole exponent range and close to 1 from both sides; v = r − 1 exactly
    # (in float64, or in mpmath for float64 inputs), so the reference is at the same rounded r.
    big = 30 if dtype == np.float32 else 300
    near = 1 + rng.choice([-1, 1], 200) * np.exp(rng.uniform(np.log(1e-15), np.log(0.5), 200))
    r = np.concatenate([np.exp(rng.uniform(-big * np.log(10), big * np.log(10), 200)), near]).astype(dtype)
    r = np.concatenate(
        [r, np.sqrt(np.array([0.5, 2.0])).astype(dtype), np.nextafter(np.sqrt(dtype(0.5)), dtype(0))[None]]
    )
    r = r[r != 1]
    v = np.array([float(mp.mpf(float(x)) - 1) for x in r]).astype(dtype)
    ref = _mp(lambda x: x - 1 - mp.log(x), r)
    assert _rel(jax.jit(S.phi_ratio)(r, v), ref) < RTOL[dtype]
    assert float(S.phi_ratio(jnp.asarray(1.0, dtype), jnp.asarray(0.0, dtype))) == 0.0
    assert float(S.phi_ratio(jnp.asarray(np.inf, dtype), jnp.asarray(np.inf, dtype))) == np.inf
    # Below the smallest normal number r is read as that number (documented).
    tiny = np.finfo(dtype).tiny
    assert np.isclose(float(S.phi_ratio(jnp.asarray(0.0, dtype), jnp.asarray(-1.0, dtype))), tiny - 1 - np.log(tiny))


def test_phi_ratio_grad():
    # d/dr (r − 1 − log r) = (r − 1)/r; v only carries the accurate value of r − 1.
    r = jnp.asarray([1e-3, 0.5, 1 - 1e-9, 1 + 1e-9, 3.0, 1e8])
    g = jax.vmap(jax.grad(lambda x: S.phi_ratio(x, x - 1.0)))(r)
    np.testing.assert_allclose(g, (r - 1) / r, rtol=1e-6)
    check_grads(lambda x: S.phi_ratio(x, x - 1.0), (jnp.asarray([0.3, 0.9, 1.7, 40.0]),), order=2, modes=["fwd", "rev"])


def test_kl_div1p_at_minus_one():
    assert float(S.kl_div1p(jnp.float64(-1.0))) == 1.0


def _pairs(rng, n, lo, hi):
    x1 = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
    d = np.exp(rng.uniform(np.log(1e-6), np.log(0.5), n)) * rng.choice([-1, 1], n)
    x2 = x1 * (1 + d)
    x2[: n // 5] = np.exp(rng.uniform(np.log(lo), np.log(hi), n // 5))  # far apart too
    return x1, x2


def _lgamma_bregman_mp(a, b):
    return mp.loggamma(b) - mp.loggamma(a) - mp.digamma(a) * (b - a)


# Accuracy bars: the closed forms built on these must reach 1e-10 (float64) and 1e-4 (float32).
BAR = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lgamma_bregman(rng, dtype):
    x1, x2 = (v.astype(dtype) for v in _pairs(rng, 120, 1e-3, 1e6))
    ref = _mp(_lgamma_bregman_mp, x1, x2)
    assert _rel(jax.jit(S.lgamma_bregman)(x1, x2), ref) < BAR[dtype]
    rem = _mp(lambda a, b: _lgamma_bregman_mp(a, b) - a * ((b / a) * mp.log(b / a) - b / a + 1), x1, x2)
    assert _rel(jax.jit(S.lgamma_remainder)(x1, x2), rem) < (1e-4 if dtype == np.float32 else 1e-11)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gamma_kl(rng, dtype):
    a1, a2 = _pairs(rng, 120, 1e-2, 1e5)
    b1, _ = _pairs(rng, 120, 1e-4, 1e4)
    b2 = b1 * np.exp(np.log(a2 / a1) * rng.uniform(-1, 1, 120))
    a1, a2, b1, b2 = (v.astype(dtype) for v in (a1, a2, b1, b2))

    def ref(a, b, c, d):
        return (a - c) * mp.digamma(a) - mp.loggamma(a) + mp.loggamma(c) + c * mp.log(b / d) + a * (d - b) / b

    assert _rel(jax.jit(S.gamma_kl)(a1, b1, a2, b2), _mp(ref, a1, b1, a2, b2)) < BAR[dtype] * 5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("k", [2, 5])
def test_log_beta_bregman(rng, dtype, k):
    n = 60
    a1 = np.exp(rng.uniform(np.log(1e-2), np.log(1e5), (n, k)))
    d = np.exp(rng.uniform(np.log(1e-6), np.log(0.5), n))[:, None]
    a2 = a1 * (1 + d * rng.uniform(-1, 1, (n, k)))
    a2[:10] = a1[:10] * (1 + d[:10])  # same normalized concentrations: only the remainders remain
    a1, a2 = a1.astype(dtype), a2.astype(dtype)

    def ref(x, y):
        x = [mp.mpf(float(v)) for v in x]
        y = [mp.mpf(float(v)) for v in y]
        s = sum(x)
        part = sum(mp.loggamma(v) for v in y) - mp.loggamma(sum(y)) - sum(mp.loggamma(v) for v in x) + mp.loggamma(s)
        return part - sum((mp.digamma(u) - mp.digamma(s)) * (v - u) for u, v in zip(x, y))

    r = np.array([float(ref(x, y)) for x, y in zip(a1, a2)])
    bar = {np.float32: 1e-4, np.float64: 1e-10}[dtype]
    assert _rel(jax.jit(S.log_beta_bregman)(a1, a2), r) < bar


@pytest.mark.parametrize(
    "fn,args",
    [
        (S.log1pmx, (0.3,)),
        (S.kl_div1p, (-0.7,)),
        (S.expm1mx, (1.5,)),
        (S.lgamma_bregman, (0.7, 3.2)),
        (S.lgamma_bregman, (12.0, 9.0)),
        (S.gamma_kl, (2.0, 0.5, 3.0, 1.5)),
        (lambda a, b: S.log_beta_bregman(a, b), (np.array([0.5, 3.0, 20.0]), np.array([1.5, 2.0, 9.0]))),
    ],
)
def test_gradients(fn, args):
    check_grads(fn, tuple(np.asarray(a, np.float64) for a in args), order=1, modes=["rev"])


def test_gradients_finite_at_equality():
    for fn, args in [
        (S.lgamma_bregman, (2.5, 2.5)),
        (S.gamma_kl, (2.0, 0.5, 2.0, 0.5)),
        (S.log_beta_bregman, (np.array([0.3, 4.0]), np.array([0.3, 4.0]))),
        (S.kl_div1p, (0.0,)),
        (S.log1pmx, (0.0,)),
        (S.expm1mx, (0.0,)),
    ]:
        grads = jax.grad(lambda *a: jnp.sum(fn(*a)), argnums=tuple(range(len(args))))(
            *(jnp.asarray(a, float) for a in args)
        )
        for g in grads:
            assert np.all(np.isfinite(g)) and np.allclose(g, 0.0, atol=1e-12), (fn, g)


def test_materialize_and_sum_last_are_exact():
    """``materialize`` returns its input bit for bit (signed zeros, NaN and ±inf included; a
    subnormal is whatever the backend makes of any arithmetic on it) with derivative 1;
    ``sum_last`` is the float64 sum over the last axis (exact here: integers), propagates
    inf and NaN, keeps the dtype, and differentiates to ones."""
    from jaxkl._math import materialize, sum_last

    x = jnp.asarray([0.0, -0.0, 1.5, -np.inf, np.inf, np.nan, 2.2250738585072014e-308, -3e300])
    np.testing.assert_array_equal(np.asarray(materialize(x)).view(np.int64), np.asarray(x).view(np.int64))
    np.testing.assert_array_equal(jax.grad(lambda v: jnp.sum(materialize(v)))(x[:5]), 1.0)
    for dtype in (np.float32, np.float64):
        v = np.arange(-48.0, 48.0).reshape(2, 3, 16).astype(dtype)
        got = sum_last(jnp.asarray(v))
        assert got.dtype == dtype and got.shape == (2, 3)
        np.testing.assert_array_equal(got, v.sum(-1))
    w = np.ones((3, 4))
    w[1, 2], w[2, 0] = np.inf, np.nan
    np.testing.assert_array_equal(sum_last(jnp.asarray(w)), [4.0, np.inf, np.nan])
    np.testing.assert_array_equal(jax.grad(lambda v: jnp.sum(sum_last(v)))(jnp.ones((2, 5))), 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_taylor_remainder_quad(dtype):
    """∫₀¹ (1 − s)·f''(x + s·dx) ds = (f(x + dx) − f(x) − f'(x)·dx)/dx² for f = exp (exact
    for the Gauss–Legendre rule to rounding at these steps), element by element."""
    from jaxkl._special import taylor_remainder_quad

    x = np.asarray([-1.0, 0.0, 0.5, 2.0]).astype(dtype)
    dx = np.asarray([0.3, -0.2, 1e-3, 0.5]).astype(dtype)
    got = taylor_remainder_quad(jnp.exp, jnp.asarray(x), jnp.asarray(dx), 8 if dtype == np.float64 else 4)
    x64, d64 = x.astype(np.float64), dx.astype(np.float64)
    want = np.exp(x64) * (np.expm1(d64) - d64) / d64**2
    np.testing.assert_allclose(got, want, rtol=1e-13 if dtype == np.float64 else 2e-6)


def test_harmonic_m1():
    for x in [1.0, 1 + 1e-9, 1 - 3e-5, 1.2, 0.76, 0.3, 7.0, 1e4]:
        want = mp.digamma(mp.mpf(x) + 1) + mp.euler - 1
        got = harmonic_m1(jnp.float64(x))
        assert abs(float(got) - float(want)) <= 1e-15 * abs(float(want)) + 1e-300


def _quotient_points(dtype, rng, n=400):
    """(a, b) over every regime of a/b: near 1 (|a/b − 1| from 1e-7 to 0.6), moderate, a/b
    under- and overflowing, and near 1 at scales 1e±30."""
    big = 1e300 if dtype == np.float64 else 1e37
    b = np.exp(rng.uniform(np.log(1e-3), np.log(1e3), n))
    near = b * (1 + rng.uniform(-0.6, 0.6, n) * 10.0 ** rng.uniform(-7, 0, n))
    wide_a, wide_b = np.exp(rng.uniform(-np.log(big), np.log(big), (2, n)))
    s = np.exp(rng.uniform(np.log(1e-30), np.log(1e30), n))
    scaled = s * (1 + rng.uniform(-0.6, 0.6, n) * 10.0 ** rng.uniform(-7, 0, n))
    a = np.concatenate([near, b[::-1], wide_a, scaled]).astype(dtype)
    b = np.concatenate([b, b, wide_b, s]).astype(dtype)
    return a, b


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_phi_quotient_every_ratio(dtype, rng):
    """r − 1 − log r for r = a/b to 4 ulp wherever it is finite, +inf where it overflows,
    even where a/b itself under- or overflows; gradients to 4 ulp wherever representable."""
    a, b = _quotient_points(dtype, rng)
    got = np.asarray(jax.jit(S.phi_quotient)(a, b), np.float64)
    ga, gb = (np.asarray(g, np.float64) for g in jax.jit(jax.vmap(jax.grad(S.phi_quotient, (0, 1))))(a, b))
    top, tiny, eps = float(np.finfo(dtype).max), float(np.finfo(dtype).tiny), float(np.finfo(dtype).eps)
    for i in range(len(a)):
        x, y = mp.mpf(float(a[i])), mp.mpf(float(b[i]))
        r = x / y
        want = r - 1 - mp.log(r)
        if want > top:
            assert got[i] == np.inf, (a[i], b[i], got[i])
        else:
            assert abs(got[i] - float(want)) <= 4 * eps * float(want) + 1e-300, (a[i], b[i], got[i], want)
        for g, w in ((ga[i], (x - y) / (x * y)), (gb[i], -(x - y) / y**2)):
            if tiny < abs(w) < top:
                assert abs(g - float(w)) <= 4 * eps * abs(float(w)), (a[i], b[i], g, w)


def test_phi_quotient_ends():
    """+inf at a = 0 and b = 0; 0 with zero gradients at a = b."""
    out = S.phi_quotient(jnp.array([0.0, 1.0, 2.5]), jnp.array([1.0, 0.0, 2.5]))
    np.testing.assert_array_equal(out, [np.inf, np.inf, 0.0])
    np.testing.assert_array_equal(jax.grad(S.phi_quotient, (0, 1))(2.5, 2.5), (0.0, 0.0))
