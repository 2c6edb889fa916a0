"""The Wishart distribution over symmetric positive-definite d × d matrices.

Parameterized as in numpyro: degrees of freedom ``concentration`` n > d − 1 and exactly one
of ``scale_matrix`` V, ``rate_matrix`` V⁻¹ or ``scale_tril`` (the lower Cholesky factor L of
V). The object stores the matrix it was given (the other slots are ``None``) and derives
the others from it through Cholesky factors and triangular solves, never a general
inverse or determinant.
"""

from __future__ import annotations

from typing import cast

import jax
import jax.numpy as jnp
from jax.scipy.special import digamma, gammaln
from jax.typing import ArrayLike

from .._factor import cholesky, positive_diagonal, tril_inverse, tril_solve
from .._math import LN2, LOG_PI
from ._base import Distribution, matrix_constraints, promote_params

__all__ = ["Wishart"]

_MATRICES = ("_scale_matrix", "_rate_matrix", "_scale_tril")


def multigammaln(a: jax.Array, d: int) -> jax.Array:
    """log Γ_d(a) = d(d − 1)/4·log π + Σ_{i=0}^{d−1} lgamma(a − i/2) (one lgamma over a trailing axis)."""
    return d * (d - 1) / 4.0 * LOG_PI + jnp.sum(gammaln(shifted_halves(a, d)), axis=-1)


def shifted_halves(a: jax.Array, d: int) -> jax.Array:
    """[..., d]: a − i/2 for i = 0, …, d − 1."""
    a = jnp.asarray(a)
    return a[..., None] - 0.5 * jnp.arange(d, dtype=jnp.result_type(a.dtype, float))


def _eye_like(m: jax.Array) -> jax.Array:
    return jnp.broadcast_to(jnp.eye(m.shape[-1], dtype=m.dtype), m.shape)


def cholesky_of_inverse(r: jax.Array) -> jax.Array:
    """Lower Cholesky factor of R⁻¹ for SPD R, without forming R⁻¹.

    With the reversal J (J·R·J = Lf·Lfᵀ lower Cholesky), R = U·Uᵀ for the upper triangular
    U = J·Lf·J, so R⁻¹ = U⁻ᵀ·U⁻¹ and U⁻ᵀ (lower, positive diagonal) is the factor: one
    Cholesky and one triangular solve.
    """
    lf = cholesky(jnp.flip(r, (-2, -1)))
    u = jnp.flip(lf, (-2, -1))
    return tril_inverse(jnp.swapaxes(u, -1, -2))  # U⁻ᵀ = (Uᵀ)⁻¹, Uᵀ lower triangular


def _tril_logdet(tril: jax.Array) -> jax.Array:
    """log det(L·Lᵀ) / 2 = Σ log diag(L)."""
    return jnp.sum(jnp.log(jnp.diagonal(tril, axis1=-2, axis2=-1)), axis=-1)


