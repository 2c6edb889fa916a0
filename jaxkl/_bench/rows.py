"""Rows of ``python -m jaxkl bench``: logits and probability vectors, closed forms, estimators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .harness import Host, optional, to_numpy, to_torch

TORCH_MISSING = "torch (pip install torch)"


def _torch_kl_logits(a, b):
    import torch

    with torch.no_grad():
        lp = torch.log_softmax(a, -1)
        lq = torch.log_softmax(b, -1)
        return torch.nn.functional.kl_div(lq, lp, reduction="none", log_target=True).sum(-1)


def _torch_kl_logits_grad(a, b):
    import torch

    a, b = a.detach().requires_grad_(), b.detach().requires_grad_()
    lp = torch.log_softmax(a, -1)
    lq = torch.log_softmax(b, -1)
    loss = torch.nn.functional.kl_div(lq, lp, reduction="sum", log_target=True)
    return torch.stack(torch.autograd.grad(loss, (a, b)))


def logits_rows(n: int, v: int):
    """Yield (row title, baseline name, {name: fn}, args, skipped peers)."""
    import jaxkl

    key1, key2 = jax.random.split(jax.random.key(0))
    a = jax.random.normal(key1, (n, v), jnp.float32)
    b = a + 0.5 * jax.random.normal(key2, (n, v), jnp.float32)
    p = jax.nn.softmax(a, axis=-1)
    q = jax.nn.softmax(b, axis=-1)
    optax = optional("optax")
    skipped = [] if optax is not None else ["optax (pip install optax)"]

    torch = optional("torch")
    if torch is None:
        skipped.append(TORCH_MISSING)
    fns = {
        "unguarded sum(p*(log p - log q))": lambda p, q: jnp.sum(p * (jnp.log(p) - jnp.log(q)), axis=-1),
        "jaxkl.kl": lambda p, q: jaxkl.kl(p, q),
        "sum(jax.scipy.special.rel_entr)": lambda p, q: jnp.sum(jax.scipy.special.rel_entr(p, q), axis=-1),
        "scipy.special.rel_entr(...).sum (numpy)": Host(
            lambda p, q: __import__("scipy.special").special.rel_entr(p, q).sum(-1), to_numpy
        ),
    }
    if optax is not None:
        fns["optax.losses.kl_divergence(log q, p)"] = lambda p, q: optax.losses.kl_divergence(jnp.log(q), p)
    if torch is not None:
        fns["torch kl_div(q.log(), p)"] = Host(
            lambda p, q: torch.nn.functional.kl_div(q.log(), p, reduction="none").sum(-1), to_torch
        )
    yield f"kl, probabilities [{n}, {v}] float32, forward", next(iter(fns)), fns, (p, q), skipped

    def naive_logits(a, b):
        lp = jax.nn.log_softmax(a, axis=-1)
        lq = jax.nn.log_softmax(b, axis=-1)
        return jnp.sum(jnp.exp(lp) * (lp - lq), axis=-1)

    fns = {"log_softmax formulation": naive_logits, "jaxkl.kl_logits": lambda a, b: jaxkl.kl_logits(a, b)}
    if optax is not None:
        fns["optax.losses.kl_divergence_with_log_targets"] = lambda a, b: optax.losses.kl_divergence_with_log_targets(
            jax.nn.log_softmax(b, axis=-1), jax.nn.log_softmax(a, axis=-1)
        )
    if torch is not None:
        fns["torch kl_div(log_softmax, log_target=True)"] = Host(_torch_kl_logits, to_torch)
    yield f"kl_logits [{n}, {v}] float32, forward", "log_softmax formulation", fns, (a, b), skipped

    def fwd_bwd(f):
        return lambda a, b: jax.grad(lambda a, b: jnp.sum(f(a, b)), argnums=(0, 1))(a, b)

    fns = {
        "log_softmax formulation": fwd_bwd(naive_logits),
        "jaxkl.kl_logits": fwd_bwd(lambda a, b: jaxkl.kl_logits(a, b)),
    }
    if torch is not None:
        fns["torch kl_div(log_softmax), autograd"] = Host(_torch_kl_logits_grad, to_torch)
    yield f"kl_logits [{n}, {v}] float32, forward+backward", "log_softmax formulation", fns, (a, b), skipped

    a16, b16 = a.astype(jnp.bfloat16), b.astype(jnp.bfloat16)

    def naive_logits32(a, b):
        return naive_logits(a.astype(jnp.float32), b.astype(jnp.float32))

    fns = {
        "log_softmax formulation": fwd_bwd(naive_logits32),
        "jaxkl.kl_logits": fwd_bwd(lambda a, b: jaxkl.kl_logits(a, b)),
    }
    yield f"kl_logits [{n}, {v}] bfloat16, forward+backward", "log_softmax formulation", fns, (a16, b16), []

    def naive_jsd(a, b):
        lp = jax.nn.log_softmax(a, axis=-1)
        lq = jax.nn.log_softmax(b, axis=-1)
        lm = jnp.logaddexp(lp, lq) - jnp.log(2.0)
        return 0.5 * jnp.sum(jnp.exp(lp) * (lp - lm), axis=-1) + 0.5 * jnp.sum(jnp.exp(lq) * (lq - lm), axis=-1)

    fns = {
        "log-space mixture formulation": fwd_bwd(naive_jsd),
        "jaxkl.jsd_logits": fwd_bwd(lambda a, b: jaxkl.jsd_logits(a, b)),
    }
    yield f"jsd_logits [{n}, {v}] float32, forward+backward", "log-space mixture formulation", fns, (a, b), []

    hdim = max(8, v // 64)
    kh, kw = jax.random.split(jax.random.key(1))
    hid = jax.random.normal(kh, (n, hdim), jnp.float32)
    w = jax.random.normal(kw, (hdim, v), jnp.float32) / jnp.sqrt(hdim)

    def lin_grad(f):
        def run(h, w, t):
            gh, gw = jax.grad(lambda h, w: jnp.mean(f(h, w, t)), argnums=(0, 1))(h, w)
            return jnp.concatenate([gh.ravel(), gw.ravel()])

        return run

    fns = {
        "hidden @ weight, log_softmax formulation": lin_grad(lambda h, w, t: naive_logits(t, h @ w)),
        "hidden @ weight, jaxkl.kl_logits": lin_grad(lambda h, w, t: jaxkl.kl_logits(t, h @ w)),
        "jaxkl.fused_linear_kl": lin_grad(lambda h, w, t: jaxkl.fused_linear_kl(h, w, teacher_logits=t)),
    }
    title = f"fused_linear_kl [{n}, {hdim}] @ [{hdim}, {v}] float32, forward+backward"
    yield title, "hidden @ weight, log_softmax formulation", fns, (hid, w, a), []


FASTEST_PEER = "fastest peer"


def distribution_peers():
    """numpyro.distributions, TFP-on-JAX and distrax (``None`` where not installed), and
    the "peer (pip install ...)" lines for the missing ones."""
    numpyro_d = optional("numpyro.distributions")
    tfp = optional("tensorflow_probability.substrates.jax")
    distrax = optional("distrax")
    missing = [
        f"{name} (pip install {pkg})"
        for name, pkg, mod in (
            ("numpyro", "numpyro", numpyro_d),
            ("TFP-on-JAX", "tfp-nightly", tfp),
            ("distrax", "distrax", distrax),
        )
        if mod is None
    ]
    return numpyro_d, tfp, distrax, missing


def closed_form_rows(size: int):
    """Batched closed forms against numpyro, TFP-on-JAX and distrax (baseline: the fastest peer)."""
    import jaxkl
    from jaxkl import distributions as jd

    numpyro_d, tfp, distrax, skipped = distribution_peers()
    torch = optional("torch")
    if torch is None:
        skipped = skipped + [TORCH_MISSING]
    rng = np.random.default_rng(0)

    def pos(lo, hi, shape=(size,)):
        return jnp.asarray(np.exp(rng.uniform(np.log(lo), np.log(hi), shape)), jnp.float32)

    n_dir = max(size // 10, 1)
    families = {
        f"Normal‖Normal closed form, {size:.0e} pairs float32": (
            "Normal",
            lambda: (jnp.asarray(rng.normal(size=size), jnp.float32), pos(0.1, 10.0)),
        ),
        f"Gamma‖Gamma closed form, {size:.0e} pairs float32": ("Gamma", lambda: (pos(0.1, 100.0), pos(0.1, 10.0))),
        f"Beta‖Beta closed form, {size:.0e} pairs float32": ("Beta", lambda: (pos(0.1, 100.0), pos(0.1, 100.0))),
        f"Dirichlet‖Dirichlet closed form, K=32, {n_dir:.0e} pairs float32": (
            "Dirichlet",
            lambda: (pos(0.1, 100.0, (n_dir, 32)),),
        ),
    }
    for title, (name, draw) in families.items():
        args = draw() + draw()
        k = len(args) // 2

        def via(make, kl, k=k):
            return lambda *a: kl(make(*a[:k]), make(*a[k:]))

        fns = {"jaxkl.kl_divergence": via(getattr(jd, name), jaxkl.kl_divergence)}
        if numpyro_d is not None:
            fns["numpyro kl_divergence"] = via(getattr(numpyro_d, name), numpyro_d.kl_divergence)
        if tfp is not None:
            fns["TFP-on-JAX kl_divergence"] = via(getattr(tfp.distributions, name), tfp.distributions.kl_divergence)
        if distrax is not None:
            fns["distrax kl_divergence"] = via(getattr(distrax, name), lambda p, q: p.kl_divergence(q))
        if torch is not None:
            make = getattr(torch.distributions, name)
            fns["torch kl_divergence"] = Host(
                via(lambda *a, make=make: make(*a, validate_args=False), torch.distributions.kl_divergence),
                to_torch,
            )
        yield title, FASTEST_PEER, fns, args, skipped


def estimator_rows(smoke: bool = False):
    """Monte-Carlo, k-NN and quadrature KL against the code a user would write with jax directly."""
    from jaxkl import distributions as jd
    from jaxkl.monte_carlo import monte_carlo_kl
    from jaxkl.quadrature import quadrature_kl
    from jaxkl.sample_based import knn_kl

    rng = np.random.default_rng(0)
    n, d = (1000, 8) if smoke else (100_000, 64)
    covs = []
    for _ in range(2):
        a = rng.normal(size=(d, d))
        covs.append(jnp.asarray(a @ a.T / d + np.eye(d), jnp.float32))
    locs = [jnp.asarray(0.3 * rng.normal(size=d), jnp.float32) for _ in range(2)]

    def obvious_mc(mp, cp, mq, cq, key):
        x = jax.random.multivariate_normal(key, mp, cp, (n,))
        lp = jax.scipy.stats.multivariate_normal.logpdf(x, mp, cp)
        return jnp.mean(lp - jax.scipy.stats.multivariate_normal.logpdf(x, mq, cq))

    def jaxkl_mc(mp, cp, mq, cq, key):
        p = jd.MultivariateNormal(mp, covariance_matrix=cp)
        q = jd.MultivariateNormal(mq, covariance_matrix=cq)
        return monte_carlo_kl(p, q, key=key, num_samples=n)

    fns: dict[str, Callable | Host] = {"jaxkl.monte_carlo_kl": jaxkl_mc, "jax.random + jax.scipy logpdf": obvious_mc}
    args: tuple[Any, ...] = (locs[0], covs[0], locs[1], covs[1], jax.random.key(0))
    yield f"Monte-Carlo KL, MVN d={d}, {n:.0e} samples float32", "jax.random + jax.scipy logpdf", fns, args, []

    n, d = (500, 4) if smoke else (20_000, 16)
    x = jnp.asarray(rng.normal(size=(n, d)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(n, d)) * 1.2 + 0.1, jnp.float32)

    def dense_knn(x, y):
        def sq_dist(a, b):
            return jnp.sum(a * a, 1)[:, None] + jnp.sum(b * b, 1)[None, :] - 2.0 * a @ b.T

        rho = -jax.lax.top_k(-sq_dist(x, x).at[jnp.arange(n), jnp.arange(n)].set(jnp.inf), 1)[0][:, -1]
        nu = -jax.lax.top_k(-sq_dist(x, y), 1)[0][:, -1]
        return 0.5 * d * jnp.mean(jnp.log(nu / rho)) + jnp.log(n / (n - 1))

    def kdtree_knn(x, y):
        from scipy.spatial import cKDTree

        rho = cKDTree(x).query(x, k=2)[0][:, 1]
        nu = cKDTree(y).query(x, k=1)[0]
        return 0.5 * d * np.mean(np.log(nu**2 / rho**2)) + np.log(n / (n - 1))

    fns = {
        "jaxkl.knn_kl": knn_kl,
        "dense distance matrix + top_k": dense_knn,
        "scipy.spatial.cKDTree (numpy)": Host(kdtree_knn, to_numpy),
    }
    yield f"knn_kl, n = m = {n:.0e}, d = {d} float32", "dense distance matrix + top_k", fns, (x, y), []

    n = 100 if smoke else 10_000
    args = tuple(
        jnp.asarray(v, jnp.float32)
        for v in (rng.uniform(3, 10, n), rng.normal(size=n), rng.uniform(0.5, 2, n), rng.normal(size=n))
    ) + (jnp.asarray(rng.uniform(0.5, 2, n), jnp.float32),)
    grid = jnp.linspace(-1.0, 1.0, 2001, dtype=jnp.float32)[1:-1, None]

    def trapezoid(df, m, s, mq, sq):  # x = m + s·tan(πt/2) on a uniform t grid
        x = m + s * jnp.tan(0.5 * jnp.pi * grid)
        dx = s * 0.5 * jnp.pi / jnp.cos(0.5 * jnp.pi * grid) ** 2
        lp = jax.scipy.stats.t.logpdf(x, df, m, s)
        lq = jax.scipy.stats.norm.logpdf(x, mq, sq)
        return jnp.sum(jnp.where(lp > -80.0, jnp.exp(lp) * (lp - lq) * dx, 0.0), 0) * (2.0 / 2000)

    def jaxkl_quad(df, m, s, mq, sq):
        return quadrature_kl(jd.StudentT(df, m, s), jd.Normal(mq, sq))

    fns = {"jaxkl.quadrature_kl": jaxkl_quad, "jnp trapezoid, 2001-point tan grid": trapezoid}
    title = f"quadrature KL, StudentT‖Normal, {n:.0e} pairs float32"
    yield title, "jnp trapezoid, 2001-point tan grid", fns, args, []
