"""Monte-Carlo KL(p ‖ q) from samples of p: Schulman's k1/k2/k3 estimators and their gradients.

With x₁, …, xₙ ~ p and the log-ratio lᵢ = log p(xᵢ) − log q(xᵢ), the per-sample estimators
(Schulman, 2020, written here for KL(p ‖ q) with the samples drawn from p) are

- k1 = l — unbiased, high variance (negative for about half the samples when p ≈ q);
- k2 = l²/2 — never negative, low variance, biased (its mean is an f-divergence that
  agrees with the KL to second order: E[k2] − KL = O(KL^{3/2}));
- k3 = (e^{−l} − 1) + l = q/p − 1 − log(q/p) — never negative, unbiased (E_p[q/p] = 1
  when p > 0 wherever q > 0) and of far lower variance than k1 when p ≈ q.

Which gradient the estimate gives depends on how the samples depend on the parameters;
``monte_carlo_kl`` offers four modes (see its docstring for the table). The ones users trip
on: with the samples held fixed (no gradient through sampling, as RL code does with
sampled tokens), k1's gradient with respect to p has expectation 0, k2's is ∇KL(p ‖ q) and
k3's is ∇KL(q ‖ p) — the other direction.

``kl_estimate`` uses the closed form when one is registered for the pair and Monte Carlo
otherwise; ``kl_estimator_terms`` gives the per-sample values from log-probabilities a
caller already has.
"""

from __future__ import annotations

from typing import Literal, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from ._special import expm1mx
from .discrete import broadcast_mask
from .distributions._base import Distribution
from .interop import for_estimation
from .registry import kl_divergence, lookup

__all__ = ["kl_estimate", "kl_estimator_terms", "monte_carlo_kl"]

Estimator = Literal["k1", "k2", "k3"]
Gradient = Literal["auto", "reparameterized", "score_function", "fixed_samples", "sticking_the_landing"]

_ESTIMATORS = ("k1", "k2", "k3")
_GRADIENTS = ("auto", "reparameterized", "score_function", "fixed_samples", "sticking_the_landing")


def _check_estimator(estimator: str) -> None:
    if estimator not in _ESTIMATORS:
        raise ValueError(f"`estimator` must be one of {_ESTIMATORS}, got {estimator!r}")


def _terms(l: jax.Array, estimator: str) -> jax.Array:
    if estimator == "k1":
        return l
    if estimator == "k2":
        return 0.5 * (l * l)
    return expm1mx(-l)  # e^{−l} − 1 + l, never negative, accurate for small |l|


