"""Rows of ``python -m jaxkl bench``: the multivariate normal and Wishart closed forms."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .harness import Host, optional, to_torch
from .rows import FASTEST_PEER, TORCH_MISSING, distribution_peers


def _spd(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """n well-conditioned SPD matrices A Aᵀ/d + I (float64)."""
    a = rng.normal(size=(n, d, d))
    return a @ np.swapaxes(a, -1, -2) / d + np.eye(d)


def _sym_sqrt_scale(w: np.ndarray, dg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(U, V) with (diag(√D) + U Vᵀ)(diag(√D) + U Vᵀ)ᵀ = W Wᵀ + diag(D), in float64: the scale
    D^½(I + Ŵ Ŵᵀ)^½, Ŵ = D^(−½)W, whose symmetric square root is I + Q E diag(√(1+λ) − 1) Eᵀ Qᵀ
    (Ŵ = Q R, R Rᵀ = E diag(λ) Eᵀ). Lets the scale-parameterized low-rank normals of TFP and
    distrax carry the same covariance as the covariance-parameterized one."""
    wh = w / np.sqrt(dg)[..., None]
    q, r = np.linalg.qr(wh)
    lam, e = np.linalg.eigh(r @ np.swapaxes(r, -1, -2))
    v = q @ e
    u = np.sqrt(dg)[..., None] * v * (np.sqrt(1.0 + lam) - 1.0)[..., None, :]
    return u, v


# Peer constructions that hang (deadlock, never return) in jaxlib 0.10.2 on CPU at the row's
# shapes: their KL runs two batched Cholesky (or triangular-solve) custom calls concurrently,
# each waiting for batch tasks queued on the intra-op thread pool both of them occupy.
_HANGS = {
    ("numpyro MultivariateNormal", "covariance_matrix"),
    ("TFP MultivariateNormalFullCovariance", "covariance_matrix"),
    ("distrax MultivariateNormalFullCovariance", "covariance_matrix"),
    # the dense d×d triangular solve of the KL: the batch tasks of one trsm custom call call
    # the threaded OpenBLAS concurrently from both pool threads and never return
    ("TFP MultivariateNormalLinearOperator(LowRankUpdate)", "low rank"),
    ("distrax MultivariateNormalDiagPlusLowRank", "low rank"),
}
# Rows whose peers must agree with jaxkl's value (to ``time_interleaved``'s rtol) before they
# are timed; filled by ``mvn_rows``. (The scalar closed-form rows are not checked: there the
# float32 peers themselves lose accuracy on near-cancelling pairs.)
CHECKED_ROWS: set[str] = set()
_HANGS_WHY = "hangs in jaxlib 0.10 on CPU: its batched LAPACK custom calls deadlock"


def _hangs() -> set:
    """The peer constructions that deadlock here: with jaxlib ≥ 0.10 on CPU, else none."""
    from .._math import JAXLIB_VERSION

    return _HANGS if JAXLIB_VERSION >= (0, 10) and jax.default_backend() == "cpu" else set()


def _tfp_low_rank(tfp):
    """KL between TFP MultivariateNormalLinearOperator with scale LinearOperatorLowRankUpdate
    (diag(√D) + U Vᵀ), from (loc, D, U, V) of p then q."""
    tfd, tfl = tfp.distributions, tfp.tf2jax.linalg

    def make(m, dg, u, v):
        base = tfl.LinearOperatorDiag(jnp.sqrt(dg), is_non_singular=True, is_positive_definite=True)
        return tfd.MultivariateNormalLinearOperator(m, tfl.LinearOperatorLowRankUpdate(base, u, v=v))

    return lambda m1, d1, u1, v1, m2, d2, u2, v2: tfd.kl_divergence(make(m1, d1, u1, v1), make(m2, d2, u2, v2))


def _distrax_low_rank(distrax):
    """KL between distrax MultivariateNormalDiagPlusLowRank (scale diag(√D) + U Vᵀ)."""

    def make(m, dg, u, v):
        return distrax.MultivariateNormalDiagPlusLowRank(m, jnp.sqrt(dg), u, v)

    return lambda m1, d1, u1, v1, m2, d2, u2, v2: make(m1, d1, u1, v1).kl_divergence(make(m2, d2, u2, v2))


