"""Finite mixtures of distributions of one family: MixtureSameFamily.

A mixture has no closed-form KL; ``jaxkl.monte_carlo_kl`` estimates it from ``sample`` and
``log_prob`` (and ``jaxkl.quadrature_kl`` integrates univariate ones).
"""

from __future__ import annotations

from typing import cast

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from .._math import compute_dtype
from ._base import Distribution
from ._support import CIRCLE, INTERVAL, LOWER, Support, expand_last, x_of_y
from .categorical import Categorical

__all__ = ["MixtureSameFamily"]


def expand_batch(d: Distribution, batch_shape: tuple[int, ...]) -> Distribution:
    """``d`` with every parameter broadcast to ``batch_shape`` (plus its event dims)."""
    if tuple(d.batch_shape) == tuple(batch_shape):
        return d
    leaves: list[Distribution | jax.Array | None] = []
    for name in type(d)._params:
        v = getattr(d, name)
        if v is None:
            leaves.append(None)
        elif isinstance(v, Distribution):
            leaves.append(expand_batch(v, batch_shape))
        else:
            v = jnp.asarray(v)
            nd = d._param_event_ndims(name)
            leaves.append(jnp.broadcast_to(v, tuple(batch_shape) + v.shape[v.ndim - nd :]))
    return type(d)._rebuild(tuple(getattr(d, n) for n in type(d)._static), leaves)


