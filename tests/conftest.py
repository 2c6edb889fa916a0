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
