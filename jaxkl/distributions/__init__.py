"""Probability distributions as immutable pytrees (numpyro's names, parameters and order)."""

from ._base import Distribution as Distribution

__all__ = ["Distribution"]