class MixtureSameFamily(Distribution):
    r"""Mixture of K distributions of one family with Categorical weights.

    $$
    p(x) = \sum_{k=1}^{K} w_k\, p_k(x),
    $$

    with w the probabilities of ``mixing_distribution`` and p_k the
    k-th member of ``component_distribution`` along the last axis of its batch shape.
    ``log_prob`` is logsumexp_k(log w_k + log p_k(x)). ``mean`` is Σ_k w_k·μ_k and
    ``variance`` Σ_k w_k·(σ_k² + (μ_k − μ)²) (element-wise for vector or matrix events),
    both inheriting NaN/inf where a component's moment is undefined.

    Args:
        mixing_distribution: a ``Categorical`` over K components, batch shape broadcasting
            against the mixture's batch shape.
        component_distribution: any jaxkl distribution with batch shape ``batch + (K,)``.

    ``batch_shape`` broadcasts the mixing batch shape with the component batch shape
    less its last axis; ``event_shape`` is the component's. ``sample`` draws a component
    index and a draw from every component and keeps the selected one: it is not
    reparameterized (the choice of component is discrete). ``entropy`` has no closed form
    and raises ``NotImplementedError``.

    Raises:
        TypeError: the mixing distribution is not a Categorical, or the component is not
            a jaxkl distribution.
        ValueError: the number of categories of the mixing distribution differs from the
            size of the last component batch axis.

    Examples:
        >>> from jaxkl.distributions import Categorical, MixtureSameFamily, Normal
        >>> d = MixtureSameFamily(Categorical(probs=[0.3, 0.7]), Normal([-1.0, 2.0], [1.0, 0.5]))
        >>> round(float(d.log_prob(0.0)), 4)  # log(0.3·N(0; −1, 1) + 0.7·N(0; 2, 0.5)) with scipy.stats.norm.pdf
        -2.6203
        >>> round(float(d.mean), 4)  # 0.3·(−1) + 0.7·2
        1.1
    """

    mixing_distribution: Categorical
    component_distribution: Distribution
    reparameterized = False

    @property
    def support(self) -> Support | None:
        """The components' support, its ends the lowest and highest over the components (an
        interval for components on a circle)."""
        comp = self.component_distribution.support
        if comp is None:
            return None
        kind, lo, hi = comp
        if kind == CIRCLE:
            kind = INTERVAL
        if kind == LOWER:
            return Support(kind, jnp.min(jnp.asarray(lo, self.dtype), axis=-1) if jnp.ndim(lo) else lo, hi)
        if kind == INTERVAL:
            lo_ = jnp.min(jnp.asarray(lo, self.dtype), axis=-1) if jnp.ndim(lo) else lo
            hi_ = jnp.max(jnp.asarray(hi, self.dtype), axis=-1) if jnp.ndim(hi) else hi
            return Support(kind, lo_, hi_)
        return Support(kind, lo, hi)

    @property
    def heavy_tailed(self) -> bool:  # type: ignore[override]
        return self.component_distribution.heavy_tailed

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        """The pooled centre and spread of the components' centres and widths."""
        kind, lo, hi = support
        ck, sk = self.component_distribution.quadrature_centre(Support(kind, expand_last(lo), expand_last(hi)))
        w = self.mixing_distribution.probs.astype(self.dtype)
        c = jnp.sum(w * ck, axis=-1)
        v = jnp.sum(w * (sk * sk + (ck - c[..., None]) ** 2), axis=-1)
        return c, jnp.sqrt(v)

    def kinks(self) -> list[tuple[jax.Array, bool]]:
        """The components' centres and the components' own kinks (one trailing axis each)."""
        comp = self.component_distribution
        kind, lo, hi = cast(Support, comp.support)
        ck, _ = comp.quadrature_centre(cast(Support, comp.support))
        return [(x_of_y(ck, kind, lo, hi), True)] + [(v, True) for v, _ in comp.kinks()]

    def __init__(self, mixing_distribution: Categorical, component_distribution: Distribution):
        if not isinstance(mixing_distribution, Categorical):
            raise TypeError(
                "MixtureSameFamily: `mixing_distribution` must be a Categorical, "
                f"got {type(mixing_distribution).__name__}"
            )
        if not isinstance(component_distribution, Distribution):
            raise TypeError(
                "MixtureSameFamily: `component_distribution` must be a jaxkl distribution, "
                f"got {type(component_distribution).__name__}"
            )
        cb = tuple(component_distribution.batch_shape)
        k = mixing_distribution.num_categories
        if len(cb) < 1 or cb[-1] != k:
            raise ValueError(
                f"MixtureSameFamily: `mixing_distribution` has {k} categories (shape "
                f"{tuple(mixing_distribution.batch_shape) + (k,)}) but `component_distribution` has batch "
                f"shape {cb}; its last batch axis must be the {k} components"
            )
        jnp.broadcast_shapes(tuple(mixing_distribution.batch_shape), cb[:-1])
        self._set(mixing_distribution=mixing_distribution, component_distribution=component_distribution)

    @property
    def _param_arrays(self) -> list:
        return jax.tree.leaves((self.mixing_distribution, self.component_distribution))

    def in_domain(self) -> jax.Array:
        """The mixing distribution's domain, and every component's."""
        comp = self.component_distribution
        ok = jnp.all(jnp.broadcast_to(comp.in_domain(), comp.batch_shape), axis=-1)
        return ok & self.mixing_distribution.in_domain()

    @property
    def num_components(self) -> int:
        return self.mixing_distribution.num_categories

    @property
    def batch_shape(self) -> tuple[int, ...]:
        return tuple(
            jnp.broadcast_shapes(
                tuple(self.mixing_distribution.batch_shape), tuple(self.component_distribution.batch_shape)[:-1]
            )
        )

    @property
    def event_shape(self) -> tuple[int, ...]:
        return tuple(self.component_distribution.event_shape)

    @property
    def dtype(self):
        return compute_dtype(self.mixing_distribution.dtype, self.component_distribution.dtype)

    def _log_weights(self) -> jax.Array:
        """log w ``[..., K]`` with a trailing axis per event dim."""
        lw = self.mixing_distribution.log_probs.astype(self.dtype)
        return lw.reshape(lw.shape + (1,) * len(self.event_shape))

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        ne = len(self.event_shape)
        if x.ndim < ne or tuple(x.shape[x.ndim - ne :]) != self.event_shape:
            raise ValueError(
                f"MixtureSameFamily.log_prob: the value must end with the event shape {self.event_shape}; "
                f"got shape {x.shape}"
            )
        lp = self.component_distribution.log_prob(jnp.expand_dims(x, x.ndim - ne)).astype(self.dtype)
        lw = self.mixing_distribution.log_probs.astype(self.dtype)
        return jax.nn.logsumexp(lp + lw, axis=-1)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        ne = len(self.event_shape)
        batch = self.batch_shape
        sample_only = shape[: len(shape) - ne - len(batch)]
        k_idx, k_comp = jax.random.split(key)
        lw = jnp.broadcast_to(self.mixing_distribution.log_probs, batch + (self.num_components,))
        idx = jax.random.categorical(k_idx, lw, axis=-1, shape=sample_only + batch)
        comp = expand_batch(self.component_distribution, batch + (self.num_components,))
        xs = comp.sample(k_comp, sample_only)  # sample + batch + (K,) + event
        idx = idx.reshape(idx.shape + (1,) * (ne + 1))
        axis = len(sample_only) + len(batch)
        return jnp.squeeze(jnp.take_along_axis(xs, idx, axis=axis), axis)

    def entropy(self) -> jax.Array:
        raise NotImplementedError(
            "MixtureSameFamily.entropy has no closed form; estimate it as -mean(log_prob(samples))"
        )

    @property
    def mean(self) -> jax.Array:
        w = jnp.exp(self._log_weights())
        axis = -1 - len(self.event_shape)
        return jnp.sum(w * self.component_distribution.mean.astype(self.dtype), axis=axis)

    @property
    def variance(self) -> jax.Array:
        w = jnp.exp(self._log_weights())
        axis = -1 - len(self.event_shape)
        mu_k = self.component_distribution.mean.astype(self.dtype)
        var_k = self.component_distribution.variance.astype(self.dtype)
        mu = jnp.sum(w * mu_k, axis=axis, keepdims=True)
        dev = mu_k - mu
        return jnp.sum(w * (var_k + dev * dev), axis=axis)
