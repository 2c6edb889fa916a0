"""Independent: reinterpret batch axes of a distribution as event axes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._base import Distribution, Static

__all__ = ["Independent"]


class Independent(Distribution):
    """The rightmost ``reinterpreted_batch_ndims`` batch axes of ``base_distribution`` taken
    as event axes: log_prob and entropy are summed over them.

    Args:
        base_distribution: any jaxkl distribution.
        reinterpreted_batch_ndims: how many batch axes become event axes (0 ≤ n ≤ the base's
            batch rank).

    ``sample`` is the base's sample (reparameterized when the base's is). The object is a
    pytree whose only child is the base distribution.

    Examples:
        >>> import jax.numpy as jnp
        >>> from jaxkl.distributions import Independent, Normal
        >>> d = Independent(Normal(jnp.zeros(3), 1.0), 1)
        >>> d.batch_shape, d.event_shape
        ((), (3,))
        >>> round(float(d.log_prob(jnp.zeros(3))), 4)  # 3 · scipy.stats.norm.logpdf(0) = −1.5·log 2π
        -2.7568
    """

    base_dist: Distribution
    reinterpreted_batch_ndims: Static[int]

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int, *, validate_args: bool = False):
        if not isinstance(base_distribution, Distribution):
            raise TypeError(
                f"Independent: `base_distribution` must be a distribution, got {type(base_distribution).__name__}"
            )
        n = reinterpreted_batch_ndims
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(f"Independent: `reinterpreted_batch_ndims` must be a non-negative int, got {n!r}")
        if n > len(base_distribution.batch_shape):
            raise ValueError(
                f"Independent: `reinterpreted_batch_ndims`={n} exceeds the batch rank of the base distribution "
                f"(batch shape {base_distribution.batch_shape})"
            )
        self._set(base_dist=base_distribution, reinterpreted_batch_ndims=int(n))

    @property
    def reparameterized(self) -> bool:  # type: ignore[override]
        return type(self.base_dist).reparameterized

    @property
    def arg_constraints(self) -> dict:  # type: ignore[override]
        return {}

    def in_domain(self) -> jax.Array:
        """The base distribution's domain, every reinterpreted entry inside it."""
        ok = jnp.broadcast_to(self.base_dist.in_domain(), self.base_dist.batch_shape)
        return jnp.all(ok, axis=tuple(range(-self.reinterpreted_batch_ndims, 0)))

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"

    @property
    def batch_shape(self) -> tuple[int, ...]:
        bs = self.base_dist.batch_shape
        return tuple(bs[: len(bs) - self.reinterpreted_batch_ndims])

    @property
    def event_shape(self) -> tuple[int, ...]:
        bs = self.base_dist.batch_shape
        return tuple(bs[len(bs) - self.reinterpreted_batch_ndims :]) + tuple(self.base_dist.event_shape)

    @property
    def dtype(self) -> np.dtype:
        return self.base_dist.dtype

    def _sum(self, x: jax.Array) -> jax.Array:
        n = self.reinterpreted_batch_ndims
        return jnp.sum(x, axis=tuple(range(-n, 0))) if n else x

    def log_prob(self, x: ArrayLike) -> jax.Array:
        return self._sum(self.base_dist.log_prob(x))

    def entropy(self) -> jax.Array:
        return self._sum(jnp.broadcast_to(self.base_dist.entropy(), self.base_dist.batch_shape))

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        return self.base_dist.sample(key, sample_shape)

    @property
    def mean(self) -> jax.Array:
        return self.base_dist.mean

    @property
    def variance(self) -> jax.Array:
        return self.base_dist.variance
