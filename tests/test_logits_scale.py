"""kl_logits / jsd_logits at [tokens, vocab] scale: memory, accuracy near p = q, bf16,
masks, temperature, both code paths (row blocks and fused), sharding, RL estimators."""

import dataclasses
import functools
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp
from jax.test_util import check_grads

import jaxkl
from jaxkl.logits.engine import RowPlan
from jaxkl.logits.jsd import jsd_logits_planned
from jaxkl.logits.kl import kl_logits_planned

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)


@dataclasses.dataclass(frozen=True)
class Route:
    """``kl_logits`` and ``jsd_logits`` with their rows reduced one way (``RowPlan``)."""

    name: str
    kl_logits: Callable
    jsd_logits: Callable


@pytest.fixture(params=["blocks", "fused"])
def path(request):
    """Run a test on the row-block path (tiny blocks, so loops really run) and the fused one."""
    plan = RowPlan(blocks=request.param == "blocks", block_elements=64)
    return Route(
        request.param,
        functools.partial(kl_logits_planned, plan=plan),
        functools.partial(jsd_logits_planned, plan=plan),
    )


def _ref_kl(a, b, t=1.0):
    """float64 reference: scipy log_softmax, Σ p(log p − log q); exact for these inputs."""
    lp = sp.log_softmax(np.asarray(a, np.float64) / t, -1)
    lq = sp.log_softmax(np.asarray(b, np.float64) / t, -1)
    p = np.exp(lp)
    return np.sum(np.where(p > 0, p * (lp - np.where(p > 0, lq, 0.0)), 0.0), -1)


def _mp_kl(a, b):
    """KL from float32/64 logits in 40-digit arithmetic (mpmath), row by row.

    Needed near p = q with a common shift: there the float64 log_softmax formula
    cancels (Σ p·(log p − log q) with log p − log q ≈ the shift) and is itself only
    ~1e-16·shift absolute.
    """
    import mpmath

    with mpmath.workdps(40):
        out = []
        for ra, rb in zip(np.asarray(a, np.float64), np.asarray(b, np.float64)):
            xa, xb = [mpmath.mpf(float(x)) for x in ra], [mpmath.mpf(float(x)) for x in rb]
            la = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xa))
            lb = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xb))
            out.append(float(mpmath.fsum(mpmath.exp(x - la) * ((x - la) - (y - lb)) for x, y in zip(xa, xb))))
    return np.array(out)


def _ref_kl_grads(a, b, t=1.0):
    lp = sp.log_softmax(np.asarray(a, np.float64) / t, -1)
    lq = sp.log_softmax(np.asarray(b, np.float64) / t, -1)
    p, q = np.exp(lp), np.exp(lq)
    kl = np.sum(p * (lp - lq), -1, keepdims=True)
    return p * (lp - lq - kl) / t, (q - p) / t


def _ref_jsd(a, b, beta):
    lp = sp.log_softmax(np.asarray(a, np.float64), -1)
    lq = sp.log_softmax(np.asarray(b, np.float64), -1)
    lm = np.logaddexp(np.log(beta) + lp, np.log1p(-beta) + lq)
    p, q = np.exp(lp), np.exp(lq)
    return beta * np.sum(p * (lp - lm), -1) + (1 - beta) * np.sum(q * (lq - lm), -1)


def _grads(f, a, b, **kw):
    return jax.grad(lambda a, b: jnp.sum(f(a, b, **kw)), argnums=(0, 1))(a, b)


# ------------------------------------------------------------------- values/grads


@pytest.mark.parametrize("spread", [3.0, 1e-2, 1e-4, 1e-6], ids=lambda s: f"spread={s:g}")
def test_kl_float32_relative_accuracy_down_to_p_near_q(spread, path, rng):
    """Relative error ≤ 2e-5 in float32 against float64, however close p is to q.

    b = a + 7 + spread·noise: a common shift (which must cancel exactly) plus a small
    difference; the KL goes down to ~1e-13. The textbook formula has an absolute error
    ~1e-7 and so a relative error of order 1e6 at the smallest spread.
    """
    a = (4 * rng.standard_normal((6, 200))).astype(np.float32)
    b = (a + 7.0 + spread * rng.standard_normal(a.shape)).astype(np.float32)
    want = _mp_kl(a, b)
    got = np.asarray(jax.jit(lambda a, b: path.kl_logits(a, b))(a, b))
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=0)
    if spread <= 1e-4:
        lp, lq = jax.nn.log_softmax(a), jax.nn.log_softmax(b)
        naive = np.asarray(jnp.sum(jnp.exp(lp) * (lp - lq), -1))
        assert np.max(np.abs(naive / want - 1)) > 1e-2  # the problem being solved is real