def kl_estimator_terms(
    log_p: ArrayLike, log_q: ArrayLike, *, estimator: Estimator = "k1", where: ArrayLike | None = None
) -> jax.Array:
    r"""Per-sample Schulman estimators of KL(p ‖ q) from log p(x) and log q(x) at x ~ p.

    $$
    k_1 = l, \qquad k_2 = \tfrac12 l^2, \qquad k_3 = (e^{-l} - 1) + l, \qquad
    l = \log p(x) - \log q(x),
    $$

    k3 computed as ``expm1(−l) + l`` without cancellation, so it is never negative. The mean over samples
    x ~ p estimates KL(p ‖ q) (k2 with a small bias). l = +inf (x outside q's support)
    gives +inf for every estimator.

    This is the form RL code needs, where x are sampled tokens: differentiating the mean
    of these terms holds the samples fixed, so (with respect to the parameters of p) the
    expected gradient of k1 is 0, of k2 is ∇KL(p ‖ q) and of k3 is ∇KL(q ‖ p); see
    [`monte_carlo_kl`][jaxkl.monte_carlo_kl].

    Args:
        log_p: log p(x) at samples x ~ p, any shape.
        log_q: log q(x) at the same samples, broadcasting against ``log_p``.
        estimator: ``"k1"``, ``"k2"`` or ``"k3"``.
        where: optional boolean mask broadcastable to the terms (e.g. padding tokens):
            ``False`` entries give 0 and gradient 0, whatever their log-probabilities
            (also ±inf or NaN).

    Returns:
        The per-sample values, of the broadcast shape and floating dtype of the inputs.
        For the RL KL penalty, average them over the kept tokens, e.g.
        ``terms.sum() / where.sum()``.

    Raises:
        ValueError: an unknown ``estimator``.

    Examples:
        With l = (0.5, −1), k3 = (e^{−0.5} − 1 + 0.5, e − 1 − 1) = (0.10653, 0.71828); a
        masked entry gives 0 whatever its log-probabilities:

        >>> import jax.numpy as jnp
        >>> import jaxkl
        >>> log_p, log_q = jnp.array([-1.0, -2.0]), jnp.array([-1.5, -1.0])
        >>> t = jaxkl.kl_estimator_terms(log_p, log_q, estimator="k3")
        >>> [round(float(v), 5) for v in t]
        [0.10653, 0.71828]
        >>> mask = jnp.array([True, False])
        >>> jaxkl.kl_estimator_terms(log_p, jnp.array([-1.5, jnp.nan]), estimator="k1", where=mask).tolist()
        [0.5, 0.0]

    References:
        John Schulman, "Approximating KL Divergence", 2020 (blog post).
    """
    _check_estimator(estimator)
    log_p = jnp.asarray(log_p)
    log_q = jnp.asarray(log_q)
    dt = jnp.result_type(log_p, log_q, float)
    l = log_p.astype(dt) - log_q.astype(dt)
    if where is None:
        return _terms(l, estimator)
    mask = cast(jax.Array, broadcast_mask("kl_estimator_terms", where, l.shape))
    return jnp.where(mask, _terms(jnp.where(mask, l, 0.0), estimator), 0.0)  # double where: no NaN gradient


def _resolve_gradient(p: Distribution, gradient: str, estimator: str) -> str:
    if gradient not in _GRADIENTS:
        raise ValueError(f"`gradient` must be one of {_GRADIENTS}, got {gradient!r}")
    reparam = bool(getattr(p, "reparameterized", False))
    if gradient == "auto":
        return "reparameterized" if reparam else "score_function"
    if gradient in ("reparameterized", "sticking_the_landing") and not reparam:
        raise ValueError(
            f"gradient={gradient!r} needs differentiable samples, but {type(p).__name__}.sample is not "
            "reparameterized; use gradient='score_function' (or 'fixed_samples')"
        )
    if gradient == "sticking_the_landing" and estimator != "k1":
        raise ValueError(
            "gradient='sticking_the_landing' is unbiased only for estimator='k1' (for k2 and k3 the "
            f"dropped score term does not vanish in expectation); got estimator={estimator!r}"
        )
    return gradient


def _check_num_samples(num_samples, need: int) -> int:
    if isinstance(num_samples, (bool, np.bool_)) or not isinstance(num_samples, (int, np.integer)):
        raise TypeError(f"`num_samples` must be a Python int (static under jit), got {type(num_samples).__name__}")
    if num_samples < need:
        raise ValueError(f"`num_samples` must be at least {need} here, got {num_samples}")
    return int(num_samples)


