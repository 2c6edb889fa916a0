"""The closed-form KL registry: ``register_kl``, ``kl_divergence``, ``registered_pairs``.

Dispatch is on the two Python types. A pair registered for (P, Q) also serves subclasses
of P and Q (``Exponential`` and ``Chi2`` are subclasses of ``Gamma``, so every Gamma
formula applies to them); among the registered pairs that match, the most specific one
wins: the smallest sum of the distances of P and Q in the method resolution orders of
the argument types, ties broken in favour of the more specific P. The lookup depends only
on the types, so it is cached; registering a pair clears the cache. Nothing about array
values is cached, so it is safe under ``jax.jit`` and ``jax.vmap``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax

__all__ = ["kl_divergence", "register_kl", "registered_pairs"]

_REGISTRY: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable[[Callable], Callable]:
    """Decorator that registers ``fn(p, q)`` as the closed form of KL(p ‖ q) for the pair.

    Example:
        >>> import jax.numpy as jnp
        >>> import jaxkl
        >>> from jaxkl.distributions import Distribution
        >>> class Point(Distribution):
        ...     _params = ("x",)
        ...     def __init__(self, x):
        ...         self._set(x=jnp.asarray(x, float))
        >>> @jaxkl.register_kl(Point, Point)
        ... def _kl_point_point(p, q):
        ...     return jnp.where(p.x == q.x, 0.0, jnp.inf)
        >>> float(jaxkl.kl_divergence(Point(1.0), Point(1.0)))
        0.0
    """
    if not (isinstance(type_p, type) and isinstance(type_q, type)):
        raise TypeError(f"register_kl expects two classes, got {type_p!r} and {type_q!r}")

    def decorator(fn: Callable) -> Callable:
        _REGISTRY[(type_p, type_q)] = fn
        _lookup.cache_clear()
        return fn

    return decorator


def registered_pairs() -> list[tuple[type, type]]:
    """Every registered (P, Q) pair, sorted by the class names."""
    return sorted(_REGISTRY, key=lambda pq: (pq[0].__name__, pq[1].__name__))


def _distance(t: type, base: type) -> int:
    return t.__mro__.index(base)


@functools.cache
def _lookup(tp: type, tq: type) -> Callable | None:
    matches = [
        (_distance(tp, P) + _distance(tq, Q), _distance(tp, P), fn)
        for (P, Q), fn in _REGISTRY.items()
        if issubclass(tp, P) and issubclass(tq, Q)
    ]
    if not matches:
        return None
    return min(matches, key=lambda m: (m[0], m[1]))[2]


def kl_divergence(p, q) -> jax.Array:
    """KL(p ‖ q) in closed form, dispatched on the types of ``p`` and ``q``.

    The result has the broadcast batch shape of ``p`` and ``q`` and their compute dtype
    (float32 for bfloat16/float16 parameters). Pairs whose supports are incompatible give
    ``+inf`` where p puts mass outside q's support. ``registered_pairs()`` lists every
    pair; where none applies, estimate the divergence instead with ``jaxkl.monte_carlo_kl``
    or, for univariate continuous pairs, ``jaxkl.quadrature_kl``.

    Raises:
        NotImplementedError: no closed form is registered for the two types.
    """
    fn = _lookup(type(p), type(q))
    if fn is None:
        raise NotImplementedError(
            f"no closed-form KL is registered for KL({type(p).__name__} ‖ {type(q).__name__}); "
            "estimate it with jaxkl.monte_carlo_kl(p, q, key=..., num_samples=...) or, for univariate "
            "continuous distributions, jaxkl.quadrature_kl(p, q); see jaxkl.registered_pairs() for the closed forms"
        )
    return fn(p, q)