@pytest.mark.parametrize("v", [32, 1024])
def test_kl_float32_tied_logits_keep_relative_accuracy(v, path, rng):
    """Flat logits with one raised entry: q's mass sits away from the entry where b peaks,
    the case where the two non-negative parts of the near-p = q formula cancel by ~V (seen
    at 0.8 % relative error for V = 8192 before such rows were summed a second time). Mixed
    with random rows, so that only some rows of a block take the second sum."""
    if path.name == "fused" and v > 32:
        pytest.skip("XLA:CPU's fused multi-output reduction sums a row in order: ~V·ulp/2 for flat rows")
    a = np.zeros((6, v), np.float32)
    b = a.copy()
    b[0, 0], b[1, 0], b[2, v // 2] = 1e-4, 1e-2, -1e-3
    a[3:] = 2 * rng.standard_normal((3, v))
    b[3:] = a[3:] + 1e-3 * rng.standard_normal((3, v))
    want = _mp_kl(a, b)
    got = np.asarray(jax.jit(lambda a, b: path.kl_logits(a, b))(a, b))
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=0)
    want_jsd = np.array([_mp_jsd(a[i : i + 1], b[i : i + 1], 0.5)[0] for i in range(3)])
    np.testing.assert_allclose(np.asarray(path.jsd_logits(a[:3], b[:3])), want_jsd, rtol=2e-5, atol=0)


@pytest.mark.parametrize("spread", [3.0, 1e-3], ids=lambda s: f"spread={s:g}")
def test_kl_gradients_float32(spread, path, rng):
    a = (3 * rng.standard_normal((10, 257))).astype(np.float32)
    b = (a + spread * rng.standard_normal(a.shape)).astype(np.float32)
    ga, gb = jax.jit(lambda a, b: _grads(path.kl_logits, a, b))(a, b)
    ra, rb = _ref_kl_grads(a, b)
    scale = np.max(np.abs(ra))
    np.testing.assert_allclose(ga, ra, rtol=1e-4, atol=1e-4 * scale)
    np.testing.assert_allclose(gb, rb, rtol=1e-4, atol=1e-4 * np.max(np.abs(rb)))


def test_kl_float64_and_check_grads(path, rng):
    with jax.enable_x64(True):
        a = rng.standard_normal((5, 40))
        b = a + 0.1 * rng.standard_normal((5, 40))
        np.testing.assert_allclose(path.kl_logits(a, b), _ref_kl(a, b), rtol=1e-12)
        check_grads(lambda a, b: path.kl_logits(a, b), (a, b), order=1, modes=["rev"])