def monte_carlo_kl(
    p: Distribution,
    q: Distribution,
    *,
    key: jax.Array,
    num_samples: int,
    estimator: Estimator = "k1",
    gradient: Gradient = "auto",
    return_stderr: bool = False,
) -> jax.Array | tuple[jax.Array, jax.Array]:
    r"""Monte-Carlo estimate of KL(p ‖ q) from ``num_samples`` draws of p.

    $$
    \mathrm{KL}(p \,\|\, q) \approx \frac{1}{n} \sum_{i=1}^{n} k(l_i), \qquad
    l_i = \log p(x_i) - \log q(x_i), \quad x_i \sim p,
    $$

    with Schulman's k1 = l, k2 = l²/2 or k3 = (e^{−l} − 1) + l. k1 is unbiased; k3 is unbiased
    where q puts no mass outside p's support (its mean is KL − (1 − Q(supp p))); k3
    and k2 are never negative and have far lower variance than k1 when p ≈ q (p = N(0, 1), q
    = N(0.1, 1): standard deviation per sample / KL is 20 for k1, 1.42 for k2 and k3); k2's
    mean exceeds the KL by O(KL^{3/2}) (0.25 % of it there). k3's variance is infinite when
    E_p[(q/p)²] is (q much wider than p): prefer k1 then. Where p puts mass outside q's
    support the estimate is +inf.

    Gradients (``gradient=``), with respect to the parameters θ of p; what each estimator's
    gradient equals in expectation over the samples:

    | mode                       | k1         | k2         | k3         |
    |----------------------------|------------|------------|------------|
    | ``"reparameterized"``      | ∇KL(p ‖ q) | ∇E_p[l²/2] | ∇KL(p ‖ q) |
    | ``"score_function"``       | ∇KL(p ‖ q) | ∇E_p[l²/2] | ∇KL(p ‖ q) |
    | ``"fixed_samples"``        | 0          | ∇KL(p ‖ q) | ∇KL(q ‖ p) |
    | ``"sticking_the_landing"`` | ∇KL(p ‖ q) | —          | —          |

    - ``"reparameterized"`` (pathwise): x = p.sample(key) is differentiated through
      (needs ``p.reparameterized``); the gradient of the estimate is an unbiased estimate
      of the gradient of its expectation.
    - ``"score_function"``: samples held fixed plus the score-function (REINFORCE) term
      (1/(n−1)) Σᵢ (kᵢ − k̄) ∇log p(xᵢ), i.e. with the leave-one-out baseline
      bᵢ = mean_{j≠i} kⱼ; unbiased for the gradient of the expectation, for any p
      (discrete p, mixtures). Needs ``num_samples ≥ 2``.
    - ``"fixed_samples"``: no gradient through the sampling (``stop_gradient`` on x), as
      RL fine-tuning code does with sampled tokens. The expected gradient is
      E_p[k′(l)·∇log p]: 0 for k1, E_p[l ∇log p] = ∇KL(p ‖ q) for k2, and
      E_p[(1 − q/p) ∇log p] = −∫ q ∇log p = ∇KL(q ‖ p) for k3 — the reverse direction.
    - ``"sticking_the_landing"`` (Roeder et al., 2017): pathwise, with log p evaluated at
      stopped parameters, which drops the term E_p[∇_θ log p_θ(x)] = 0; lower variance as
      p approaches q. Only for k1.
    - ``"auto"`` (default): ``"reparameterized"`` where ``p.reparameterized``, else
      ``"score_function"``.

    With respect to the parameters of q (the samples never depend on them), every mode
    gives ∇_q KL(p ‖ q) in expectation for k1 and k3 and ∇_q E_p[l²/2] for k2.
    The standard error is computed from stopped values (it carries no gradient).

    Samples are shared along batch axes that only q has (p's batch axes of size 1
    included); log-densities are evaluated under ``jax.vmap`` over the sample axis, so a
    family's parameters are never materialized once per sample.

    Args:
        p: the distribution sampled from (any jaxkl distribution with ``sample`` and
            ``log_prob``).
        q: a distribution with the same event shape.
        key: a ``jax.random`` key (typed or raw); vmap over keys for independent estimates.
        num_samples: n, a Python int (static under jit).
        estimator: ``"k1"`` (default), ``"k2"`` or ``"k3"``.
        gradient: the gradient mode above.
        return_stderr: also return the standard error of the estimate,
            sd(k₁…kₙ)/√n with the n − 1 denominator.

    Returns:
        The estimate, with the broadcast batch shape of p and q and the dtype of the
        log-densities (float32 for bfloat16/float16 parameters); with ``return_stderr``,
        the pair (estimate, stderr).

    Raises:
        ValueError: unknown ``estimator`` or ``gradient``; ``"reparameterized"`` or
            ``"sticking_the_landing"`` for a p whose sample is not reparameterized;
            ``"sticking_the_landing"`` with k2 or k3; event shapes that differ;
            ``num_samples`` < 1 (< 2 with ``return_stderr`` or ``"score_function"``).
        TypeError: ``num_samples`` is not a Python int.

    Examples:
        KL(N(0, 1) ‖ N(0.1, 1)) = 0.1²/2 = 0.005; the k3 estimate lies within four standard
        errors of it, and its standard deviation per sample is 1.4 times the KL (k1's: 20):

        >>> import jax
        >>> import jaxkl
        >>> from jaxkl.distributions import Normal
        >>> p, q = Normal(0.0, 1.0), Normal(0.1, 1.0)
        >>> kl, se = jaxkl.monte_carlo_kl(p, q, key=jax.random.key(0), num_samples=100_000,
        ...                               estimator="k3", return_stderr=True)
        >>> bool(abs(float(kl) - 0.005) < 4 * float(se)), round(float(se) * 100_000**0.5 / 0.005, 1)
        (True, 1.4)

    References:
        John Schulman, "Approximating KL Divergence", 2020 (blog post).
        Geoffrey Roeder, Yuhuai Wu, David Duvenaud, "Sticking the Landing: Simple,
        Lower-Variance Gradient Estimators for Variational Inference", NeurIPS 2017.
        Wouter Kool, Herke van Hoof, Max Welling, "Buy 4 REINFORCE Samples, Get a Baseline
        for Free!", ICLR Deep RL Meets Structured Prediction workshop, 2019.
    """
    p, q = for_estimation(p), for_estimation(q)
    _check_estimator(estimator)
    mode = _resolve_gradient(p, gradient, estimator)
    need = 2 if (return_stderr or mode == "score_function") else 1
    n = _check_num_samples(num_samples, need)
    if tuple(p.event_shape) != tuple(q.event_shape):
        raise ValueError(
            f"monte_carlo_kl: p and q must have the same event shape, got {tuple(p.event_shape)} "
            f"({type(p).__name__}) and {tuple(q.event_shape)} ({type(q).__name__})"
        )
    pb, qb = tuple(p.batch_shape), tuple(q.batch_shape)
    try:
        batch = tuple(jnp.broadcast_shapes(pb, qb))
    except ValueError as e:
        raise ValueError(f"monte_carlo_kl: batch shapes {pb} of p and {qb} of q do not broadcast") from e

    # (n,) + ones for the axes only q has, so that samples broadcast against q's batch.
    x = p.sample(key, (n,) + (1,) * (len(batch) - len(pb)))
    if mode in ("score_function", "fixed_samples"):
        x = jax.lax.stop_gradient(x)
    p_eval = jax.lax.stop_gradient(p) if mode == "sticking_the_landing" else p
    log_p = jax.vmap(p_eval.log_prob)(x)
    log_q = jax.vmap(q.log_prob)(x)
    k = kl_estimator_terms(log_p, log_q, estimator=estimator)
    estimate = jnp.mean(k, axis=0)

    if mode == "score_function":
        # Σᵢ (kᵢ − bᵢ)·∇log p(xᵢ)/n with bᵢ = mean_{j≠i} kⱼ equals Σᵢ (kᵢ − k̄)·∇log p(xᵢ)/(n − 1).
        # The added term is exactly 0 in value; entries with k = ±inf get no score gradient.
        ks = jax.lax.stop_gradient(k)
        centered = ks - jnp.mean(ks, axis=0)
        centered = jnp.where(jnp.isfinite(centered), centered, 0.0)
        lp = log_p.astype(k.dtype)
        estimate = estimate + jnp.sum(centered * (lp - jax.lax.stop_gradient(lp)), axis=0) / (n - 1)

    estimate = jnp.broadcast_to(estimate, batch)
    if not return_stderr:
        return estimate
    ks = jax.lax.stop_gradient(k)
    dev = ks - jnp.mean(ks, axis=0)
    stderr = jnp.sqrt(jnp.sum(dev * dev, axis=0) / (float(n - 1) * float(n)))
    return estimate, jnp.broadcast_to(stderr, batch)


