"""Stress run of the factorizing families (run by tests/test_linalg_stress.py in a subprocess).

Batched multivariate-normal and Wishart KLs, log-densities, entropies and samples, under
jit, vmap and grad, several calls in flight from two threads at once: the workload that
made jaxlib 0.10's CPU LAPACK kernels deadlock XLA's intra-op thread pool. Prints one
``ok <name>`` line per completed step; the parent kills the process if it stops making
progress. Exit status 0 when every value is finite and the covariance KL matches a
float64 NumPy reference.
"""

from __future__ import annotations

import sys
import threading

import jax
import jax.numpy as jnp
import numpy as np

import jaxkl
from jaxkl.distributions import (
    Categorical,
    LowRankMultivariateNormal,
    MixtureSameFamily,
    MultivariateNormal,
    MultivariateNormalDiag,
    Wishart,
)

BATCH, D, ROUNDS = 2048, 16, int(sys.argv[1]) if len(sys.argv) > 1 else 6
rng = np.random.default_rng(7)


def spd(batch, d):
    a = rng.standard_normal((batch, d, d))
    return (a @ np.swapaxes(a, -1, -2) / d + 0.5 * np.eye(d)).astype(np.float32)


def reference_kl(m0, s0, m1, s1):
    """KL(N(m0, s0) ‖ N(m1, s1)) in float64 NumPy (textbook formula, well-conditioned inputs)."""
    m0, s0, m1, s1 = (np.asarray(x, np.float64) for x in (m0, s0, m1, s1))
    s1inv = np.linalg.inv(s1)
    dm = m1 - m0
    tr = np.einsum("...ij,...ji->...", s1inv, s0)
    maha = np.einsum("...i,...ij,...j->...", dm, s1inv, dm)
    logdet = np.linalg.slogdet(s1)[1] - np.linalg.slogdet(s0)[1]
    return 0.5 * (tr + maha - s0.shape[-1] + logdet)


cov_p, cov_q = spd(BATCH, D), spd(BATCH, D)
loc_p = rng.standard_normal((BATCH, D)).astype(np.float32)
loc_q = rng.standard_normal((BATCH, D)).astype(np.float32)
tril_p, tril_q = np.linalg.cholesky(cov_p), np.linalg.cholesky(cov_q)
prec_p, prec_q = np.linalg.inv(cov_p).astype(np.float32), np.linalg.inv(cov_q).astype(np.float32)
w_p = rng.standard_normal((BATCH, D, 4)).astype(np.float32)
w_q = rng.standard_normal((BATCH, D, 4)).astype(np.float32)
diag = rng.uniform(0.5, 2.0, (BATCH, D)).astype(np.float32)

pairs = {
    "covariance": (
        MultivariateNormal(loc_p, covariance_matrix=cov_p),
        MultivariateNormal(loc_q, covariance_matrix=cov_q),
    ),
    "precision": (
        MultivariateNormal(loc_p, precision_matrix=prec_p),
        MultivariateNormal(loc_q, precision_matrix=prec_q),
    ),
    "scale_tril": (MultivariateNormal(loc_p, scale_tril=tril_p), MultivariateNormal(loc_q, scale_tril=tril_q)),
    "lowrank": (LowRankMultivariateNormal(loc_p, w_p, diag), LowRankMultivariateNormal(loc_q, w_q, diag)),
    "lowrank-covariance": (
        LowRankMultivariateNormal(loc_p, w_p, diag),
        MultivariateNormal(loc_q, covariance_matrix=cov_q),
    ),
    "diag-covariance": (MultivariateNormalDiag(loc_p, diag), MultivariateNormal(loc_q, covariance_matrix=cov_q)),
    "wishart-scale": (Wishart(D + 3.0, scale_matrix=cov_p), Wishart(D + 5.0, scale_matrix=cov_q)),
}

kl = jax.jit(jaxkl.kl_divergence)


