"""Independent: log_prob, entropy and samples as sums over the reinterpreted axes; the pair
Independent ‖ Independent against the sum of the base pair."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as st

from jaxkl.distributions import (
    Gamma,
    Independent,
    MultivariateNormal,
    MultivariateNormalDiag,
    Normal,
)
from jaxkl.registry import kl_divergence

pytestmark = pytest.mark.smoke  # also run on the lowest supported jax (.ci/run)
GROUP = "gaussian"
FAMILY = Independent


def _independent(base):
    """A batch of base distributions (one parameter row per batch entry) as Independent
    normals of event size 3, the size of the Gaussian families' domain points."""
    return Independent(jax.tree.map(lambda v: jnp.broadcast_to(v[:, None], (v.shape[0], 3)), base), 1)


# (base family, wrapper): tests/test_domain.py wraps a batch of the base family's valid and
# out-of-domain points
DOMAIN_WRAPS = [(Normal, _independent)]


def test_log_prob_entropy_sample(rng):
    loc, scale = rng.normal(size=(2, 3)), rng.uniform(0.5, 2, (2, 3))
    d = Independent(Normal(loc, scale), 1)
    assert d.batch_shape == (2,) and d.event_shape == (3,)
    x = rng.normal(size=(2, 3))
    np.testing.assert_allclose(d.log_prob(x), st.norm(loc, scale).logpdf(x).sum(-1), rtol=1e-12)
    np.testing.assert_allclose(d.entropy(), st.norm(loc, scale).entropy().sum(-1), rtol=1e-12)
    np.testing.assert_allclose(d.mean, loc)
    np.testing.assert_allclose(d.variance, scale**2)
    assert d.sample(jax.random.key(0), (4,)).shape == (4, 2, 3)
    d2 = jax.jit(lambda d: d)(d)
    assert isinstance(d2, Independent) and d2.reinterpreted_batch_ndims == 1
    with pytest.raises(ValueError, match="exceeds"):
        Independent(Normal(loc, scale), 3)


def test_kl_independent_independent(rng):
    lp, sp_, lq, sq_ = (
        rng.normal(size=(2, 3)),
        rng.uniform(0.5, 2, (2, 3)),
        rng.normal(size=(2, 3)),
        rng.uniform(0.5, 2, (2, 3)),
    )
    ref = kl_divergence(Normal(lp, sp_), Normal(lq, sq_))
    p1, q1 = Independent(Normal(lp, sp_), 1), Independent(Normal(lq, sq_), 1)
    np.testing.assert_allclose(kl_divergence(p1, q1), ref.sum(-1), rtol=1e-13)
    p2 = Independent(Normal(lp, sp_), 2)
    q2 = Independent(Independent(Normal(lq, sq_), 1), 1)
    np.testing.assert_allclose(kl_divergence(p2, q2), ref.sum(), rtol=1e-13)
    with pytest.raises(ValueError, match="event shapes differ"):
        kl_divergence(p2, q1)
    # numpyro's rule with unequal reinterpreted dims: the excess stays wrapped
    p3 = Independent(MultivariateNormalDiag(lp, sp_), 1)
    np.testing.assert_allclose(kl_divergence(p3, p2.__class__(Normal(lq, sq_), 2)), ref.sum(), rtol=1e-13)
    with pytest.raises(NotImplementedError, match="Independent\\(Gamma, 1\\).*MultivariateNormal"):
        kl_divergence(Independent(Gamma(jnp.ones(3), 1.0), 1), MultivariateNormal(jnp.zeros(3), jnp.eye(3)))
    out = jax.jit(kl_divergence)(p1, q1)
    assert out.shape == (2,)