def test_temperature(path, rng):
    a = rng.standard_normal((6, 50)).astype(np.float32)
    b = rng.standard_normal((6, 50)).astype(np.float32)
    got = path.kl_logits(a, b, temperature=2.5)
    np.testing.assert_allclose(got, _ref_kl(a, b, 2.5), rtol=2e-5)
    ga, gb = _grads(path.kl_logits, a, b, temperature=2.5)
    ra, rb = _ref_kl_grads(a, b, 2.5)
    np.testing.assert_allclose(ga, ra, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(gb, rb, rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match="temperature"):
        path.kl_logits(a, b, temperature=0.0)
    with pytest.raises(TypeError, match="temperature"):
        jax.jit(lambda t: path.kl_logits(a, b, temperature=t))(1.0)


def test_bfloat16_inputs(path, rng):
    """bf16 in: values equal the float32 computation on the same (bf16) numbers,
    gradients come back in bfloat16 and match to bf16 rounding."""
    a = jnp.asarray(3 * rng.standard_normal((8, 129)), jnp.bfloat16)
    b = jnp.asarray(3 * rng.standard_normal((8, 129)), jnp.bfloat16)
    a32, b32 = np.asarray(a, np.float32), np.asarray(b, np.float32)
    for f, ref in [(path.kl_logits, _ref_kl(a32, b32)), (path.jsd_logits, _ref_jsd(a32, b32, 0.5))]:
        out = f(a, b)
        assert out.dtype == jnp.float32
        np.testing.assert_allclose(out, ref, rtol=2e-5)
        ga, gb = _grads(f, a, b)
        assert ga.dtype == gb.dtype == jnp.bfloat16
        ra, rb = _grads(f, a32, b32)
        np.testing.assert_allclose(np.asarray(ga, np.float32), ra, rtol=1e-2, atol=1e-2 * np.max(np.abs(ra)))
        np.testing.assert_allclose(np.asarray(gb, np.float32), rb, rtol=1e-2, atol=1e-2 * np.max(np.abs(rb)))


# ------------------------------------------------------------------------- masks


@pytest.mark.parametrize("fn", ["kl", "jsd"])
def test_row_mask_contributes_nothing_and_gets_zero_gradient(fn, path, rng):
    f = path.kl_logits if fn == "kl" else path.jsd_logits
    a = rng.standard_normal((9, 31)).astype(np.float32)
    b = rng.standard_normal((9, 31)).astype(np.float32)
    a[4] = np.nan  # an ignored row may hold anything
    keep = np.ones(9, bool)
    keep[[2, 4, 7]] = False
    out = f(a, b, where=keep[:, None])
    assert np.all(np.asarray(out)[~keep] == 0.0)
    ref = _ref_kl(a[keep], b[keep]) if fn == "kl" else _ref_jsd(a[keep], b[keep], 0.5)
    np.testing.assert_allclose(np.asarray(out)[keep], ref, rtol=2e-5)
    ga, gb = _grads(f, a, b, where=keep[:, None])
    assert np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))
    assert np.all(np.asarray(ga)[~keep] == 0.0) and np.all(np.asarray(gb)[~keep] == 0.0)


def test_entry_mask_equals_dropping_the_entries(path, rng):
    a = rng.standard_normal((4, 20)).astype(np.float32)
    b = rng.standard_normal((4, 20)).astype(np.float32)
    keep = rng.random(20) > 0.3
    np.testing.assert_allclose(path.kl_logits(a, b, where=keep), _ref_kl(a[:, keep], b[:, keep]), rtol=2e-5)
    np.testing.assert_allclose(path.jsd_logits(a, b, where=keep), _ref_jsd(a[:, keep], b[:, keep], 0.5), rtol=2e-5)
    ga, _ = _grads(path.kl_logits, a, b, where=keep)
    assert np.all(np.asarray(ga)[:, ~keep] == 0.0)


def test_mask_validation():
    a = np.zeros((3, 4), np.float32)
    with pytest.raises(TypeError, match="boolean"):
        jaxkl.kl_logits(a, a, where=np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 4\)"):
        jaxkl.jsd_logits(a, a, where=np.ones((3, 2), bool))


# --------------------------------------------------------------------------- JSD


@pytest.mark.parametrize("beta", [0.1, 0.5, 0.9])
def test_jsd_against_float64(beta, path, rng):
    a = (3 * rng.standard_normal((7, 64))).astype(np.float32)
    b = (3 * rng.standard_normal((7, 64))).astype(np.float32)
    np.testing.assert_allclose(path.jsd_logits(a, b, beta=beta), _ref_jsd(a, b, beta), rtol=2e-5)
    with jax.enable_x64(True):
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        np.testing.assert_allclose(path.jsd_logits(a64, b64, beta=beta), _ref_jsd(a64, b64, beta), rtol=1e-12)
        check_grads(lambda a, b: path.jsd_logits(a, b, beta=beta), (a64, b64), order=1, modes=["rev"])


def _mp_jsd(a, b, beta):
    import mpmath

    with mpmath.workdps(40):
        out = []
        for ra, rb in zip(np.asarray(a, np.float64), np.asarray(b, np.float64)):
            xa, xb = [mpmath.mpf(float(x)) for x in ra], [mpmath.mpf(float(x)) for x in rb]
            la = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xa))
            lb = mpmath.log(mpmath.fsum(mpmath.exp(x) for x in xb))
            tot = mpmath.mpf(0)
            for x, y in zip(xa, xb):
                p, q = mpmath.exp(x - la), mpmath.exp(y - lb)
                m = beta * p + (1 - beta) * q
                tot += beta * p * mpmath.log(p / m) + (1 - beta) * q * mpmath.log(q / m)
            out.append(float(tot))
    return np.array(out)


