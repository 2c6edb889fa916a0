"""Cancellation-free divergences between symmetric positive definite (SPD) matrices.

The Gaussian and Wishart KL divergences contain the matrix Bregman divergence of
``−log det`` (Stein's loss)

    spd_bregman(A, B) = tr(A⁻¹B) − d − log det(A⁻¹B) = Σ_i (λ_i − 1 − log λ_i) ≥ 0,

λ the eigenvalues of A⁻¹B (A, B SPD, d×d). The textbook evaluation subtracts d and a
log-determinant from a trace and loses everything when A ≈ B (the value is then
~‖A − B‖², far below the rounding error of the trace). Here it is computed from an
exactly formed difference instead, as a sum of non-negative terms:

``spd_bregman(tril_a, tril_b=L_B)`` (both Cholesky factors given). With
M = L_A⁻¹ L_B (lower triangular), M − I = L_A⁻¹ (L_B − L_A) is computed from the exact
difference ΔL = L_B − L_A by one triangular solve, and with e_i = M_ii − 1

    Σ_i (λ_i − 1 − log λ_i) = ‖M‖²_F − d − 2 Σ log M_ii = Σ_{i>j} M_ij² + Σ_i [e_i² + 2·φ(e_i)],

φ(e) = e − log1p(e) ≥ 0 (``_special.phi1p``): every term is a square or a φ.

``spd_bregman(tril_a, diff=B − A)`` (only A's factor and the exact difference D = B − A,
e.g. two covariance matrices: their separately rounded Cholesky factors would differ by
rounding noise as large as ΔL itself). With S = L_A⁻¹ D L_A⁻ᵀ (symmetric, eigenvalues
ε_i = λ_i − 1):

* ‖S‖_F ≤ ρ₀ (ρ₀ = 1/64 in float64, 1/8 in float32): the trace series
  Σ_i φ(ε_i) = Σ_{k≥2} (−1)^k tr(S^k)/k, summed to k = 8 from S², S³, S⁴ (three matrix
  products; tr(S^(a+b)) = ⟨S^a, S^b⟩_F). Truncation ≤ 2ρ₀⁶/9 of the value; the leading
  term ½‖S‖²_F dominates, so there is no cancellation.
* otherwise M = chol(I + S) and the sum-of-squares form above, whose rounding error
  (~d·ε_mach·‖S‖_F absolute) is then small relative to the value (≥ ~ρ₀²/2·(1 − ρ₀)).

Both branches are computed and one is selected per matrix (jit/vmap friendly, no Python
branching on values); the gradient is finite at A = B. Relative accuracy: a few
ε_mach·cond(A)^{1/2} from the triangular solves, independent of how close B is to A.

Batching: every argument has shape ``[..., d, d]``; leading dims broadcast against each
other and the result has the broadcast batch shape ``[...]``. Only the lower triangles
of the Cholesky factors are read.
"""

from __future__ import annotations

from typing import cast

import jax
import jax.numpy as jnp
from jax import lax

from . import _factor
from ._factor import cholesky, tril_inverse, tril_solve
from ._special import phi1p

__all__ = [
    "cov_bregman",
    "lowrank_bregman",
    "spd_bregman",
    "sym_bregman",
    "tril_inverse",
    "tril_solve",
    "whiten_sym",
]


def _diag(x: jax.Array) -> jax.Array:
    return jnp.diagonal(x, axis1=-2, axis2=-1)


def tril_form(m_minus_i: jax.Array) -> jax.Array:
    """Σ_{i>j} M_ij² + Σ_i [e_i² + 2φ(e_i)] for lower-triangular M − I given exactly."""
    x = jnp.tril(m_minus_i)
    e = _diag(x)
    off = jnp.sum(jnp.tril(x, -1) ** 2, axis=(-2, -1))
    return off + jnp.sum(e * e + 2.0 * phi1p(e), axis=-1)


def series_radius2(dtype) -> float:
    """ρ₀² : the squared Frobenius norm of S below which the trace series is used."""
    return (1.0 / 64.0) ** 2 if jnp.dtype(dtype) == jnp.float64 else (1.0 / 8.0) ** 2


def sym_bregman(s: jax.Array) -> jax.Array:
    """Σ_i φ(ε_i) for symmetric S [..., d, d] with eigenvalues ε_i > −1."""
    s2 = s @ s
    s3 = s2 @ s
    s4 = s2 @ s2

    def inner(a, b):
        return jnp.sum(a * b, axis=(-2, -1))

    t2 = inner(s, s)
    near = t2 <= series_radius2(s.dtype)
    series = (
        t2 / 2.0
        - inner(s, s2) / 3.0
        + inner(s2, s2) / 4.0
        - inner(s2, s3) / 5.0
        + inner(s3, s3) / 6.0
        - inner(s3, s4) / 7.0
        + inner(s4, s4) / 8.0
    )
    eye = jnp.eye(s.shape[-1], dtype=s.dtype)
    # I + S is SPD whenever B is; in the series branch the factor of I is used instead so
    # that its (unused) gradient stays finite.
    m = cholesky(eye + jnp.where(near[..., None, None], 0.0, s))
    far = tril_form(m - eye)
    return jnp.maximum(jnp.where(near, series, far), 0.0)


