"""The factorizing families never wedge XLA:CPU (jaxlib 0.10's batched LAPACK kernels).

jaxlib 0.10's CPU LAPACK kernels split a batch onto XLA's intra-op thread pool and block a
pool thread until it is done; with as many such calls in flight as the pool has threads,
``block_until_ready`` never returns. ``jaxkl._factor`` keeps every factorization off those
kernels on CPU for that jaxlib. Two checks:

* structural: the CPU programs of every factorizing public path contain no LAPACK call
  where the kernels can block, and do contain one where they are safe (older jaxlib);
* a stress run in a subprocess under a time limit (batches of 2048, d = 16, jit, vmap,
  grad, jacfwd, two threads with several calls in flight), which wedged on the previous
  formulation within its first steps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaxkl
from jaxkl import _factor
from jaxkl.distributions import (
    Categorical,
    LowRankMultivariateNormal,
    MixtureSameFamily,
    MultivariateNormal,
    MultivariateNormalDiag,
    Wishart,
)

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)

SCRIPT = Path(__file__).with_name("linalg_stress_script.py")


def _spd(rng, batch, d):
    a = rng.standard_normal((batch, d, d))
    return a @ np.swapaxes(a, -1, -2) / d + np.eye(d)


def _programs():
    rng = np.random.default_rng(0)
    b, d = 4, 5
    cov = jnp.asarray(_spd(rng, b, d))
    loc = jnp.asarray(rng.standard_normal((b, d)))
    tril = jnp.linalg.cholesky(cov[:1])[0] + 0 * cov  # one factor, broadcast (a single matrix is safe)
    mvn = {
        "covariance_matrix": MultivariateNormal(loc, covariance_matrix=cov),
        "precision_matrix": MultivariateNormal(loc, precision_matrix=cov),
        "scale_tril": MultivariateNormal(loc, scale_tril=tril),
    }
    lowrank = LowRankMultivariateNormal(loc, jnp.asarray(rng.standard_normal((b, d, 2))), jnp.ones((b, d)))
    diag = MultivariateNormalDiag(loc, jnp.ones((b, d)))
    wish = {
        k: Wishart(d + 2.0, **{k: v}) for k, v in (("scale_matrix", cov), ("rate_matrix", cov), ("scale_tril", tril))
    }
    out = {}
    for kp, p in mvn.items():
        for kq, q in mvn.items():
            out[f"kl mvn {kp} {kq}"] = (jaxkl.kl_divergence, (p, q))
        out[f"kl lowrank mvn {kp}"] = (jaxkl.kl_divergence, (lowrank, p))
        out[f"kl diag mvn {kp}"] = (jaxkl.kl_divergence, (diag, p))
        out[f"log_prob {kp}"] = (lambda d, x: d.log_prob(x), (p, loc))
        out[f"entropy {kp}"] = (lambda d: d.entropy(), (p,))
        out[f"sample {kp}"] = (lambda d: d.sample(jax.random.key(0)), (p,))
        out[f"precision {kp}"] = (lambda d: d.precision_matrix, (p,))
    out["kl lowrank lowrank"] = (jaxkl.kl_divergence, (lowrank, lowrank))
    out["log_prob lowrank"] = (lambda d, x: d.log_prob(x), (lowrank, loc))
    out["precision lowrank"] = (lambda d: d.precision_matrix, (lowrank,))
    for kp, p in wish.items():
        for kq, q in wish.items():
            out[f"kl wishart {kp} {kq}"] = (jaxkl.kl_divergence, (p, q))
        out[f"log_prob wishart {kp}"] = (lambda d, x: d.log_prob(x), (p, cov))
        out[f"entropy wishart {kp}"] = (lambda d: d.entropy(), (p,))
    out["grad kl mvn"] = (
        jax.grad(
            lambda c: jnp.sum(jaxkl.kl_divergence(MultivariateNormal(loc, covariance_matrix=c), mvn["scale_tril"]))
        ),
        (cov,),
    )
    out["grad kl wishart"] = (
        jax.grad(lambda s: jnp.sum(jaxkl.kl_divergence(Wishart(d + 2.0, scale_matrix=s), wish["rate_matrix"]))),
        (cov,),
    )
    out["vmap kl mvn"] = (
        jax.vmap(
            lambda c, m: jaxkl.kl_divergence(
                MultivariateNormal(loc[0], scale_tril=tril[0]), MultivariateNormal(m, covariance_matrix=c)
            )
        ),
        (cov, loc),
    )
    out["jacfwd kl mvn"] = (
        jax.jacfwd(
            lambda c: jaxkl.kl_divergence(MultivariateNormal(loc, covariance_matrix=c), mvn["precision_matrix"])
        ),
        (cov,),
    )
    mix = MixtureSameFamily(
        Categorical(logits=jnp.zeros((2, 2))),
        MultivariateNormal(loc.reshape(2, 2, d), covariance_matrix=cov.reshape(2, 2, d, d)),
    )
    out["monte_carlo_kl mixture"] = (
        lambda p, q: jaxkl.monte_carlo_kl(p, q, key=jax.random.key(0), num_samples=4),
        (mix, MultivariateNormal(loc[:2], covariance_matrix=cov[:2])),
    )
    out["checks positive_definite"] = (
        lambda c: MultivariateNormal(loc, covariance_matrix=c, validate_args=False).scale_tril,
        (cov,),
    )
    return out


def test_cpu_programs_use_lapack_only_where_it_cannot_block():
    if jax.default_backend() != "cpu":
        pytest.skip("checks the CPU lowering")
    programs = _programs()
    seen = {}
    for name, (fn, args) in programs.items():
        seen[name] = "lapack_" in jax.jit(fn).lower(*args).as_text()  # the CPU kernels' FFI targets
    if _factor.CPU_LAPACK_BATCH_MAY_BLOCK:
        assert not any(seen.values()), [k for k, v in seen.items() if v]
    else:  # older jaxlib: the LAPACK kernels are safe and kept
        assert seen["kl mvn covariance_matrix covariance_matrix"]
        assert seen["log_prob covariance_matrix"]


def test_stress_batched_threads_vmap_grad_in_subprocess():
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}  # the library must not need flags
    try:
        r = subprocess.run(
            [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=180, env=env, check=False
        )
    except subprocess.TimeoutExpired as e:
        done = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"stress run wedged (no result within 180 s); completed steps:\n{done}")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    assert r.stdout.strip().endswith("done"), r.stdout[-2000:]