@pytest.mark.parametrize("spread", [1e-2, 1e-4], ids=lambda s: f"spread={s:g}")
def test_jsd_near_p_equals_q_relative(spread, path, rng):
    a = (4 * rng.standard_normal((4, 150))).astype(np.float32)
    b = (a + 5.0 + spread * rng.standard_normal(a.shape)).astype(np.float32)
    np.testing.assert_allclose(path.jsd_logits(a, b, beta=0.3), _mp_jsd(a, b, 0.3), rtol=2e-5)


def test_jsd_beta_endpoints_and_bounds(rng):
    a = rng.standard_normal((3, 10)).astype(np.float32)
    b = rng.standard_normal((3, 10)).astype(np.float32)
    np.testing.assert_allclose(jaxkl.jsd_logits(a, b, beta=0), _ref_kl(a, b), rtol=2e-5)
    np.testing.assert_allclose(jaxkl.jsd_logits(a, b, beta=1), _ref_kl(b, a), rtol=2e-5)
    # disjoint supports: JSD_½ = log 2 exactly, 1 bit
    x = np.array([0.0, -np.inf]), np.array([-np.inf, 0.0])
    np.testing.assert_allclose(jaxkl.jsd_logits(*x, base=2), 1.0, rtol=1e-6)
    for bad in [-0.1, 1.5]:
        with pytest.raises(ValueError, match="beta"):
            jaxkl.jsd_logits(a, b, beta=bad)


def test_jsd_extreme_logits_no_nan(path):
    """Log-probabilities far below −104 (float32 probabilities underflow to 0): the
    mixture is formed in log space, so values and gradients stay finite."""
    a = np.array([[0.0, -2000.0, -50.0, 3.0]], np.float32)
    b = np.array([[-3000.0, 0.0, 10.0, -800.0]], np.float32)
    out = path.jsd_logits(a, b)
    np.testing.assert_allclose(out, _ref_jsd(a, b, 0.5), rtol=2e-5)
    ga, gb = _grads(path.jsd_logits, a, b)
    assert np.all(np.isfinite(ga)) and np.all(np.isfinite(gb))


# ------------------------------------------------------------------------ memory


def _temp_mib(f, dtype, n=4096, v=131072):
    s = jax.ShapeDtypeStruct((n, v), dtype)
    c = jax.jit(jax.value_and_grad(lambda a, b: jnp.sum(f(a, b)), argnums=(0, 1))).lower(s, s).compile()
    return c.memory_analysis().temp_size_in_bytes / 2**20


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the budget is checked on XLA:CPU's compilation")
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.bfloat16], ids=["float32", "bfloat16"])
@pytest.mark.parametrize("fn", ["kl_logits", "jsd_logits"])
def test_value_and_grad_temporaries_at_4096_by_131072(fn, dtype):
    """value_and_grad at N = 4096, V = 131072: compiled temporaries ≤ 160 MiB
    (XLA's memory_analysis, deterministic), where the log_softmax formulation needs
    about one float32 [N, V] array per intermediate (≥ 4 GiB)."""
    got = _temp_mib(getattr(jaxkl, fn), dtype)
    assert got <= 160, f"{fn} {dtype}: {got:.1f} MiB of temporaries"

    def naive(a, b):
        lp = jax.nn.log_softmax(a.astype(jnp.float32), -1)
        lq = jax.nn.log_softmax(b.astype(jnp.float32), -1)
        return jnp.sum(jnp.exp(lp) * (lp - lq), -1)

    assert _temp_mib(naive, dtype) >= 4096  # the measurement sees [N, V] temporaries


# ---------------------------------------------------------------------- sharding