class Wishart(Distribution):
    r"""Wishart distribution with ``concentration`` n (degrees of freedom) and scale matrix V.

    Density, for symmetric positive-definite d × d matrices X,

    $$
    p(X) = \frac{|X|^{(n - d - 1)/2} \exp\bigl(-\operatorname{tr}(V^{-1} X)/2\bigr)}
    {2^{nd/2}\, |V|^{n/2}\, \Gamma_d(n/2)},
    $$

    Γ_d the multivariate gamma function; ``log_prob`` is −inf where X is not positive
    definite (its Cholesky factorization fails). Mean n·V, ``variance`` the element-wise
    variances n·(V_ij² + V_ii·V_jj). Pass exactly one of ``scale_matrix``, ``rate_matrix``
    or ``scale_tril``.

    Args:
        concentration: n > d − 1, shape ``batch``.
        scale_matrix: V, symmetric positive definite ``[..., d, d]``.
        rate_matrix: V⁻¹, symmetric positive definite ``[..., d, d]``.
        scale_tril: a lower-triangular square root L of V = L·Lᵀ ``[..., d, d]``: the upper
            triangle is ignored, and a negative diagonal entry is read as the same V (the
            column negated: the Cholesky factor).
        validate_args: check n > d − 1 and that the matrix is positive definite (or, for
            ``scale_tril``, has no zero on its diagonal): one Cholesky factorization and one
            host round trip.

    Domain: outside it (n not finite or ≤ d − 1; a matrix not symmetric to rounding or not
    positive definite; a ``scale_tril`` with a zero on its diagonal or a non-finite entry)
    every method and every KL gives NaN.

    ``batch_shape`` broadcasts the shape of ``concentration`` with the matrix shape less
    its last two axes; ``event_shape`` is (d, d). ``sample`` uses the Bartlett
    decomposition X = L·A·Aᵀ·Lᵀ, A lower triangular with A_ii² ~ χ²(n − i) and standard
    normal entries below the diagonal; it is reparameterized (Gamma variates with implicit
    gradients). ``entropy`` is (d + 1)·log|L| + d(d + 1)/2·log 2 + log Γ_d(n/2) −
    (n − d − 1)/2·ψ_d(n/2) + nd/2.

    Examples:
        >>> import numpy as np
        >>> from jaxkl.distributions import Wishart
        >>> d = Wishart(5.0, scale_matrix=np.array([[2.0, 0.5], [0.5, 1.0]]))
        >>> round(float(d.log_prob(np.array([[8.0, 2.0], [2.0, 5.0]]))), 4)  # scipy.stats.wishart(5, V).logpdf(X)
        -6.7097
        >>> d.event_shape
        (2, 2)
    """

    concentration: jax.Array
    _scale_matrix: jax.Array | None
    _rate_matrix: jax.Array | None
    _scale_tril: jax.Array | None
    arg_constraints = {"concentration": "real", **matrix_constraints("_scale_matrix", "_rate_matrix", "_scale_tril")}
    _readings = {"_scale_tril": positive_diagonal}
    reparameterized = True

    def __init__(
        self,
        concentration: ArrayLike,
        scale_matrix: ArrayLike | None = None,
        rate_matrix: ArrayLike | None = None,
        scale_tril: ArrayLike | None = None,
        *,
        validate_args: bool = False,
    ):
        given = {"scale_matrix": scale_matrix, "rate_matrix": rate_matrix, "scale_tril": scale_tril}
        named = [k for k, v in given.items() if v is not None]
        if len(named) != 1:
            raise ValueError(
                "Wishart: pass exactly one of `scale_matrix`, `rate_matrix` or `scale_tril` "
                f"(got {', '.join(f'`{k}`' for k in named) if named else 'none'})"
            )
        n, sm, rm, st = promote_params(
            "Wishart",
            concentration=concentration,
            scale_matrix=scale_matrix,
            rate_matrix=rate_matrix,
            scale_tril=scale_tril,
        )
        m = cast(jax.Array, {"scale_matrix": sm, "rate_matrix": rm, "scale_tril": st}[named[0]])
        if m.ndim < 2 or m.shape[-1] != m.shape[-2]:
            raise ValueError(f"Wishart: `{named[0]}` must be a square matrix [..., d, d]; got shape {m.shape}")
        self._set(concentration=n, _scale_matrix=sm, _rate_matrix=rm, _scale_tril=st)
        self._validate(validate_args)

    def _relations(self) -> jax.Array:
        return jnp.asarray(self.concentration) > self.event_shape[0] - 1

    @property
    def _relation_message(self) -> str:  # type: ignore[override]
        return f"`concentration` must be > d − 1 = {self.event_shape[0] - 1}"

    def __repr__(self) -> str:
        out = Distribution.__repr__(self)
        for n in _MATRICES:
            out = out.replace(f"{n}=", f"{n[1:]}=")
        return out

    def _param_event_ndims(self, name: str) -> int:
        return 0 if name == "concentration" else 2

    @property
    def event_shape(self) -> tuple[int, ...]:
        m = next(getattr(self, n) for n in _MATRICES if getattr(self, n) is not None)
        return tuple(m.shape[-2:])

    # ------------------------------------------------------------ parameters
    @property
    def parameterization(self) -> str:
        """Which matrix was given (and is stored): ``"scale_matrix"``, ``"rate_matrix"`` or
        ``"scale_tril"``."""
        return next(n[1:] for n in _MATRICES if getattr(self, n) is not None)

    def stored_matrix(self) -> jax.Array:
        """The given matrix (see ``parameterization``) as stored, not broadcast."""
        return getattr(self, "_" + self.parameterization)

    @property
    def scale_tril(self) -> jax.Array:
        """L, the lower Cholesky factor of the scale matrix ``[..., d, d]``."""
        if self._scale_tril is not None:
            return self.broadcast_params("_scale_tril")[0]
        if self._scale_matrix is not None:
            return cholesky(self.broadcast_params("_scale_matrix")[0])
        return cholesky_of_inverse(self.broadcast_params("_rate_matrix")[0])

    @property
    def scale_matrix(self) -> jax.Array:
        """V = L·Lᵀ ``[..., d, d]``."""
        if self._scale_matrix is not None:
            return self.broadcast_params("_scale_matrix")[0]
        tril = self.scale_tril
        return tril @ jnp.swapaxes(tril, -1, -2)

    @property
    def rate_matrix(self) -> jax.Array:
        """V⁻¹ ``[..., d, d]``, from triangular solves with L."""
        if self._rate_matrix is not None:
            return self.broadcast_params("_rate_matrix")[0]
        tril = self.scale_tril
        w = tril_inverse(tril)  # L⁻¹
        return jnp.swapaxes(w, -1, -2) @ w

    # ------------------------------------------------------------- interface
    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        d = self.event_shape[0]
        if x.ndim < 2 or x.shape[-2:] != (d, d):
            raise ValueError(f"Wishart.log_prob: the value must have trailing shape ({d}, {d}); got shape {x.shape}")
        (n,) = self.broadcast_params("concentration")
        tril = self.scale_tril
        shape = jnp.broadcast_shapes(x.shape[:-2], self.batch_shape)
        lx = cholesky(jnp.broadcast_to(x, shape + (d, d)))
        inside = jnp.all(jnp.isfinite(lx), axis=(-2, -1)) & jnp.all(jnp.diagonal(lx, axis1=-2, axis2=-1) > 0, axis=-1)
        lx = jnp.where(inside[..., None, None], lx, _eye_like(lx))
        z = tril_solve(tril, lx)
        trace = jnp.sum(z * z, axis=(-2, -1))
        lp = (
            (n - d - 1.0) * _tril_logdet(lx)
            - 0.5 * trace
            - (0.5 * d * LN2) * n
            - n * _tril_logdet(tril)
            - multigammaln(0.5 * n, d)
        )
        return jnp.where(inside, lp, -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        shape = self._sample_shape(sample_shape)
        d = shape[-1]
        (n,) = self.broadcast_params("concentration")
        k_diag, k_off = jax.random.split(key)
        half_df = shifted_halves(0.5 * n, d)  # (n − i)/2
        g = jax.random.gamma(k_diag, jnp.broadcast_to(half_df, shape[:-1]), shape[:-1], self.dtype)
        off = jnp.tril(jax.random.normal(k_off, shape, self.dtype), -1)
        a = off + jnp.sqrt(2.0 * g)[..., None] * jnp.eye(d, dtype=self.dtype)
        la = jnp.broadcast_to(self.scale_tril, shape) @ a
        return la @ jnp.swapaxes(la, -1, -2)

    def entropy(self) -> jax.Array:
        (n,) = self.broadcast_params("concentration")
        d = self.event_shape[0]
        half = 0.5 * n
        multidigamma = jnp.sum(digamma(shifted_halves(half, d)), axis=-1)
        return (
            (d + 1.0) * _tril_logdet(self.scale_tril)
            + (d * (d + 1) / 2.0) * LN2
            + multigammaln(half, d)
            - 0.5 * (n - d - 1.0) * multidigamma
            + 0.5 * d * n
        )

    @property
    def mean(self) -> jax.Array:
        (n,) = self.broadcast_params("concentration")
        return n[..., None, None] * self.scale_matrix

    @property
    def variance(self) -> jax.Array:
        (n,) = self.broadcast_params("concentration")
        v = self.scale_matrix
        diag = jnp.diagonal(v, axis1=-2, axis2=-1)
        return n[..., None, None] * (v * v + diag[..., :, None] * diag[..., None, :])