def step(name, fn):
    out = jax.block_until_ready(fn())
    for leaf in jax.tree_util.tree_leaves(out):
        if not np.all(np.isfinite(np.asarray(leaf))):
            raise SystemExit(f"{name}: non-finite values")
    print("ok", name, flush=True)
    return out


# 1. Every pair, batched and jitted, checked against a float64 reference.
for name, (p, q) in pairs.items():
    step(f"kl {name}", lambda p=p, q=q: kl(p, q))
value = np.asarray(kl(*pairs["covariance"]), np.float64)
want = reference_kl(loc_p, cov_p, loc_q, cov_q)
err = np.max(np.abs(value - want) / want)
if err > 1e-4:
    raise SystemExit(f"covariance KL differs from the float64 reference: max relative error {err:.2e}")

# 2. Several computations in flight at once, from two threads.
errors: list[BaseException] = []


def worker(names):
    try:
        for _ in range(ROUNDS):
            outs = [kl(*pairs[n]) for n in names]  # dispatched asynchronously, then waited on
            jax.block_until_ready(outs)
    except BaseException as e:  # noqa: BLE001 - reported by the main thread
        errors.append(e)


threads = [
    threading.Thread(target=worker, args=(["covariance", "wishart-scale", "lowrank"],)),
    threading.Thread(target=worker, args=(["precision", "scale_tril", "lowrank-covariance"],)),
]
for t in threads:
    t.start()
for t in threads:
    t.join()
if errors:
    raise errors[0]
print("ok threads", flush=True)

# 3. Densities, entropies and samples of the batched distributions.
x = jnp.asarray(rng.standard_normal((3, BATCH, D)), jnp.float32)
for name in ("covariance", "lowrank"):
    p, _ = pairs[name]
    step(f"log_prob {name}", lambda p=p: jax.jit(lambda d, x: d.log_prob(x))(p, x))
    step(f"entropy {name}", lambda p=p: jax.jit(lambda d: d.entropy())(p))
    step(f"sample {name}", lambda p=p: jax.jit(lambda d: d.sample(jax.random.key(0), (2,)))(p))

# 4. vmap over unbatched distributions, and gradients through batched ones.
p0 = MultivariateNormal(loc_p[0], covariance_matrix=cov_p[0])
step(
    "vmap kl",
    lambda: jax.jit(jax.vmap(lambda c, m: jaxkl.kl_divergence(p0, MultivariateNormal(m, covariance_matrix=c))))(
        cov_q, loc_q
    ),
)


def kl_sum(c_p, c_q):
    return jnp.sum(
        jaxkl.kl_divergence(
            MultivariateNormal(loc_p, covariance_matrix=c_p), MultivariateNormal(loc_q, covariance_matrix=c_q)
        )
    )


step("grad kl covariance", lambda: jax.jit(jax.grad(kl_sum, argnums=(0, 1)))(cov_p, cov_q))
step(
    "jacfwd kl covariance",
    lambda: jax.jit(
        jax.jacfwd(
            lambda c: jaxkl.kl_divergence(
                MultivariateNormal(loc_p[:8], covariance_matrix=c),
                MultivariateNormal(loc_q[:8], covariance_matrix=cov_q[:8]),
            )
        )
    )(cov_p[:8]),
)

# 5. Monte Carlo through a mixture of multivariate normals.
mix = MixtureSameFamily(
    Categorical(logits=jnp.zeros((64, 3))),
    MultivariateNormal(jnp.asarray(loc_p[:192].reshape(64, 3, D)), covariance_matrix=cov_p[:192].reshape(64, 3, D, D)),
)
ref = MultivariateNormal(loc_q[:64], covariance_matrix=cov_q[:64])
step(
    "monte_carlo_kl mixture",
    lambda: jax.jit(lambda p, q: jaxkl.monte_carlo_kl(p, q, key=jax.random.key(1), num_samples=64))(mix, ref),
)

print("done", flush=True)
