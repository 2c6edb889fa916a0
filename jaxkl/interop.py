"""Distributions of numpyro, distrax and TFP-on-JAX as jaxkl distributions: ``as_distribution``.

``jaxkl.kl_divergence`` converts a foreign p or q with [`as_distribution`][jaxkl.as_distribution]
when no pair is registered for the given types (and so do ``kl_estimate``, ``monte_carlo_kl``
and ``quadrature_kl``), so changing one import gives the closed forms of jaxkl to code
written against a peer library, mixed origins included:

```python
jaxkl.kl_divergence(numpyro.distributions.Normal(0.0, 1.0), numpyro.distributions.Normal(1.0, 2.0))
jaxkl.kl_divergence(tfd.Gamma(2.0, 3.0), jaxkl.distributions.Gamma(2.5, 1.0))
```

A peer is recognised by the module of the object's type (``numpyro``, ``distrax``,
``tensorflow_probability.substrates.jax``) and its package is imported only then; jaxkl
itself never imports a peer. The conversion reads the parameters the peer object holds
(numpyro's attributes, distrax's properties, TFP's ``parameters``) and builds the jaxkl
object from them without copying or transforming them, so the result is traced under
``jax.jit``/``jax.vmap`` (the peers' distributions are pytrees) and gradients flow back to
the peer's parameters. The class is matched by its exact name: a subclass of a peer class
is refused unless listed.

Coverage, the peer's classes for each jaxkl class (``=``: the same name; ``…`` stands for
the jaxkl name, as in ``BernoulliProbs``; a parameter not named keeps its name):

| jaxkl | numpyro | distrax | TFP-on-JAX |
|---|---|---|---|
| Normal | = | =, LogStddevNormal | = |
| Laplace, Logistic, Gumbel | = | = | = |
| Cauchy, LogNormal, StudentT | = | — | = |
| HalfNormal, Chi2 | = | — | = |
| HalfCauchy | = | — | = (loc = 0 only) |
| Gamma | = | = | = (rate, or exp(log_rate)) |
| Exponential | = | — | = |
| InverseGamma | = | — | = (scale → rate) |
| Beta | =, BetaProportion | = (alpha, beta) | = |
| Kumaraswamy, Weibull | = | — | = |
| Uniform, VonMises, Dirichlet | = | = | = |
| Pareto | = | — | = (concentration → alpha) |
| ContinuousBernoulli | — | — | = |
| Poisson | = | — | = (rate, or exp(log_rate)) |
| Bernoulli | …Probs, …Logits | = | = |
| Geometric, Binomial | …Probs, …Logits | — | = |
| Categorical | …Probs, …Logits | =, Softmax, Greedy, EpsilonGreedy | = |
| OneHotCategorical | — | = | = |
| Multinomial | …Probs, …Logits | = | = |
| MultivariateNormal | = (its scale_tril) | …Tri, …FullCovariance, …DiagPlusLowRank, …FromBijector | …TriL, …FullCovariance, …DiagPlusLowRank, …LinearOperator |
| MultivariateNormalDiag | — | = | = |
| LowRankMultivariateNormal | = | — | …DiagPlusLowRankCovariance |
| Wishart | = (its scale_tril) | — | WishartTriL (df → concentration) |
| Delta | = | Deterministic | Deterministic, VectorDeterministic |
| Independent | = (``to_event``) | = | = |
| MixtureSameFamily | = | = | = |
| (batch broadcast) | ExpandedDistribution | — | — |

Conventions, checked against each peer's own ``log_prob``: Geometric counts the failures
before the first success in numpyro, TFP and jaxkl alike; Bernoulli, Binomial, Geometric,
the categorical families and ContinuousBernoulli keep whichever of ``probs``/``logits``
was given (distrax renormalizes ``probs`` on construction, and its normalized values are
used). TFP's parameters are read as the tensors the object holds, in TFP's dtype (the same
inside and outside ``jax.jit``; TFP holds Bernoulli-type probabilities in float32 whatever
it is given). numpyro holds a MultivariateNormal and a Wishart as a Cholesky factor
whatever they were built from, and that factor is used. distrax's ``MultivariateNormalTri``
with ``is_lower=False`` and the families whose *scale* S (not the covariance) is diagonal
plus low rank or a general operator (distrax's ``MultivariateNormalDiagPlusLowRank`` and
``MultivariateNormalFromBijector``, TFP's ``MultivariateNormalDiagPlusLowRank`` and
``MultivariateNormalLinearOperator``) become a ``MultivariateNormal`` with covariance S·Sᵀ.
TFP's ``log_rate`` becomes ``rate = exp(log_rate)``. A TFP ``HalfCauchy`` with a non-zero
``loc`` (support [loc, ∞)) and a ``Deterministic`` with a non-zero ``atol``/``rtol`` (a
tolerance band, not a point) have no jaxkl equivalent: a concrete non-zero value raises
``ValueError``; under ``jax.jit`` the value cannot be inspected, so the entries where it is
non-zero get a NaN parameter (a NaN scale or log-density, hence a NaN KL) rather than a
silently wrong number.

Errors: a class of a recognised peer with no jaxkl equivalent (numpyro's
``TruncatedNormal``, TFP's ``Sample``, …) raises ``NotImplementedError`` naming it; an
object of TFP's TensorFlow or NumPy substrate, or of any other library, raises
``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np

from . import distributions as D
from .distributions._base import Distribution, real_dtype
from .distributions.mixture_same_family import expand_batch

__all__ = ["as_distribution"]

_TFP_JAX = "tensorflow_probability.substrates.jax"
_PEERS = ("numpyro", "distrax", _TFP_JAX)


def _peer(d: Any) -> str | None:
    """The peer library ``d``'s type comes from, by its module; ``None`` for anything else."""
    mod = getattr(type(d), "__module__", None) or ""
    for peer in _PEERS:
        if mod == peer or mod.startswith(peer + "."):
            return peer
    return None