_SHARDING_SCRIPT = textwrap.dedent(
    r"""
    import re
    import jax, jax.numpy as jnp, numpy as np
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    import jaxkl
    assert jax.device_count() == 8
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 256)).astype(np.float32) * 3
    b = (a + 0.1 * rng.standard_normal(a.shape)).astype(np.float32)
    mesh = Mesh(np.array(jax.devices()), ("x",))

    def run(f, a, b):
        return jax.jit(jax.value_and_grad(lambda a, b: jnp.sum(f(a, b)), argnums=(0, 1)))(a, b)

    for name, f in [("kl", KL), ("jsd", JSD)]:
        v0, (ga0, gb0) = run(f, a, b)
        per_row0 = f(a, b)
        for spec in [P("x", None), P(None, "x")]:
            sh = NamedSharding(mesh, spec)
            sa, sb = jax.device_put(a, sh), jax.device_put(b, sh)
            v, (ga, gb) = run(f, sa, sb)
            np.testing.assert_allclose(v, v0, rtol=2e-5)
            np.testing.assert_allclose(ga, ga0, rtol=1e-4, atol=1e-7)
            np.testing.assert_allclose(gb, gb0, rtol=1e-4, atol=1e-7)
            np.testing.assert_allclose(jax.jit(f)(sa, sb), per_row0, rtol=2e-5)  # summation order differs
            assert ga.sharding.is_equivalent_to(sh, 2), (name, spec, ga.sharding)
            # no collective moves more than a row's worth of per-row statistics: the
            # logits are never gathered (vocab sharding: partial sums are combined)
            txt = jax.jit(jax.value_and_grad(lambda a, b: jnp.sum(f(a, b)), argnums=(0, 1))).lower(sa, sb).compile().as_text()
            ops = re.findall(r"= (.*?) (?:all-gather|all-reduce|all-to-all|collective-permute)(?:-start)?\(", txt)
            assert ops, (name, spec)  # the per-row reductions (or the total) need one
            for result in ops:
                for shape in re.findall(r"\w+\[([\d,]*)\]", result):
                    size = int(np.prod([int(d) for d in shape.split(",") if d])) if shape else 1
                    assert size <= 64 * 8, (name, spec, result)
            print(name, spec, "ok")
    """
)


@pytest.mark.parametrize("blocks", [None, True], ids=["default", "blocks"])
def test_sharded_over_tokens_and_vocabulary(blocks, tmp_path):
    """8 simulated CPU devices: inputs sharded over tokens and over the vocabulary give the
    unsharded values and gradients, and the gradients keep the inputs' sharding."""
    script = tmp_path / "sharded.py"
    # blocks of 8 rows (2048 entries): the 8 token shards divide them
    plan = (
        "import functools\nfrom jaxkl.logits.engine import RowPlan\n"
        "from jaxkl.logits.jsd import jsd_logits_planned\nfrom jaxkl.logits.kl import kl_logits_planned\n"
        f"plan = RowPlan(blocks={blocks}, block_elements=2048)\n"
        "KL = functools.partial(kl_logits_planned, plan=plan)\nJSD = functools.partial(jsd_logits_planned, plan=plan)\n"
    )
    script.write_text(plan + _SHARDING_SCRIPT)
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=8", JAX_PLATFORMS="cpu")
    res = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.count("ok") == 4


# ------------------------------------------------------------- RL token estimators


def test_estimator_terms_mask(rng):
    lp = jnp.asarray(rng.standard_normal((4, 6)))
    lq = jnp.asarray(rng.standard_normal((4, 6)))
    lp = lp.at[0, 0].set(-jnp.inf)  # a padded position holding garbage
    keep = np.ones((4, 6), bool)
    keep[0, 0] = keep[3, 2:] = False
    for est in ["k1", "k2", "k3"]:
        t = jaxkl.kl_estimator_terms(lp, lq, estimator=est, where=keep)
        ref = jaxkl.kl_estimator_terms(lp, lq, estimator=est)
        np.testing.assert_array_equal(np.asarray(t)[~keep], 0.0)
        np.testing.assert_allclose(np.asarray(t)[keep], np.asarray(ref)[keep])
        g = jax.grad(lambda x: jnp.sum(jaxkl.kl_estimator_terms(x, lq, estimator=est, where=keep)))(lp)
        assert np.all(np.isfinite(g)) and np.all(np.asarray(g)[~keep] == 0.0)
    with pytest.raises(TypeError, match="boolean"):
        jaxkl.kl_estimator_terms(lp, lq, where=np.ones((4, 6)))


