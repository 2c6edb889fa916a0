"""Shared description of a distribution case for the registry table tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np


@dataclasses.dataclass
class Case:
    """A generic interior parameter point and its scipy.stats equivalent.

    ``params(rng)`` returns float64 keyword arguments for the jaxkl class; ``scipy(**params)``
    returns an object with ``logpdf``/``logpmf`` and ``support()`` (a frozen scipy.stats
    distribution or a small stand-in) used to build independent references.
    """

    params: Callable[[np.random.Generator], dict]
    scipy: Callable[..., object]
    discrete: bool = False