def as_distribution(d: Any) -> Distribution:
    """The jaxkl distribution equal to ``d``, a numpyro, distrax or TFP-on-JAX distribution.

    ``d`` is returned unchanged when it already is a jaxkl distribution. Otherwise the
    class of ``d`` is looked up by name in the table of its library (see the module
    docstring for the coverage per library and the conventions) and the jaxkl object is
    built from the parameters ``d`` holds, keeping the parameterization given where
    jaxkl has it (logits stay logits, a Cholesky factor stays one), so values and
    gradients are those of the native jaxkl distribution. ``Independent``,
    ``MixtureSameFamily`` and numpyro's ``ExpandedDistribution`` are converted
    recursively. Safe under ``jax.jit``, ``jax.vmap`` and ``jax.grad`` (the conversion
    runs at trace time and only rearranges arrays).

    Args:
        d: a jaxkl distribution, or a distribution of numpyro, distrax or
            ``tensorflow_probability.substrates.jax``.

    Returns:
        A jaxkl distribution with the same batch shape, event shape and ``log_prob``.

    Raises:
        NotImplementedError: ``d``'s class (named in the message) has no jaxkl equivalent;
            ``jaxkl.registered_pairs()`` lists the closed forms jaxkl has.
        TypeError: ``d`` is not a distribution of a supported library (TFP on the
            TensorFlow or NumPy substrate included).
        ValueError: the parameters have no jaxkl equivalent (a TFP ``HalfCauchy`` with
            ``loc`` ≠ 0, a ``Deterministic`` with a tolerance, a TFP ``WishartTriL`` over
            Cholesky factors).

    Examples:
        >>> import importlib.util
        >>> import jaxkl
        >>> from jaxkl.distributions import Normal
        >>> p = Normal(0.0, 1.0)
        >>> jaxkl.as_distribution(p) is p
        True
        >>> if importlib.util.find_spec("numpyro"):  # the same from numpyro, when installed
        ...     import numpyro.distributions as nd
        ...     q = jaxkl.as_distribution(nd.Normal(1.0, 2.0))
        ... else:
        ...     q = Normal(1.0, 2.0)
        >>> type(q).__name__, float(q.loc), float(q.scale)
        ('Normal', 1.0, 2.0)
        >>> round(float(jaxkl.kl_divergence(p, q)), 4)
        0.4431
    """
    if isinstance(d, Distribution):
        return d
    cls = type(d)
    where = f"{cls.__module__}.{cls.__qualname__}"
    peer = _peer(d)
    if peer is None:
        if cls.__module__.startswith("tensorflow_probability"):
            raise TypeError(
                f"as_distribution: {where} is a TensorFlow Probability distribution of the TensorFlow or NumPy "
                "substrate; jaxkl works with JAX arrays: build it from tensorflow_probability.substrates.jax instead"
            )
        raise TypeError(
            f"as_distribution: {where} is not a distribution jaxkl recognises; expected a jaxkl distribution or one "
            "of numpyro, distrax or tensorflow_probability.substrates.jax"
        )
    convert = _TABLES[peer].get(cls.__name__)
    if convert is None:
        raise NotImplementedError(
            f"as_distribution: {peer}'s {cls.__name__} ({where}) has no jaxkl equivalent. jaxkl.registered_pairs() "
            "lists the closed forms jaxkl has; build the jaxkl distribution instead, or estimate the divergence from "
            "samples: jaxkl.monte_carlo_kl(p, q, key=..., num_samples=...) for jaxkl distributions, "
            "jaxkl.kl_estimator_terms(p.log_prob(x), q.log_prob(x)) for draws x of this distribution"
        )
    return convert(d)


