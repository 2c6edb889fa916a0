"""``python -m jaxkl bench``: jaxkl against the implementations users would otherwise write.

Each row times several jitted functions on the same inputs, interleaving their runs so
that they see the same machine state, and reports medians and ratios to the row's
baseline (the unguarded formula; for the closed forms, the fastest peer), with the compile
time of each function. Peers that are not installed are reported as skipped, with the
package that would enable them.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np


def _time_interleaved(fns: dict[str, Callable], args, repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """Median run time and compile time (lower + compile) of each function, in seconds."""
    compiled, compile_s = {}, {}
    for name, f in fns.items():
        t0 = time.perf_counter()
        jf = jax.jit(f).lower(*args).compile()
        compile_s[name] = time.perf_counter() - t0
        jax.block_until_ready(jf(*args))  # warm up
        compiled[name] = jf
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, jf in compiled.items():
            t0 = time.perf_counter()
            jax.block_until_ready(jf(*args))
            samples[name].append(time.perf_counter() - t0)
    return {name: float(np.median(s)) for name, s in samples.items()}, compile_s


def _optional(module: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        return None


def _rows(n: int, v: int):
    """Yield (row title, baseline name, {name: fn}, args, skipped peers)."""
    import jaxkl

    key1, key2 = jax.random.split(jax.random.key(0))
    a = jax.random.normal(key1, (n, v), jnp.float32)
    b = a + 0.5 * jax.random.normal(key2, (n, v), jnp.float32)
    p = jax.nn.softmax(a, axis=-1)
    q = jax.nn.softmax(b, axis=-1)
    optax = _optional("optax")
    skipped = [] if optax is not None else ["optax (pip install optax)"]

    fns = {
        "unguarded sum(p*(log p - log q))": lambda p, q: jnp.sum(p * (jnp.log(p) - jnp.log(q)), axis=-1),
        "jaxkl.kl": lambda p, q: jaxkl.kl(p, q),
        "sum(jax.scipy.special.rel_entr)": lambda p, q: jnp.sum(jax.scipy.special.rel_entr(p, q), axis=-1),
    }
    if optax is not None:
        fns["optax.losses.kl_divergence(log q, p)"] = lambda p, q: optax.losses.kl_divergence(jnp.log(q), p)
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
    yield f"kl_logits [{n}, {v}] float32, forward", "log_softmax formulation", fns, (a, b), skipped

    def fwd_bwd(f):
        return lambda a, b: jax.grad(lambda a, b: jnp.sum(f(a, b)), argnums=(0, 1))(a, b)

    fns = {
        "log_softmax formulation": fwd_bwd(naive_logits),
        "jaxkl.kl_logits": fwd_bwd(lambda a, b: jaxkl.kl_logits(a, b)),
    }
    yield f"kl_logits [{n}, {v}] float32, forward+backward", "log_softmax formulation", fns, (a, b), []


FASTEST_PEER = "fastest peer"


def _closed_form_rows(size: int):
    """Batched closed forms against numpyro, TFP-on-JAX and distrax (baseline: the fastest peer)."""
    import jaxkl
    from jaxkl import distributions as jd

    numpyro_d = _optional("numpyro.distributions")
    tfp = _optional("tensorflow_probability.substrates.jax")
    distrax = _optional("distrax")
    skipped = [
        f"{name} (pip install {pkg})"
        for name, pkg, mod in (
            ("numpyro", "numpyro", numpyro_d),
            ("TFP-on-JAX", "tfp-nightly", tfp),
            ("distrax", "distrax", distrax),
        )
        if mod is None
    ]
    rng = np.random.default_rng(0)

    def pos(lo, hi):
        return jnp.asarray(np.exp(rng.uniform(np.log(lo), np.log(hi), size)), jnp.float32)

    families = {
        "Normal": ("Normal", lambda: (jnp.asarray(rng.normal(size=size), jnp.float32), pos(0.1, 10.0))),
        "Gamma": ("Gamma", lambda: (pos(0.1, 100.0), pos(0.1, 10.0))),
        "Beta": ("Beta", lambda: (pos(0.1, 100.0), pos(0.1, 100.0))),
    }
    for fam, (name, draw) in families.items():
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
        yield f"{fam}‖{fam} closed form, {size:.0e} pairs float32", FASTEST_PEER, fns, args, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jaxkl bench", description=__doc__)
    parser.add_argument("--tokens", type=int, default=1024, help="rows of the [tokens, vocab] inputs")
    parser.add_argument("--vocab", type=int, default=32768, help="event size of the [tokens, vocab] inputs")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per function")
    parser.add_argument("--pairs", type=int, default=1_000_000, help="batch size of the closed-form rows")
    parser.add_argument("--rows", default="", help="run only the rows whose title contains this text")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    args = parser.parse_args(argv)

    header = {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "machine": platform.processor() or platform.machine(),
    }
    results = []
    rows = list(_rows(args.tokens, args.vocab)) + list(_closed_form_rows(args.pairs))
    if args.rows:
        rows = [r for r in rows if args.rows.lower() in r[0].lower()]
    for i, (title, baseline, fns, fargs, skipped) in enumerate(rows, 1):
        print(f"[{i}/{len(rows)}] {title} ...", file=sys.stderr, flush=True)
        times, compile_s = _time_interleaved(fns, fargs, args.repeats)
        if baseline == FASTEST_PEER:
            peers = {k: t for k, t in times.items() if not k.startswith("jaxkl")}
            baseline = min(peers, key=peers.get) if peers else next(iter(times))
        base_t = times[baseline]
        results.append(
            {
                "row": title,
                "baseline": baseline,
                "times_ms": {k: 1e3 * t for k, t in times.items()},
                "compile_ms": {k: 1e3 * t for k, t in compile_s.items()},
                "ratio_to_baseline": {k: t / base_t for k, t in times.items()},
                "skipped": skipped,
            }
        )
    if args.json:
        print(json.dumps({"header": header, "rows": results}, indent=2))
        return 0
    print(f"jax {header['jax']} on {header['backend']} ({', '.join(header['devices'])}), {header['machine']}")
    for r in results:
        print(f"\n{r['row']}  (ratio = time / {r['baseline']})")
        width = max(len(k) for k in r["times_ms"])
        for k, t in r["times_ms"].items():
            print(
                f"  {k:<{width}}  {t:9.2f} ms  {r['ratio_to_baseline'][k]:6.2f}x"
                f"   (compile {r['compile_ms'][k]:7.1f} ms)"
            )
        for s in r["skipped"]:
            print(f"  skipped: {s}")
    return 0