def kl_estimate(
    p: Distribution,
    q: Distribution,
    *,
    key: jax.Array,
    num_samples: int,
    estimator: Estimator = "k1",
    gradient: Gradient = "auto",
    return_stderr: bool = False,
) -> jax.Array | tuple[jax.Array, jax.Array]:
    """KL(p ‖ q) in closed form where one is registered, else a Monte-Carlo estimate.

    The closed form is ``jaxkl.kl_divergence(p, q)`` (exact value and gradient; ``key``,
    ``num_samples``, ``estimator`` and ``gradient`` are then unused). Otherwise this is
    ``monte_carlo_kl(p, q, key=key, num_samples=num_samples, estimator=estimator,
    gradient=gradient)``, as numpyro's mean-field ELBO does. The choice depends only on
    the types of p and q, so it is fixed at trace time.

    Args:
        p: a jaxkl distribution.
        q: a jaxkl distribution with the same event shape.
        key: a ``jax.random`` key, used only by the Monte-Carlo estimate.
        num_samples: n, a Python int (static under jit), as in
            [`monte_carlo_kl`][jaxkl.monte_carlo_kl].
        estimator: ``"k1"`` (default), ``"k2"`` or ``"k3"``.
        gradient: the gradient mode of [`monte_carlo_kl`][jaxkl.monte_carlo_kl].
        return_stderr: also return the standard error (0 for a closed form).

    Returns:
        KL(p ‖ q) or its estimate, with the broadcast batch shape of p and q; with
        ``return_stderr``, the pair (value, stderr).

    Raises:
        ValueError: as [`monte_carlo_kl`][jaxkl.monte_carlo_kl], when no closed form is registered.
        TypeError: as [`monte_carlo_kl`][jaxkl.monte_carlo_kl], when no closed form is registered.

    Examples:
        Normal ‖ Normal has a closed form, (μp − μq)²/2 = 0.5 for unit scales; a mixture
        has none and is estimated (``scipy.integrate.quad`` of p·log(p/q) gives 0.0130787):

        >>> import jax
        >>> import jaxkl
        >>> from jaxkl.distributions import Categorical, MixtureSameFamily, Normal
        >>> key = jax.random.key(0)
        >>> round(float(jaxkl.kl_estimate(Normal(0.0, 1.0), Normal(1.0, 1.0), key=key, num_samples=10)), 4)
        0.5
        >>> mix = MixtureSameFamily(Categorical(probs=[0.5, 0.5]), Normal([-1.0, 1.0], [1.0, 1.0]))
        >>> kl, se = jaxkl.kl_estimate(mix, Normal(0.0, 1.5), key=key, num_samples=100_000, return_stderr=True)
        >>> bool(abs(float(kl) - 0.0130787) < 4 * float(se)), bool(float(se) < 1e-3)
        (True, True)
    """
    p, q = for_estimation(p), for_estimation(q)
    if lookup(type(p), type(q)) is not None:  # type: ignore[arg-type]  # a class is Hashable; mypy misses it
        kl = kl_divergence(p, q)
        return (kl, jnp.zeros_like(kl)) if return_stderr else kl
    return monte_carlo_kl(
        p,
        q,
        key=key,
        num_samples=num_samples,
        estimator=estimator,
        gradient=gradient,
        return_stderr=return_stderr,
    )