def convert_foreign(d: Any) -> Any:
    """``as_distribution(d)`` for an object of a peer library (TFP of any substrate); else ``d`` itself."""
    if isinstance(d, Distribution):
        return d
    if _peer(d) is not None or (getattr(type(d), "__module__", None) or "").startswith("tensorflow_probability"):
        return as_distribution(d)
    return d


def for_estimation(d: Any) -> Any:
    """``convert_foreign(d)``, or ``d`` itself for a peer's family with no jaxkl equivalent:
    the estimators need only its ``sample`` and ``log_prob``."""
    try:
        return convert_foreign(d)
    except NotImplementedError:
        return d


# ----------------------------------------------------------------------------- helpers
def _zero_or_nan(flag, target, message: str):
    """``target``, checked that ``flag`` (a parameter with no jaxkl equivalent unless 0) is 0.

    A concrete non-zero ``flag`` raises ``ValueError(message)``; a traced one cannot be
    inspected, so ``target`` becomes NaN where ``flag`` ≠ 0 (``flag`` broadcasting against it).
    """
    if flag is None:
        return target
    if not isinstance(flag, jax.core.Tracer):
        if np.any(np.asarray(flag) != 0):
            raise ValueError(message)
        return target
    target = jnp.asarray(target)
    return jnp.where(jnp.asarray(flag) == 0, target, jnp.asarray(jnp.nan, target.dtype))


def _delta(v, atol, rtol, event_dim: int, cls: str) -> D.Delta:
    """A point mass for a peer's ``Deterministic(loc, atol, rtol)``: zero tolerance only."""
    v = jnp.asarray(v)
    log_density = jnp.zeros(v.shape[: v.ndim - event_dim], real_dtype(v))
    msg = f"as_distribution: {cls} with a non-zero `atol`/`rtol` has no jaxkl equivalent (Delta is an exact point)"
    for tol in (atol, rtol):
        if tol is not None and isinstance(tol, jax.core.Tracer):
            tol = jnp.any(jnp.broadcast_to(tol, v.shape) != 0, axis=tuple(range(v.ndim - event_dim, v.ndim)))
        log_density = _zero_or_nan(tol, log_density, msg)
    return D.Delta(v, log_density, event_dim)


def _mvn_from_scale(loc, scale) -> D.MultivariateNormal:
    """N(loc, S·Sᵀ) for a dense scale matrix S that need not be triangular."""
    scale = jnp.asarray(scale)
    cov = scale @ jnp.swapaxes(scale, -1, -2)
    return D.MultivariateNormal(jnp.zeros(scale.shape[-1], scale.dtype) if loc is None else loc, covariance_matrix=cov)


def _broadcast_batch(d: Distribution, shape: tuple[int, ...]) -> Distribution:
    """``d`` with its batch shape broadcast to ``shape`` (numpyro's ``expand``)."""
    shape = tuple(shape)
    if isinstance(d, D.Independent):
        n = d.reinterpreted_batch_ndims
        base = tuple(d.base_dist.batch_shape)
        return D.Independent(_broadcast_batch(d.base_dist, shape + base[len(base) - n :]), n)
    if isinstance(d, D.MixtureSameFamily):
        k = d.mixing_distribution.num_categories
        return D.MixtureSameFamily(
            cast(D.Categorical, _broadcast_batch(d.mixing_distribution, shape)),
            _broadcast_batch(d.component_distribution, shape + (k,)),
        )
    return expand_batch(d, shape)


