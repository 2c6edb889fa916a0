"""Test configuration: x64 on (float32 cases use explicit float32 arrays), seeded draws, and
one compilation cache for the run, shared by the xdist workers."""

import os
import shutil
import tempfile

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

# The suite is compile-bound, and a program one module or worker compiles is often compiled
# again by another: xdist hands the tests of one distribution pair to either worker, and
# eager calls compile the same small programs in both. The run's controller makes one cache
# directory (removed when the run ends) and names it in JAX's own environment variables,
# so that every process of the run reads and writes it: the workers, and the subprocesses
# the tests start (notebook kernels, the CLI, the stress run). It starts empty on every run.
_CACHE_ENV = {"JAX_COMPILATION_CACHE_DIR": None, "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0"}


def pytest_configure(config):
    if not hasattr(config, "workerinput"):  # the controller, or a run without xdist
        config._jaxkl_cache = tempfile.mkdtemp(prefix="jaxkl-xla-")
        config._jaxkl_saved_env = {k: os.environ.get(k) for k in _CACHE_ENV}
        os.environ.update({k: v or config._jaxkl_cache for k, v in _CACHE_ENV.items()})
    jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)


def pytest_unconfigure(config):
    cache = getattr(config, "_jaxkl_cache", None)
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)
        for k, v in config._jaxkl_saved_env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _pair_group(callspec_id: str) -> str | None:
    """The pair "P-Q" named by the first two adjacent distribution class names in a test id
    ("P-P" for a lone one), or None."""
    from jaxkl import distributions

    tokens = callspec_id.replace("||", "-").split("-")
    names = [t if isinstance(getattr(distributions, t, None), type) else None for t in tokens]
    for a, b in zip(names, names[1:]):
        if a and b:
            return f"{a}-{b}"
    lone = next((n for n in names if n), None)
    return f"{lone}-{lone}" if lone else None


@pytest.hookimpl(optionalhook=True)  # a run without xdist does not know the hook
def pytest_xdist_make_scheduler(config, log):
    """Under xdist's default ``load`` distribution, the tests of one distribution pair, in
    whichever module, go to one worker as a unit (the pair from the test's parameter id, see
    ``_pair_group``; other tests are scheduled one by one, as ``load`` does): a pair's
    compiled programs (tests/kits.py, eager calls) are then compiled once per run, not by
    both workers at the same time."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PairScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            head, bracket, params = nodeid.partition("[")
            group = _pair_group(params[:-1]) if bracket else None
            return f"pair {group}" if group else nodeid

    return PairScheduling(config, log)


# Tolerances keyed to dtype: (rtol for values, rtol for gradients).
TOL = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.fixture(scope="module")
def mpmath_50_digits():
    """mpmath at 50 significant digits for a module's tests (``pytestmark``), restored after."""
    import mpmath

    with mpmath.workdps(50):
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(20261121)


def random_probs(rng, shape, dtype=np.float64, zeros=0.0):
    """Probability vectors along the last axis, optionally with a fraction of exact zeros."""
    x = rng.gamma(0.7, size=shape)
    if zeros:
        x = np.where(rng.random(shape) < zeros, 0.0, x)
        x[..., 0] += 1.0  # keep every row nonzero
    return (x / x.sum(-1, keepdims=True)).astype(dtype)


# Run by tests/test_linalg_stress.py in a subprocess; importing it would run it.
collect_ignore = ["linalg_stress_script.py"]
