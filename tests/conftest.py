"""Test configuration: x64 on (float32 cases use explicit float32 arrays), seeded draws."""

import jax
import numpy as np
import pytest

jax.config.update("jax_enable_x64", True)

# Tolerances keyed to dtype: (rtol for values, rtol for gradients).
TOL = {np.float32: 2e-5, np.float64: 1e-12}


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


def _pair_key(item) -> str | None:
    """The distribution pair a parametrized closed-form test is about, if any."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "P" in params:
        return f"{params['P'].__name__}-{params.get('Q', params['P']).__name__}"
    if "pair" in params:
        return str(getattr(params["pair"], "id", params["pair"]))
    if "name" in params and item.module.__name__.startswith("test_kl_"):
        return str(params["name"])
    return None


def pytest_collection_modifyitems(config, items):
    """The modules cache one compiled program per distribution pair and share it across their
    tests; with ``--dist loadgroup`` the tests of one pair run in the same worker, so that
    each program is compiled once per run rather than once per worker."""
    for item in items:
        key = _pair_key(item)
        if key is not None:
            item.add_marker(pytest.mark.xdist_group(f"{item.module.__name__}:{key}"))