def _independent(base, d) -> D.Independent:
    """``Independent`` over the batch axes a peer's ``Independent`` moved to the event."""
    inner = as_distribution(base)
    return D.Independent(inner, len(tuple(d.event_shape)) - len(tuple(inner.event_shape)))


def _loc_scale(cls) -> Callable:
    return lambda d: cls(d.loc, d.scale)


# ----------------------------------------------------------------------------- numpyro
_NUMPYRO: dict[str, Callable[[Any], Distribution]] = {
    **{n: _loc_scale(getattr(D, n)) for n in ("Normal", "Laplace", "Logistic", "Gumbel", "Cauchy", "LogNormal")},
    "StudentT": lambda d: D.StudentT(d.df, d.loc, d.scale),
    "HalfNormal": lambda d: D.HalfNormal(d.scale),
    "HalfCauchy": lambda d: D.HalfCauchy(d.scale),
    "Gamma": lambda d: D.Gamma(d.concentration, d.rate),
    "Exponential": lambda d: D.Exponential(d.rate),
    "Chi2": lambda d: D.Chi2(d.df),
    "InverseGamma": lambda d: D.InverseGamma(d.concentration, d.rate),
    "Beta": lambda d: D.Beta(d.concentration1, d.concentration0),
    "BetaProportion": lambda d: D.Beta(d.concentration1, d.concentration0),
    "Kumaraswamy": lambda d: D.Kumaraswamy(d.concentration1, d.concentration0),
    "Uniform": lambda d: D.Uniform(d.low, d.high),
    "Pareto": lambda d: D.Pareto(d.scale, d.alpha),
    "Weibull": lambda d: D.Weibull(d.scale, d.concentration),
    "VonMises": lambda d: D.VonMises(d.loc, d.concentration),
    "Poisson": lambda d: D.Poisson(d.rate),
    "BernoulliProbs": lambda d: D.Bernoulli(probs=d.probs),
    "BernoulliLogits": lambda d: D.Bernoulli(logits=d.logits),
    "GeometricProbs": lambda d: D.Geometric(probs=d.probs),
    "GeometricLogits": lambda d: D.Geometric(logits=d.logits),
    "BinomialProbs": lambda d: D.Binomial(d.total_count, probs=d.probs),
    "BinomialLogits": lambda d: D.Binomial(d.total_count, logits=d.logits),
    "CategoricalProbs": lambda d: D.Categorical(probs=d.probs),
    "CategoricalLogits": lambda d: D.Categorical(logits=d.logits),
    "MultinomialProbs": lambda d: D.Multinomial(d.total_count, probs=d.probs),
    "MultinomialLogits": lambda d: D.Multinomial(d.total_count, logits=d.logits),
    "Dirichlet": lambda d: D.Dirichlet(d.concentration),
    "MultivariateNormal": lambda d: D.MultivariateNormal(d.loc, scale_tril=d.scale_tril),
    "LowRankMultivariateNormal": lambda d: D.LowRankMultivariateNormal(d.loc, d.cov_factor, d.cov_diag),
    "Wishart": lambda d: D.Wishart(d.concentration, scale_tril=d.scale_tril),
    "Delta": lambda d: D.Delta(d.v, d.log_density, len(d.event_shape)),
    "Independent": lambda d: D.Independent(as_distribution(d.base_dist), d.reinterpreted_batch_ndims),
    "MixtureSameFamily": lambda d: D.MixtureSameFamily(
        cast(D.Categorical, as_distribution(d.mixing_distribution)), as_distribution(d.component_distribution)
    ),
    "ExpandedDistribution": lambda d: _broadcast_batch(as_distribution(d.base_dist), tuple(d.batch_shape)),
}


# ----------------------------------------------------------------------------- distrax
def _distrax_given(d) -> dict[str, Any]:
    """``probs=`` or ``logits=``, whichever the distrax object was built with."""
    return {"probs": d._probs} if d._probs is not None else {"logits": d._logits}


def _distrax_tri(d) -> D.MultivariateNormal:
    if d.is_lower:
        return D.MultivariateNormal(d.loc, scale_tril=d.scale_tri)
    return _mvn_from_scale(d.loc, d.scale_tri)  # Σ = U·Uᵀ with U upper triangular


