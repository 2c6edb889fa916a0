"""Timing for ``python -m jaxkl bench``: interleaved runs, host-side peers, optional imports, progress."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import numpy as np


class Host:
    """A peer that is not a JAX function (scipy, torch): ``fn`` runs on the host, on the
    row's arguments converted once by ``convert`` (e.g. to numpy arrays or torch tensors);
    ``fn`` must return something ``np.asarray`` reads."""

    def __init__(self, fn: Callable, convert: Callable):
        self.fn, self.convert = fn, convert


_SLOW_REPEATS = 3


def to_numpy(x):
    return np.asarray(x)


def to_torch(x):
    import torch

    return torch.from_numpy(np.array(x))


def time_interleaved(
    fns: dict[str, Callable | Host], args, repeats: int, check: str | None = None, rtol: float = 1e-3
) -> tuple[dict[str, float], dict[str, float], dict[str, str]]:
    """Median run time and compile time (lower + compile) of each function, in seconds.

    JAX functions are jitted; ``Host`` peers run as they are (their "compile" time is the
    conversion of the arguments). With ``check`` (the name of one of ``fns``), every other
    function's warm-up result must agree with that one's to ``rtol`` relative (max over
    elements); one that does not is left out of the timing and returned in the third dict
    with the reason, so that a row never compares different quantities.
    """
    compiled, compile_s, outputs, rejected, limit = {}, {}, {}, {}, {}
    for name, f in fns.items():
        t0 = time.perf_counter()
        run: Callable[[], Any]
        if isinstance(f, Host):
            host_args = tuple(f.convert(a) for a in args)

            def run(f=f, host_args=host_args):
                return f.fn(*host_args)

        else:
            jf = jax.jit(f).lower(*args).compile()

            def run(jf=jf):
                return jax.block_until_ready(jf(*args))

        compile_s[name] = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = run()  # warm up
        # A function that takes seconds per call is timed _SLOW_REPEATS times, not `repeats`.
        limit[name] = repeats if time.perf_counter() - t0 < 1.0 else min(repeats, _SLOW_REPEATS)
        outputs[name] = np.asarray(out.detach().numpy() if hasattr(out, "detach") else out, np.float64)
        compiled[name] = run
    if check is not None:
        ref = outputs[check]
        for name in list(compiled):
            err = float(np.max(np.abs(outputs[name] - ref) / np.maximum(np.abs(ref), 1e-30), initial=0.0))
            if not err <= rtol:  # also catches nan
                rejected[name] = f"value differs from {check}: max relative difference {err:.1e}"
                del compiled[name], compile_s[name]
    samples: dict[str, list[float]] = {name: [] for name in compiled}
    for i in range(repeats):
        for name, run in compiled.items():
            if i >= limit[name]:
                continue
            t0 = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - t0)
    return {name: float(np.median(s)) for name, s in samples.items()}, compile_s, rejected


def optional(module: str):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        return None


def progress(done: int, total: int, title: str, elapsed: float, width: int = 24) -> None:
    """A progress bar on stderr (redrawn in place on a terminal, one line per row otherwise),
    so that stdout carries only the table or the JSON."""
    filled = width * done // max(total, 1)
    line = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}  {elapsed:6.1f} s  {title}"
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r{line[:120]:<120}", end=end, file=sys.stderr, flush=True)
    else:
        print(line, file=sys.stderr, flush=True)