def whiten_sym(tril_inv: jax.Array, diff: jax.Array) -> jax.Array:
    """S = L_A⁻¹ D L_A⁻ᵀ (symmetrized) for D = B − A [..., d, d], given L_A⁻¹.

    One explicit triangular inverse and two products cost less than two triangular solves
    with d right-hand sides on CPU, and the inverse also serves the Mahalanobis term.
    """
    s = tril_inv @ diff @ jnp.swapaxes(tril_inv, -1, -2)
    return 0.5 * (s + jnp.swapaxes(s, -1, -2))


def spd_bregman(tril_a: jax.Array, tril_b: jax.Array | None = None, *, diff: jax.Array | None = None) -> jax.Array:
    """tr(A⁻¹B) − d − log det(A⁻¹B) = Σ_i (λ_i − 1 − log λ_i) ≥ 0, λ = eig(A⁻¹B).

    Args:
        tril_a: lower Cholesky factor L_A of A, ``[..., d, d]`` (positive diagonal).
        tril_b: lower Cholesky factor L_B of B, ``[..., d, d]``; the value is then computed
            from L_B − L_A (exact when the factors are the inputs).
        diff: B − A, ``[..., d, d]`` symmetric, formed by the caller from the inputs
            (exact when B ≈ A). Give exactly one of ``tril_b`` and ``diff``.

    Returns:
        The divergence, shape ``broadcast(batch dims)``, dtype of the inputs. See the module
        docstring for how it stays accurate when A ≈ B.
    """
    if (tril_b is None) == (diff is None):
        raise ValueError("spd_bregman: give exactly one of `tril_b` and `diff`")
    other = cast(jax.Array, tril_b if diff is None else diff)
    if (
        tril_a.ndim < 2
        or other.ndim < 2
        or tril_a.shape[-2:] != other.shape[-2:]
        or tril_a.shape[-1] != tril_a.shape[-2]
    ):
        raise ValueError(
            f"spd_bregman: expected square matrices of one size, got shapes {tril_a.shape} and {other.shape}"
        )
    if diff is None:
        return tril_form(tril_solve(tril_a, cast(jax.Array, tril_b) - tril_a))
    return sym_bregman(whiten_sym(tril_inverse(tril_a), diff))


def _refine_factor(g: jax.Array, s: jax.Array) -> jax.Array:
    """One Newton step for G in (I + G)(I + G)ᵀ = I + S, G lower triangular.

    With the residual R = S − G − Gᵀ − GGᵀ (S exact, G approximate), G + tril(R, −1) + ½ diag(R)
    is accurate to O(‖G‖·‖R‖ + ‖R‖²): relative accuracy ~ε for small S, whatever the rounding
    of the factors G came from.
    """
    r = s - g - jnp.swapaxes(g, -1, -2) - g @ jnp.swapaxes(g, -1, -2)
    return g + jnp.tril(r, -1) + 0.5 * (r * jnp.eye(r.shape[-1], dtype=r.dtype))


def cov_bregman(cov_a: jax.Array, cov_b: jax.Array, rhs: jax.Array | None = None) -> tuple[jax.Array, jax.Array | None]:
    """Σ_i (λ_i − 1 − log λ_i), λ = eig(A⁻¹B), from the covariance matrices A, B themselves.

    Args:
        cov_a, cov_b: SPD ``[..., d, d]`` (batches broadcast).
        rhs: optional ``[..., d, k]``; L_A⁻¹·rhs is returned with the value (the
            Mahalanobis term of the Gaussian KL), from the same triangular solve.

    Returns:
        ``(value, L_A⁻¹ rhs or None)``.

    Both matrices are factored by Cholesky and M = L_A⁻¹L_B (lower triangular)
    comes from one triangular solve (with ``rhs`` as extra columns); the value is the sum-of-squares form of M − I
    (``tril_form``), whose rounding error (~ε·cond(L_A) absolute in M) is small relative
    to the value unless B ≈ A. Where ‖M − I‖_F ≤ ρ₀ (B ≈ A) the factor is refined from
    the exact difference D = B − A: S = L_A⁻¹ D L_A⁻ᵀ and one Newton step for
    (I + G)(I + G)ᵀ = I + S (``_refine_factor``), which restores the relative accuracy.
    The refinement runs under ``lax.cond`` only when some matrix of the batch needs it
    (under ``vmap`` the condition becomes a select, and both run).
    """
    d = cov_a.shape[-1]
    shape = jnp.broadcast_shapes(cov_a.shape[:-2], cov_b.shape[:-2], () if rhs is None else rhs.shape[:-2])
    a = jnp.broadcast_to(cov_a, shape + (d, d))
    b = jnp.broadcast_to(cov_b, shape + (d, d))
    # Two independent factorizations, which XLA:CPU may run concurrently (faster than one
    # call on the stacked batch; _factor keeps them off the LAPACK kernels that can block).
    la, lb = cholesky(a), cholesky(b)
    cols = [lb] if rhs is None else [lb, jnp.broadcast_to(rhs, shape + rhs.shape[-2:])]
    x = tril_solve(la, jnp.concatenate(cols, -1))
    eye = jnp.eye(d, dtype=a.dtype)
    g = jnp.tril(x[..., :d]) - eye
    far = tril_form(g)
    near = jnp.sum(g * g, axis=(-2, -1)) <= series_radius2(a.dtype)

    def refined():
        s = whiten_sym(tril_inverse(la), b - a)
        return jnp.where(near, tril_form(_refine_factor(g, s)), far)

    value = lax.cond(jnp.any(near), refined, lambda: far)
    return jnp.maximum(value, 0.0), (None if rhs is None else x[..., d:])