_DISTRAX: dict[str, Callable[[Any], Distribution]] = {
    **{n: _loc_scale(getattr(D, n)) for n in ("Normal", "Laplace", "Logistic", "Gumbel")},
    "LogStddevNormal": _loc_scale(D.Normal),
    "Gamma": lambda d: D.Gamma(d.concentration, d.rate),
    "Beta": lambda d: D.Beta(d.alpha, d.beta),
    "Uniform": lambda d: D.Uniform(d.low, d.high),
    "VonMises": lambda d: D.VonMises(d.loc, d.concentration),
    "Bernoulli": lambda d: D.Bernoulli(**_distrax_given(d)),
    **{n: lambda d: D.Categorical(**_distrax_given(d)) for n in ("Categorical", "Softmax", "Greedy", "EpsilonGreedy")},
    "OneHotCategorical": lambda d: D.OneHotCategorical(**_distrax_given(d)),
    "Multinomial": lambda d: D.Multinomial(d.total_count, **_distrax_given(d)),
    "Dirichlet": lambda d: D.Dirichlet(d.concentration),
    "Deterministic": lambda d: _delta(d.loc, d.atol, d.rtol, 0, "distrax Deterministic"),
    "Independent": lambda d: _independent(d.distribution, d),
    "MixtureSameFamily": lambda d: D.MixtureSameFamily(
        cast(D.Categorical, as_distribution(d.mixture_distribution)), as_distribution(d.components_distribution)
    ),
    "MultivariateNormalDiag": lambda d: D.MultivariateNormalDiag(d.loc, d.scale_diag),
    "MultivariateNormalTri": _distrax_tri,
    "MultivariateNormalFullCovariance": lambda d: D.MultivariateNormal(d.loc, covariance_matrix=d._covariance_matrix),
    "MultivariateNormalDiagPlusLowRank": lambda d: _mvn_from_scale(d.loc, d.scale.matrix),
    "MultivariateNormalFromBijector": lambda d: _mvn_from_scale(d.loc, d.scale.matrix),
}


# ----------------------------------------------------------------------------- TFP on JAX
def _tfp(d, name: str):
    """TFP's parameter ``name``: the tensor the object holds (TFP's dtype), or ``None`` if not given."""
    given = d.parameters.get(name)
    if given is None:
        return None
    held = getattr(d, name, None)
    return held if isinstance(held, (jax.Array, np.ndarray)) else given


def _tfp_given(d) -> dict[str, Any]:
    """``probs=`` or ``logits=``, whichever the TFP object was built with."""
    probs = _tfp(d, "probs")
    return {"probs": probs} if probs is not None else {"logits": _tfp(d, "logits")}


def _tfp_rate(d):
    rate = _tfp(d, "rate")
    return jnp.exp(jnp.asarray(_tfp(d, "log_rate"))) if rate is None else rate


def _tfp_half_cauchy(d) -> D.HalfCauchy:
    msg = "as_distribution: TFP's HalfCauchy with loc ≠ 0 (support [loc, ∞)) has no jaxkl equivalent"
    return D.HalfCauchy(_zero_or_nan(_tfp(d, "loc"), _tfp(d, "scale"), msg))


def _tfp_deterministic(event_dim: int) -> Callable:
    return lambda d: _delta(d.loc, _tfp(d, "atol"), _tfp(d, "rtol"), event_dim, f"TFP {type(d).__name__}")


def _tfp_mvn_tril(d) -> D.MultivariateNormal:
    loc, tril = _tfp(d, "loc"), _tfp(d, "scale_tril")
    if tril is None:
        return _mvn_from_scale(loc, jnp.eye(jnp.shape(loc)[-1], dtype=jnp.result_type(loc)))
    tril = jnp.asarray(tril)
    return D.MultivariateNormal(jnp.zeros(tril.shape[-1], tril.dtype) if loc is None else loc, scale_tril=tril)


def _tfp_mvn_cov(d) -> D.MultivariateNormal:
    loc, cov = _tfp(d, "loc"), jnp.asarray(_tfp(d, "covariance_matrix"))
    return D.MultivariateNormal(jnp.zeros(cov.shape[-1], cov.dtype) if loc is None else loc, covariance_matrix=cov)


def _tfp_mvn_diag(d) -> D.MultivariateNormalDiag:
    loc, diag = _tfp(d, "loc"), _tfp(d, "scale_diag")
    if diag is None:
        diag = jnp.ones(jnp.shape(loc)[-1:], jnp.result_type(loc))
    diag = jnp.asarray(diag)
    return D.MultivariateNormalDiag(jnp.zeros(diag.shape[-1:], diag.dtype) if loc is None else loc, diag)