# ------------------------------------------------------------------ fused linear


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
def test_fused_linear_kl_matches_matmul_then_kl_logits(reverse, rng):
    n, h, v = 24, 16, 50
    hid = rng.standard_normal((2, n // 2, h)).astype(np.float32)
    w = (0.5 * rng.standard_normal((h, v))).astype(np.float32)
    t = rng.standard_normal((2, n // 2, v)).astype(np.float32)
    keep = rng.random((2, n // 2)) > 0.2
    wts = jnp.asarray(rng.random((2, n // 2)), jnp.float32)  # a per-token cotangent

    def ref(hid, w):
        z = hid @ w
        kl = jaxkl.kl_logits(z, t, temperature=1.5) if reverse else jaxkl.kl_logits(t, z, temperature=1.5)
        return jnp.where(keep, kl, 0.0)

    def got(hid, w):
        return jaxkl.fused_linear_kl(
            hid, w, teacher_logits=t, reverse=reverse, temperature=1.5, where=keep, chunk_rows=6
        )

    np.testing.assert_allclose(got(hid, w), ref(hid, w), rtol=2e-5, atol=1e-7)
    g_ref = jax.grad(lambda a, b: jnp.sum(ref(a, b) * wts), argnums=(0, 1))(hid, w)
    g_got = jax.jit(jax.grad(lambda a, b: jnp.sum(got(a, b) * wts), argnums=(0, 1)))(hid, w)
    for x, y in zip(g_got, g_ref):
        np.testing.assert_allclose(x, y, rtol=1e-4, atol=1e-4 * np.max(np.abs(y)))
    assert np.all(np.asarray(g_got[0])[~keep] == 0.0)


def test_fused_linear_kl_teacher_as_hidden_and_weight(rng):
    hid = rng.standard_normal((12, 8)).astype(np.float32)
    w = rng.standard_normal((8, 30)).astype(np.float32)
    th = rng.standard_normal((12, 5)).astype(np.float32)
    tw = rng.standard_normal((5, 30)).astype(np.float32)
    got = jaxkl.fused_linear_kl(hid, w, teacher_hidden=th, teacher_weight=tw)
    np.testing.assert_allclose(got, _ref_kl(th @ tw, hid @ w), rtol=2e-5)
    g_t = jax.grad(lambda x: jnp.sum(jaxkl.fused_linear_kl(hid, w, teacher_hidden=x, teacher_weight=tw)))(th)
    assert np.all(np.asarray(g_t) == 0.0)  # the teacher is a constant (documented)


def test_fused_linear_kl_errors(rng):
    hid, w = np.zeros((6, 4), np.float32), np.zeros((4, 10), np.float32)
    with pytest.raises(ValueError, match="teacher"):
        jaxkl.fused_linear_kl(hid, w)
    with pytest.raises(ValueError, match=r"\(6, 10\)"):
        jaxkl.fused_linear_kl(hid, w, teacher_logits=np.zeros((6, 9)))
    with pytest.raises(ValueError, match="do not match"):
        jaxkl.fused_linear_kl(hid, np.zeros((5, 10)), teacher_logits=np.zeros((6, 10)))
    with pytest.raises(ValueError, match="chunk_rows"):
        jaxkl.fused_linear_kl(hid, w, teacher_logits=np.zeros((6, 10)), chunk_rows=4)


@pytest.mark.skipif(jax.default_backend() != "cpu", reason="the budget is checked on XLA:CPU's compilation")
def test_fused_linear_kl_temporaries():
    """N = 4096, H = 2048, V = 131072, float32: beyond the [H, V] weight-gradient
    accumulator (1 GiB), at most 160 MiB of temporaries; matmul + kl_logits keeps at
    least the [N, V] student logits (2 GiB)."""
    n, h, v = 4096, 2048, 131072
    sh, sw, st = (jax.ShapeDtypeStruct(s, jnp.float32) for s in [(n, h), (h, v), (n, v)])

    def temp(f):
        c = (
            jax.jit(jax.value_and_grad(lambda a, b, t: jnp.mean(f(a, b, t)), argnums=(0, 1)))
            .lower(sh, sw, st)
            .compile()
        )
        return c.memory_analysis().temp_size_in_bytes / 2**20

    fused = temp(lambda a, b, t: jaxkl.fused_linear_kl(a, b, teacher_logits=t))
    assert fused <= h * v * 4 / 2**20 + 160, fused
    assert temp(lambda a, b, t: jaxkl.kl_logits(t, a @ b)) >= 2048