def _broadcast_batch(*mats: jax.Array) -> list[jax.Array]:
    """Broadcast the leading (batch) dims of [..., d, k] matrices, keeping each k."""
    shape = jnp.broadcast_shapes(*(m.shape[:-1] for m in mats))
    return [jnp.broadcast_to(m, shape + m.shape[-1:]) for m in mats]


def _series_or_logdet(z: jax.Array) -> jax.Array:
    """Σ_j φ(μ_j) = tr Z − log det(I + Z) for a square Z [..., m, m] with real eigenvalues
    μ_j > −1 (Z similar to a symmetric matrix): the trace series to k = 8 when
    tr(Z²) = Σμ² ≤ ρ₀², else the trace less a log-determinant by LU (no cancellation there)."""
    z2 = z @ z
    z3 = z2 @ z
    z4 = z2 @ z2

    def tr(a, b):  # tr(AB)
        return jnp.sum(a * jnp.swapaxes(b, -1, -2), axis=(-2, -1))

    # the eigenvalues are real, so tr(Z²) = Σ μ_j² bounds the spectral radius (‖Z‖_F need
    # not be small: Z is not symmetric)
    near = jnp.abs(tr(z, z)) <= series_radius2(z.dtype)
    series = (
        tr(z, z) / 2.0
        - tr(z, z2) / 3.0
        + tr(z2, z2) / 4.0
        - tr(z2, z3) / 5.0
        + tr(z3, z3) / 6.0
        - tr(z3, z4) / 7.0
        + tr(z4, z4) / 8.0
    )
    zf = jnp.where(near[..., None, None], 0.0, z)
    eye = jnp.eye(z.shape[-1], dtype=z.dtype)
    logdet = _factor.logabsdet(eye + zf)  # det(I + Z) > 0
    far = jnp.trace(zf, axis1=-2, axis2=-1) - logdet
    return jnp.where(near, series, far)