def _tfp_low_rank(d) -> D.LowRankMultivariateNormal:
    loc, dg, w = _tfp(d, "loc"), jnp.asarray(_tfp(d, "cov_diag_factor")), _tfp(d, "cov_perturb_factor")
    return D.LowRankMultivariateNormal(jnp.zeros(dg.shape[-1:], dg.dtype) if loc is None else loc, w, dg)


def _tfp_wishart(d) -> D.Wishart:
    if d.parameters.get("input_output_cholesky"):
        raise ValueError(
            "as_distribution: TFP's WishartTriL with input_output_cholesky=True is a distribution over Cholesky "
            "factors, not over matrices; build it with input_output_cholesky=False"
        )
    return D.Wishart(_tfp(d, "df"), scale_tril=_tfp(d, "scale_tril"))


_TFP: dict[str, Callable[[Any], Distribution]] = {
    **{n: _loc_scale(getattr(D, n)) for n in ("Normal", "Laplace", "Logistic", "Gumbel", "Cauchy", "LogNormal")},
    "StudentT": lambda d: D.StudentT(_tfp(d, "df"), _tfp(d, "loc"), _tfp(d, "scale")),
    "HalfNormal": lambda d: D.HalfNormal(_tfp(d, "scale")),
    "HalfCauchy": _tfp_half_cauchy,
    "Gamma": lambda d: D.Gamma(_tfp(d, "concentration"), _tfp_rate(d)),
    "Exponential": lambda d: D.Exponential(_tfp(d, "rate")),
    "Chi2": lambda d: D.Chi2(_tfp(d, "df")),
    "InverseGamma": lambda d: D.InverseGamma(_tfp(d, "concentration"), _tfp(d, "scale")),
    "Beta": lambda d: D.Beta(_tfp(d, "concentration1"), _tfp(d, "concentration0")),
    "Kumaraswamy": lambda d: D.Kumaraswamy(_tfp(d, "concentration1"), _tfp(d, "concentration0")),
    "Uniform": lambda d: D.Uniform(_tfp(d, "low"), _tfp(d, "high")),
    "Pareto": lambda d: D.Pareto(_tfp(d, "scale"), _tfp(d, "concentration")),
    "Weibull": lambda d: D.Weibull(_tfp(d, "scale"), _tfp(d, "concentration")),
    "VonMises": lambda d: D.VonMises(_tfp(d, "loc"), _tfp(d, "concentration")),
    "ContinuousBernoulli": lambda d: D.ContinuousBernoulli(**_tfp_given(d)),
    "Poisson": lambda d: D.Poisson(_tfp_rate(d)),
    "Bernoulli": lambda d: D.Bernoulli(**_tfp_given(d)),
    "Geometric": lambda d: D.Geometric(**_tfp_given(d)),
    "Binomial": lambda d: D.Binomial(_tfp(d, "total_count"), **_tfp_given(d)),
    "Categorical": lambda d: D.Categorical(**_tfp_given(d)),
    "OneHotCategorical": lambda d: D.OneHotCategorical(**_tfp_given(d)),
    "Multinomial": lambda d: D.Multinomial(_tfp(d, "total_count"), **_tfp_given(d)),
    "Dirichlet": lambda d: D.Dirichlet(_tfp(d, "concentration")),
    "Deterministic": _tfp_deterministic(0),
    "VectorDeterministic": _tfp_deterministic(1),
    "MultivariateNormalTriL": _tfp_mvn_tril,
    "MultivariateNormalFullCovariance": _tfp_mvn_cov,
    "MultivariateNormalDiag": _tfp_mvn_diag,
    "MultivariateNormalDiagPlusLowRankCovariance": _tfp_low_rank,
    "MultivariateNormalDiagPlusLowRank": lambda d: _mvn_from_scale(_tfp(d, "loc"), d.scale.to_dense()),
    "MultivariateNormalLinearOperator": lambda d: _mvn_from_scale(_tfp(d, "loc"), d.scale.to_dense()),
    "WishartTriL": _tfp_wishart,
    "Independent": lambda d: _independent(d.distribution, d),
    "MixtureSameFamily": lambda d: D.MixtureSameFamily(
        cast(D.Categorical, as_distribution(d.mixture_distribution)), as_distribution(d.components_distribution)
    ),
}

_TABLES = {"numpyro": _NUMPYRO, "distrax": _DISTRAX, _TFP_JAX: _TFP}