def mvn_rows(smoke: bool = False):
    """Multivariate normal closed forms (float32) against numpyro, TFP-on-JAX and distrax.

    Every peer computes the same KL on the same distributions; peers without that KL, or
    whose construction deadlocks XLA:CPU (two batched Cholesky/triangular-solve custom calls
    running concurrently on the intra-op thread pool never return in jaxlib 0.10.2 when the
    pool has as many threads as there are such calls), are listed as skipped.
    """
    import jaxkl
    from jaxkl import distributions as jd

    numpyro_d, tfp, distrax, missing = distribution_peers()
    torch = optional("torch")
    f32 = jnp.float32
    rng = np.random.default_rng(0)
    n, d = (16, 4) if smoke else (2048, 16)
    locs = [jnp.asarray(rng.normal(size=(n, d)), f32) for _ in range(2)]
    covs = [_spd(rng, n, d) for _ in range(2)]
    mats = {
        "covariance_matrix": [jnp.asarray(c, f32) for c in covs],
        "scale_tril": [jnp.asarray(np.linalg.cholesky(c), f32) for c in covs],
    }
    for kind, (mp, mq) in mats.items():

        def via(make, kl):
            return lambda a, b, c, e: kl(make(a, b), make(c, e))

        fns = {
            "jaxkl.kl_divergence": via(
                lambda m, s, kind=kind: jd.MultivariateNormal(m, **{kind: s}), jaxkl.kl_divergence
            )
        }
        skipped = list(missing)
        if numpyro_d is not None:
            name = "numpyro MultivariateNormal"
            if (name, kind) in _hangs():
                skipped.append(f"{name}({kind}=) ({_HANGS_WHY})")
            else:
                fns[name] = via(
                    lambda m, s, kind=kind: numpyro_d.MultivariateNormal(m, **{kind: s}), numpyro_d.kl_divergence
                )
        if tfp is not None:
            tfd = tfp.distributions
            name, make = (
                ("TFP MultivariateNormalFullCovariance", tfd.MultivariateNormalFullCovariance)
                if kind == "covariance_matrix"
                else ("TFP MultivariateNormalTriL", tfd.MultivariateNormalTriL)
            )
            if (name, kind) in _hangs():
                skipped.append(f"{name} ({_HANGS_WHY})")
            else:
                fns[name] = via(lambda m, s, make=make, kind=kind: make(m, **{kind: s}), tfd.kl_divergence)
        if distrax is not None:
            name, make = (
                ("distrax MultivariateNormalFullCovariance", distrax.MultivariateNormalFullCovariance)
                if kind == "covariance_matrix"
                else ("distrax MultivariateNormalTri", distrax.MultivariateNormalTri)
            )
            if (name, kind) in _hangs():
                skipped.append(f"{name} ({_HANGS_WHY})")
            else:
                fns[name] = via(make, lambda p, q: p.kl_divergence(q))
        if torch is not None:
            fns["torch MultivariateNormal"] = Host(
                via(
                    lambda m, s, kind=kind: torch.distributions.MultivariateNormal(m, validate_args=False, **{kind: s}),
                    torch.distributions.kl_divergence,
                ),
                to_torch,
            )
        else:
            skipped.append(TORCH_MISSING)
        title = f"MultivariateNormal‖MultivariateNormal closed form, d={d} ({kind}), {n} pairs float32"
        CHECKED_ROWS.add(title)
        yield title, FASTEST_PEER, fns, (locs[0], mp, locs[1], mq), skipped

    n, r = (4, 2) if smoke else (64, 8)
    for d in (64, 128) if smoke else (1024, 2048):
        loc = [rng.normal(size=(n, d)) for _ in range(2)]
        w = [rng.normal(size=(n, d, r)) / np.sqrt(r) for _ in range(2)]
        dg = [rng.uniform(0.5, 2.0, (n, d)) for _ in range(2)]
        args = tuple(jnp.asarray(x, f32) for i in range(2) for x in (loc[i], w[i], dg[i]))
        fns = {
            "jaxkl.kl_divergence": lambda a, b, c, e, g, h: jaxkl.kl_divergence(
                jd.LowRankMultivariateNormal(a, b, c), jd.LowRankMultivariateNormal(e, g, h)
            )
        }
        skipped = list(missing)
        if numpyro_d is not None:
            skipped.append("numpyro (LowRankMultivariateNormal has no KL registered)")
        # TFP and distrax have no covariance-parameterized low-rank KL; their scale-parameterized
        # low-rank normals take the scale diag(√D) + U Vᵀ with the same covariance
        # (``_sym_sqrt_scale``) and agree with jaxkl to ~1e-5 relative, but they hang here.
        scale_peers = []
        if tfp is not None:
            skipped.append("TFP MultivariateNormalDiagPlusLowRankCovariance (no KL registered)")
            scale_peers.append(("TFP MultivariateNormalLinearOperator(LowRankUpdate)", _tfp_low_rank(tfp)))
        if distrax is not None:
            scale_peers.append(("distrax MultivariateNormalDiagPlusLowRank", _distrax_low_rank(distrax)))
        for name, make in scale_peers:
            if (name, "low rank") in _hangs():
                skipped.append(f"{name} ({_HANGS_WHY})")
                continue
            if d > 1024:  # their KL solves with the dense d×d scale: O(d³) per pair, seconds per call
                skipped.append(f"{name} (its KL solves with the dense d×d scale, O(d³); timed at d = 1024 only)")
                continue
            if len(args) == 6:
                uv = [_sym_sqrt_scale(w[i], dg[i]) for i in range(2)]
                args = args + tuple(jnp.asarray(x, f32) for i in range(2) for x in uv[i])
            fns[name] = lambda a, b, c, e, g, h, u1, v1, u2, v2, make=make: make(a, c, u1, v1, e, h, u2, v2)
        if torch is not None:
            fns["torch LowRankMultivariateNormal"] = Host(
                lambda a, b, c, e, g, h, *_: torch.distributions.kl_divergence(
                    torch.distributions.LowRankMultivariateNormal(a, b, c, validate_args=False),
                    torch.distributions.LowRankMultivariateNormal(e, g, h, validate_args=False),
                ),
                to_torch,
            )
        else:
            skipped.append(TORCH_MISSING)
        if len(args) > 6:  # jaxkl uses only the low-rank parameters, not the extra scale ones
            jk = fns["jaxkl.kl_divergence"]
            fns["jaxkl.kl_divergence"] = lambda a, b, c, e, g, h, *_, jk=jk: jk(a, b, c, e, g, h)
        title = f"LowRankMultivariateNormal‖LowRankMultivariateNormal closed form, d={d}, r={r}, {n} pairs float32"
        CHECKED_ROWS.add(title)
        yield title, FASTEST_PEER, fns, args, skipped
