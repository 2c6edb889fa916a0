"""``python -m jaxkl bench``: jaxkl against the implementations users would otherwise write.

Each row times several functions on the same inputs, interleaving their runs so that
they see the same machine state, and reports medians and ratios to the row's baseline
(the unguarded formula; for the closed forms, the fastest peer), with the compile time of
each jitted function (a function taking over a second per call is timed 3 times instead
of ``--repeats``). The JAX peers (jax.scipy, optax, numpyro, TFP-on-JAX, distrax) are
jitted; scipy and torch run eagerly on the same values (torch on its CPU tensors).
Peers that are not installed are reported as skipped, with the package that would enable
them (``pip install -e ".[bench]"`` installs them all, torch pinned to 2.13.0). Progress
goes to stderr; ``--json`` prints the results as JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp

from .harness import Host, progress, time_interleaved
from .mvn import CHECKED_ROWS, mvn_rows
from .rows import FASTEST_PEER, closed_form_rows, estimator_rows, logits_rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m jaxkl bench", description=__doc__)
    parser.add_argument("--tokens", type=int, default=1024, help="rows of the [tokens, vocab] inputs")
    parser.add_argument("--vocab", type=int, default=32768, help="event size of the [tokens, vocab] inputs")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per function")
    parser.add_argument("--pairs", type=int, default=1_000_000, help="batch size of the closed-form rows")
    parser.add_argument("--rows", default="", help="run only the rows whose title contains this text")
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON instead of a table")
    parser.add_argument("--smoke", action="store_true", help="tiny multivariate and estimator rows (a quick check)")
    args = parser.parse_args(argv)

    header: dict[str, Any] = {
        "jax": jax.__version__,
        "backend": jax.default_backend(),
        "devices": [str(d) for d in jax.devices()],
        "machine": platform.processor() or platform.machine(),
    }
    results = []
    rows = (
        list(logits_rows(args.tokens, args.vocab))
        + list(closed_form_rows(args.pairs))
        + list(mvn_rows(args.smoke))
        + list(estimator_rows(args.smoke))
    )
    if args.rows:
        rows = [r for r in rows if args.rows.lower() in r[0].lower()]
    bandwidth = None  # bytes/s of a read+write pass over a [tokens, vocab] float32 array
    if any(r[0].startswith(("kl_logits", "jsd_logits")) for r in rows):
        x = jnp.ones((args.tokens, args.vocab), jnp.float32)
        t_copy, _, _ = time_interleaved({"x + 1": lambda x: x + 1.0}, (x,), args.repeats)
        bandwidth = 2 * x.size * 4 / t_copy["x + 1"]
        header["measured_bandwidth_GBps"] = bandwidth / 1e9
    t_start = time.perf_counter()
    for i, (title, baseline, fns, fargs, skipped) in enumerate(rows):
        progress(i, len(rows), title, time.perf_counter() - t_start)
        check = next((k for k in fns if k.startswith("jaxkl")), None) if title in CHECKED_ROWS else None
        times, compile_s, rejected = time_interleaved(fns, fargs, args.repeats, check)
        skipped = list(skipped) + [f"{k} ({why})" for k, why in rejected.items()]
        if baseline == FASTEST_PEER:
            peers = {k: t for k, t in times.items() if not k.startswith("jaxkl")}
            baseline = min(peers, key=cast("Callable[[str], float]", peers.get)) if peers else next(iter(times))
        base_t = times[baseline]
        notes = []
        jk = next((k for k in times if k.startswith("jaxkl")), None)
        if bandwidth is not None and jk is not None and title.startswith(("kl_logits", "jsd_logits")):
            nv_bytes = fargs[0].size * fargs[0].dtype.itemsize
            passes = times[jk] * bandwidth / nv_bytes
            notes.append(f"{jk}: time = {passes:.1f} passes of N·V·bytes at the measured bandwidth")
            if "forward+backward" not in title:
                frac = 2 * nv_bytes / times[jk] / bandwidth
                notes.append(f"{jk}: reads both inputs at {100 * frac:.0f}% of the measured bandwidth")
        results.append(
            {
                "row": title,
                "notes": notes,
                "baseline": baseline,
                "times_ms": {k: 1e3 * t for k, t in times.items()},
                "compile_ms": {k: 1e3 * t for k, t in compile_s.items()},
                "ratio_to_baseline": {k: t / base_t for k, t in times.items()},
                "skipped": skipped,
                "eager": [k for k in times if isinstance(fns[k], Host)],
            }
        )
    progress(len(rows), len(rows), "done", time.perf_counter() - t_start)
    if args.json:
        print(json.dumps({"header": header, "rows": results}, indent=2))
        return 0
    print(f"jax {header['jax']} on {header['backend']} ({', '.join(header['devices'])}), {header['machine']}")
    for r in results:
        print(f"\n{r['row']}  (ratio = time / {r['baseline']})")
        width = max(len(k) for k in r["times_ms"])
        for k, t in r["times_ms"].items():
            how = "eager, not jitted" if k in r["eager"] else f"compile {r['compile_ms'][k]:7.1f} ms"
            print(f"  {k:<{width}}  {t:9.2f} ms  {r['ratio_to_baseline'][k]:6.2f}x   ({how})")
        for s in r["skipped"]:
            print(f"  skipped: {s}")
        for s in r["notes"]:
            print(f"  {s}")
    if "measured_bandwidth_GBps" in header:
        print(
            "\nmeasured bandwidth (x + 1 on a [tokens, vocab] float32 array): "
            f"{header['measured_bandwidth_GBps']:.1f} GB/s"
        )
    return 0