def lowrank_bregman(
    diag_q: jax.Array,
    factor_q: jax.Array | None,
    diag_p: jax.Array,
    factor_p: jax.Array | None,
) -> tuple[jax.Array, jax.Array | None, jax.Array | None]:
    """Σ_i (λ_i − 1 − log λ_i), λ = eig(Σq⁻¹Σp), Σ = W Wᵀ + diag(D), in O(d·r²).

    Args:
        diag_q, diag_p: the diagonals D ``[..., d]`` (positive).
        factor_q, factor_p: the factors W ``[..., d, r]`` or ``None`` (a diagonal covariance).

    Returns:
        ``(value, whiten, cap_tril)``: the divergence ``[...]``, and for the Mahalanobis term
        Dq^(−1/2)·Wq (or ``None``) and the Cholesky factor of the capacitance
        C = I + Wqᵀ Dq⁻¹ Wq (or ``None``).

    With Ŵ = Dq^(−1/2)Wq, δ = (Dp − Dq)/Dq (an exact difference) and Δ̂ = Dq^(−1/2)(Σp − Σq)Dq^(−1/2)
    = diag(δ) + V̂ J V̂ᵀ, where Wp Wpᵀ − Wq Wqᵀ = ½[(Wp − Wq)(Wp + Wq)ᵀ + (Wp + Wq)(Wp − Wq)ᵀ]
    when the ranks agree (so V̂ J V̂ᵀ is formed from the exact difference Wp − Wq), the
    matrix S = Σ̂q⁻¹Δ̂ (eigenvalues λ − 1; Σ̂q⁻¹ = I − Ŵ C⁻¹ Ŵᵀ by Woodbury) is
    diag(δ) + U H Rᵀ with U = [Ŵ, Σ̂q⁻¹V̂], R = [diag(δ)Ŵ, V̂], H = diag(−C⁻¹, J), every
    product O(‖Σp − Σq‖). By the matrix determinant lemma,

        Σ_i φ(λ_i − 1) = Σ_i φ(δ_i) + Σ_j φ(μ_j) + tr(H Rᵀ diag(δ/(1 + δ)) U),

    μ the eigenvalues of the small m×m matrix Z = H Rᵀ diag(1/(1 + δ)) U (m ≤ 4r), whose
    φ-sum is a trace series when Z is small and tr Z − log det(I + Z) otherwise. Nothing of
    size d×d is formed.
    """
    dt = diag_q.dtype
    inv_sq = jax.lax.rsqrt(diag_q)
    delta = (diag_p - diag_q) / diag_q
    diag_term = jnp.sum(phi1p(delta), axis=-1)
    if factor_q is None and factor_p is None:
        return diag_term, None, None
    # V̂ and J (J given by its action as a diagonal/swap on the columns).
    if factor_q is not None and factor_p is not None and factor_q.shape[-1] == factor_p.shape[-1]:
        r = factor_q.shape[-1]
        dw = factor_p - factor_q
        sw = factor_p + factor_q
        # ½(ΔW·ΣWᵀ + ΣW·ΔWᵀ) is unchanged by ΔW → t·ΔW, ΣW → ΣW/t; t balances the two
        # (both then O(‖ΔW‖^½)), so that no entry of Z below is large while its eigenvalues
        # are small. The value does not depend on t, hence the stop_gradient.
        tiny = float(jnp.finfo(dt).tiny)
        na = jnp.sum(dw * dw, axis=(-2, -1))
        nb = jnp.sum(sw * sw, axis=(-2, -1))
        eps2 = float(jnp.finfo(dt).eps) ** 2
        t = lax.stop_gradient(jnp.sqrt(jnp.sqrt((nb + tiny) / (na + eps2 * nb + tiny))))[..., None, None]
        v = inv_sq[..., None] * jnp.concatenate([dw * t, sw / t], axis=-1)

        def apply_j(x):  # x @ J with J = ½[[0, I], [I, 0]]
            return 0.5 * jnp.concatenate([x[..., r:], x[..., :r]], axis=-1)
    else:
        parts, signs = [], []
        if factor_p is not None:
            parts.append(factor_p)
            signs.append(jnp.ones(factor_p.shape[-1], dt))
        if factor_q is not None:
            parts.append(factor_q)
            signs.append(-jnp.ones(factor_q.shape[-1], dt))
        v = inv_sq[..., None] * jnp.concatenate(_broadcast_batch(*parts), axis=-1)
        sign = jnp.concatenate(signs)

        def apply_j(x):
            return x * sign

    w = 1.0 / (1.0 + delta)  # diag of (I + E)⁻¹
    if factor_q is None:
        u, rr = v, v
        what = cap_tril = None
    else:
        what = inv_sq[..., None] * factor_q
        g = jnp.swapaxes(what, -1, -2) @ what
        eye_r = jnp.eye(g.shape[-1], dtype=dt)
        cap_tril = cholesky(eye_r + g)

        def cinv(x):  # C⁻¹ x for x [..., r, k]
            return tril_solve(cap_tril, tril_solve(cap_tril, x), transpose=True)

        wv = jnp.swapaxes(what, -1, -2) @ v  # Ŵᵀ V̂
        pv = v - what @ cinv(wv)  # Σ̂q⁻¹ V̂
        u = jnp.concatenate(_broadcast_batch(what, pv), axis=-1)
        rr = jnp.concatenate(_broadcast_batch(delta[..., None] * what, v), axis=-1)

    # Z = H Rᵀ diag(w) U and the cross term tr(H Rᵀ diag(δ w) U): build A = Rᵀ diag(·) U, then H A.
    rt = jnp.swapaxes(rr, -1, -2)
    a_w = rt @ (w[..., None] * u)
    a_c = rt @ ((delta * w)[..., None] * u)

    def h_left(a):  # H @ a, H = diag(−C⁻¹, J) or J
        if factor_q is None:
            return jnp.swapaxes(apply_j(jnp.swapaxes(a, -1, -2)), -1, -2)
        k = what.shape[-1]
        top = -cinv(a[..., :k, :])
        bot = jnp.swapaxes(apply_j(jnp.swapaxes(a[..., k:, :], -1, -2)), -1, -2)
        return jnp.concatenate([top, bot], axis=-2)

    z = h_left(a_w)
    cross = jnp.trace(h_left(a_c), axis1=-2, axis2=-1)
    value = diag_term + _series_or_logdet(z) + cross
    return jnp.maximum(value, 0.0), what, cap_tril
