"""The distribution base class: immutable pytrees with broadcasting parameters.

Every family subclasses [`Distribution`][jaxkl.distributions.Distribution] and lists its
array parameters in ``_params`` (and its static, non-array attributes in ``_static``).
Subclasses are registered as pytrees automatically: flattening yields the parameters as
leaves, and unflattening rebuilds the object without calling ``__init__``, so
``jax.tree.map``, ``jax.vmap`` and ``jax.jit`` may put anything (tracers, ``None``, axis
specs) in the leaves."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar, cast, get_origin, overload

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from .. import checks
from .._math import compute_dtype
from ._support import LOWER, REAL, Support, from_moments

__all__ = [
    "Distribution",
    "HalfScale",
    "LocScale",
    "ProbsOrLogits",
    "Static",
    "check_one_of",
    "is_integer",
    "matrix_constraints",
    "nan_outside_domain",
    "promote_params",
    "real_dtype",
    "value_array",
]

_STATIC = "jaxkl.static"
_T = TypeVar("_T")
# A field that is not an array parameter (an int, a string): part of the pytree's static
# structure, not a leaf. ``event_dim: Static[int]``.
Static = Annotated[_T, _STATIC]


def _field_kind(annotation: Any) -> str | None:
    """How a class annotation declares a field: "param" (an array leaf), "static", or None
    (a ``ClassVar``). Annotations may be strings (``from __future__ import annotations``)."""
    if isinstance(annotation, str):
        text = annotation.replace("typing.", "")
        if text.startswith("ClassVar"):
            return None
        return "static" if text.startswith("Static[") else "param"
    if get_origin(annotation) is ClassVar or annotation is ClassVar:
        return None
    if get_origin(annotation) is Annotated and _STATIC in getattr(annotation, "__metadata__", ()):
        return "static"
    return "param"


def real_dtype(*arrays) -> np.dtype:
    """The floating dtype parameters are stored in: float inputs keep their dtype (bf16
    included), integers and bools become JAX's default float."""
    vals = [
        a if isinstance(a, (int, float, bool, jax.Array, np.ndarray, np.generic)) else np.asarray(a)
        for a in arrays
        if a is not None
    ]
    # Python scalars are weakly typed: Normal(x32, 1.0) stays float32 under x64.
    dt = jnp.result_type(*vals) if vals else jnp.result_type(float)
    if not jnp.issubdtype(dt, jnp.inexact):
        dt = jnp.result_type(float)
    if jnp.issubdtype(dt, jnp.complexfloating):
        raise TypeError(f"complex parameters are not supported, got dtype {dt}")
    return np.dtype(dt)


@overload
def promote_params(cls_name: str, **params: ArrayLike) -> list[jax.Array]: ...
@overload
def promote_params(cls_name: str, **params: ArrayLike | None) -> list[jax.Array | None]: ...
def promote_params(cls_name: str, **params: ArrayLike | None) -> list[Any]:
    """Convert named parameters to arrays of one floating dtype (``None`` passes through).

    Shapes are not broadcast (the batch shape is their broadcast); a ``TypeError`` names
    a parameter that is not numeric.
    """
    for name, v in params.items():
        if v is None:
            continue
        if isinstance(v, Distribution):
            raise TypeError(f"{cls_name}: `{name}` must be an array, got a distribution {type(v).__name__}")
        try:
            jnp.asarray(v)
        except TypeError as e:
            raise TypeError(f"{cls_name}: `{name}` must be numeric, got {type(v).__name__}") from e
    dt = real_dtype(*params.values())
    return [None if v is None else jnp.asarray(v, dt) for v in params.values()]


# The methods the domain policy covers (``Distribution.in_domain``).
_DOMAIN_MASKED = ("log_prob", "sample", "entropy", "mean", "variance")


def nan_outside_domain(ok: jax.Array, out: jax.Array, event_ndims: int = 0) -> jax.Array:
    """``out`` where ``ok``, NaN elsewhere (−1 for integers, which have no NaN; −1 lies
    outside every discrete support). ``ok`` holds one flag per batch entry; ``out`` has the
    batch shape (trailing) followed by ``event_ndims`` event axes."""
    ok = jnp.asarray(ok)
    if event_ndims:
        ok = ok.reshape(ok.shape + (1,) * event_ndims)
    fill = jnp.nan if jnp.issubdtype(out.dtype, jnp.inexact) else -1
    return jnp.where(ok, out, jnp.asarray(fill, out.dtype))


def _domain_masked(method: Callable) -> Callable:
    """``method`` with the domain policy: NaN where the distribution is out of its domain."""
    trailing_event = method.__name__ in ("sample", "mean", "variance")

    @functools.wraps(method)
    def masked(self, *args, **kwargs):
        out = method(self, *args, **kwargs)
        return nan_outside_domain(self.in_domain(), jnp.asarray(out), len(self.event_shape) if trailing_event else 0)

    masked._domain_masked = True  # type: ignore[attr-defined]
    return masked


class Distribution:
    """Base class of jaxkl's distributions.

    Attributes every subclass provides: ``batch_shape``, ``event_shape``, ``log_prob(x)``,
    ``sample(key, sample_shape=())``, ``entropy()``, ``mean``, ``variance``.
    ``reparameterized`` says whether ``sample`` is differentiable with respect to the
    parameters (pathwise gradients).

    Every subclass is an immutable pytree whose leaves are its array parameters, so a
    distribution passes through ``jax.jit``, ``jax.vmap`` and ``jax.grad`` and through
    ``jax.tree.map``.

    A new family declares its fields once, as class annotations, in the order of its
    constructor: each annotated name is an array parameter (a leaf), ``Static[...]`` marks a
    non-array field (part of the tree structure), ``ClassVar[...]`` is not a field. A class
    without fields of its own has its base's. The default constructor takes the fields by
    position or name, converts the parameters to arrays of one floating dtype, and checks
    ``arg_constraints`` when ``validate_args=True``; a family with other parameterizations
    writes its own. The family then provides ``log_prob`` and whatever else it supports
    (``sample``, ``entropy``, ``mean``, ``variance``, ``support``) and registers its closed
    forms with [`register_kl`][jaxkl.register_kl].

    Examples:
        Parameters broadcast into the batch shape; the leaves are the parameters; a batch of
        distributions maps like any pytree (the log-densities are
        ``scipy.stats.norm([0, 1], 2).logpdf(0)``):

        >>> import jax
        >>> import jax.numpy as jnp
        >>> from jaxkl.distributions import Normal
        >>> Normal(jnp.array([0.0, 1.0]), 2.0).batch_shape
        (2,)
        >>> d = Normal(jnp.array([0.0, 1.0]), jnp.array([2.0, 2.0]))
        >>> [leaf.tolist() for leaf in jax.tree.leaves(d)]
        [[0.0, 1.0], [2.0, 2.0]]
        >>> [round(v, 4) for v in jax.vmap(lambda d: d.log_prob(0.0))(d).tolist()]
        [-1.6121, -1.7371]
        >>> d.loc = 1.0
        Traceback (most recent call last):
        ...
        AttributeError: Normal is immutable; build a new one instead of setting `loc`

        A family of one's own: the fields are declared once, the constructor comes with them
        (the Laplace log-density, ``scipy.stats.laplace(1, 2).logpdf(0)``):

        >>> from jaxkl.distributions import Distribution
        >>> class MyLaplace(Distribution):
        ...     loc: jax.Array
        ...     scale: jax.Array
        ...     def log_prob(self, x):
        ...         return -jnp.abs(x - self.loc) / self.scale - jnp.log(2 * self.scale)
        >>> d = MyLaplace(1.0, scale=2.0)
        >>> round(float(d.log_prob(0.0)), 4), d.batch_shape
        (-1.8863, ())
        >>> [leaf.tolist() for leaf in jax.tree.leaves(MyLaplace([0.0, 1.0], 2.0))]
        [[0.0, 1.0], 2.0]
    """

    _params: ClassVar[tuple[str, ...]] = ()
    _static: ClassVar[tuple[str, ...]] = ()
    # name -> constraint (see checks.constraint_holds): the parameter's domain, read by
    # ``in_domain`` (NaN outside it) and checked by ``validate_args=True``
    arg_constraints: ClassVar[dict[str, str]] = {}
    # name -> the reading of a parameter the formulas use, applied by ``broadcast_params``
    # where a parameter has several representations of one distribution (a scale matrix's
    # square root up to the signs of its columns): every method sees the one reading
    _readings: ClassVar[dict[str, Callable[[jax.Array], jax.Array]]] = {}
    # what ``_relations`` requires, for the ``validate_args`` message ("" where nothing)
    _relation_message: ClassVar[str] = ""
    reparameterized: ClassVar[bool] = False
    event_ndims: ClassVar[int] = 0
    # algebraic tails in the coordinate of the support (see ``_support``): the quadrature
    # then maps its nodes with tan instead of logit
    heavy_tailed: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        kinds = {n: _field_kind(t) for n, t in inspect.get_annotations(cls).items()}
        params = tuple(n for n, k in kinds.items() if k == "param")
        static = tuple(n for n, k in kinds.items() if k == "static")
        if params and "_params" not in cls.__dict__:
            cls._params = params
        if static and "_static" not in cls.__dict__:
            cls._static = static
        jax.tree_util.register_pytree_with_keys(
            cls,
            lambda d: (
                tuple((jax.tree_util.GetAttrKey(n), getattr(d, n)) for n in type(d)._params),
                tuple(getattr(d, n) for n in type(d)._static),
            ),
            lambda aux, leaves: cls._rebuild(aux, leaves),
            lambda d: (tuple(getattr(d, n) for n in type(d)._params), tuple(getattr(d, n) for n in type(d)._static)),
        )
        # The domain policy, in one place: every method a family defines returns NaN (−1 for
        # integer samples) where a parameter lies outside its domain (``in_domain``).
        for name in _DOMAIN_MASKED:
            attr = cls.__dict__.get(name)
            if isinstance(attr, property) and attr.fget is not None and not hasattr(attr.fget, "_domain_masked"):
                setattr(cls, name, property(_domain_masked(attr.fget), doc=attr.__doc__))
            elif callable(attr) and not hasattr(attr, "_domain_masked"):
                setattr(cls, name, _domain_masked(attr))

    @classmethod
    def _rebuild(cls, aux, leaves):
        obj = object.__new__(cls)
        for n, v in zip(cls._params, leaves):
            object.__setattr__(obj, n, v)
        for n, v in zip(cls._static, aux):
            object.__setattr__(obj, n, v)
        return obj

    def __init__(self, *args: Any, validate_args: bool = False, **kwargs: Any):
        cls = type(self)
        names = cls._params + cls._static
        if len(args) > len(names):
            raise TypeError(f"{cls.__name__} takes {len(names)} fields {names}, got {len(args)} positional arguments")
        values = dict(zip(names, args))
        for n, v in kwargs.items():
            if n not in names:
                raise TypeError(f"{cls.__name__} got an unexpected argument `{n}`; its fields are {names}")
            if n in values:
                raise TypeError(f"{cls.__name__} got two values for `{n}`")
            values[n] = v
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{cls.__name__} is missing {', '.join(f'`{n}`' for n in missing)}")
        arrays = promote_params(cls.__name__, **{n: values[n] for n in cls._params})
        self._set(**dict(zip(cls._params, arrays)), **{n: values[n] for n in cls._static})
        self._validate(validate_args)

    def _set(self, **values: Any) -> None:
        for n, v in values.items():
            object.__setattr__(self, n, v)

    def _validate(self, validate_args: bool) -> None:
        if validate_args:
            checks.validate_params(
                type(self).__name__,
                {n: (getattr(self, n), c) for n, c in self.arg_constraints.items() if getattr(self, n) is not None},
                self._relation_checks(),
            )

    def _relation_checks(self) -> tuple:
        """``((flags, message),)`` for ``validate_params`` where the family has ``_relations``."""
        return ((self._relations(), self._relation_message),) if self._relation_message else ()

    def in_domain(self) -> jax.Array:
        """Where the parameters lie in their domain: a boolean array broadcastable to
        ``batch_shape``.

        Every parameter must satisfy its constraint in ``arg_constraints`` (finite, positive,
        a probability vector, ...; NaN never does), and the parameters their relations
        (``_relations``, for instance ``low < high``). Outside the domain every method —
        ``log_prob``, ``sample``, ``entropy``, ``mean``, ``variance`` — and every closed-form
        KL the distribution takes part in give NaN, never a finite number: the policy is
        applied here, once for every family. ``validate_args=True`` raises instead, naming the
        parameter.

        Examples:
            >>> import jax.numpy as jnp
            >>> from jaxkl.distributions import Normal
            >>> d = Normal(0.0, jnp.array([1.0, -1.0, 0.0]))
            >>> d.in_domain().tolist(), d.entropy().tolist()[1:]
            ([True, False, False], [nan, nan])
        """
        ok = self._relations()
        for name, constraint in self.arg_constraints.items():
            v = getattr(self, name)
            if v is not None:
                ok = ok & self._constraint_holds(name, constraint, jnp.asarray(v))
        return ok

    def _constraint_holds(self, name: str, constraint: str, v: jax.Array) -> jax.Array:
        """One parameter's flags for ``in_domain``. A symmetric positive-definite matrix of a
        family with a ``scale_tril`` property is positive definite where that factor (the one
        the formulas compute, so a compiled method factorizes once) is finite."""
        if constraint == "positive_definite" and isinstance(getattr(type(self), "scale_tril", None), property):
            factor = cast(Any, self).scale_tril
            return checks.symmetric(v) & jnp.all(jnp.isfinite(factor), axis=(-2, -1))
        return checks.constraint_holds(constraint, v, self._param_event_ndims(name))

    def _relations(self) -> jax.Array:
        """Constraints between parameters (``low < high``), one flag per batch entry; a family
        with such a constraint overrides this and states it in ``_relation_message``."""
        return jnp.asarray(True)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable; build a new one instead of setting `{name}`")

    def __repr__(self) -> str:
        parts = []
        for n in self._params:
            v = getattr(self, n)
            if v is not None:
                scalar = np.ndim(v) == 0 and not isinstance(v, jax.core.Tracer)
                parts.append(f"{n}={v!r}" if scalar else f"{n}=<shape {getattr(v, 'shape', '?')}>")
        return f"{type(self).__name__}({', '.join(parts)})"

    # ------------------------------------------------------------------ shapes
    @property
    def _param_arrays(self) -> list:
        return [getattr(self, n) for n in self._params if getattr(self, n) is not None]

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the parameters, less the event dims of each parameter."""
        shapes = []
        for n in self._params:
            v = getattr(self, n)
            if v is None:
                continue
            nd = self._param_event_ndims(n)
            shapes.append(tuple(np.shape(v))[: np.ndim(v) - nd] if nd else tuple(np.shape(v)))
        return tuple(jnp.broadcast_shapes(*shapes)) if shapes else ()

    def _param_event_ndims(self, name: str) -> int:
        """How many trailing dims of parameter ``name`` belong to the event (0 for scalars)."""
        return 0

    @property
    def event_shape(self) -> tuple[int, ...]:
        return ()

    @property
    def dtype(self) -> np.dtype:
        """The floating dtype computations run in (float32 for bf16/fp16 parameters)."""
        return compute_dtype(*[v.dtype for v in self._param_arrays])

    def broadcast_params(self, *names: str) -> list[jax.Array]:
        """The named parameters in the compute dtype, broadcast to the batch shape (a parameter's
        event axes kept), in the order named: what the closed forms read.

        Examples:
            >>> from jaxkl.distributions import Normal
            >>> loc, scale = Normal([0.0, 1.0], 2.0).broadcast_params("loc", "scale")
            >>> scale.tolist()
            [2.0, 2.0]
        """
        dt = self.dtype
        shape = self.batch_shape
        out = []
        for n in names:
            v = jnp.asarray(getattr(self, n), dt)
            if n in self._readings:
                v = self._readings[n](v)
            nd = self._param_event_ndims(n)
            out.append(jnp.broadcast_to(v, shape + v.shape[v.ndim - nd :] if nd else shape))
        return out

    def _value(self, x: ArrayLike) -> jax.Array:
        """A point of the sample space as an array of the compute dtype of ``x`` and the
        parameters (Python scalars are weakly typed and take the parameters' dtype)."""
        x = jnp.asarray(x)
        return x.astype(compute_dtype(self.dtype, x))

    def _sample_shape(self, sample_shape) -> tuple[int, ...]:
        if isinstance(sample_shape, (int, np.integer)):
            sample_shape = (int(sample_shape),)
        return tuple(sample_shape) + self.batch_shape + self.event_shape

    # -------------------------------------------------------------- interface
    def log_prob(self, x: ArrayLike) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.log_prob")

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.sample")

    def entropy(self) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.entropy")

    @property
    def mean(self) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.mean")

    @property
    def variance(self) -> jax.Array:  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__}.variance")

    # ------------------------------------------------- what the estimators read
    @property
    def support(self) -> Support | None:
        """Where a univariate distribution puts its mass (a ``Support``); ``None`` where the
        family declares none (multivariate families, wrappers)."""
        return None

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        """A centre and a width of the distribution in the coordinate y of ``support`` (its own,
        or that of a mixture it is a component of), where ``jaxkl.quadrature_kl`` centres its
        nodes. Only needs to be near: by default from ``mean`` and ``variance`` (delta method)."""
        dt = self.dtype
        return from_moments(jnp.asarray(self.mean, dt), jnp.asarray(self.variance, dt), *support)

    def kinks(self) -> list[tuple[jax.Array, bool]]:
        """Points x where the log-density may not be smooth or the density has a narrow
        feature, for the quadrature to split its rule at: pairs (points, trailing), the points
        of the batch shape, or with one trailing axis of several points if ``trailing``."""
        return []


class ProbsOrLogits:
    """Mixin of the families that take exactly one of ``probs`` or ``logits`` and store the
    one given (in the field ``_probs`` or ``_logits``; the other is ``None``).

    Formulas that treat the two parameterizations differently read ``parameterization``
    and ``given_param()`` instead of the fields.
    """

    if TYPE_CHECKING:  # the fields of the families that use the mixin
        _probs: jax.Array | None
        _logits: jax.Array | None

    @property
    def parameterization(self) -> str:
        """``"probs"`` or ``"logits"``: the parameter the object was given, and stores."""
        return "probs" if self._probs is not None else "logits"

    def given_param(self) -> jax.Array:
        """The given parameter (see ``parameterization``), broadcast to the batch shape."""
        return cast(Distribution, self).broadcast_params("_" + self.parameterization)[0]

    def _init_given(
        self, probs, logits, validate_args: bool, *, category_axis: bool = False, **others: ArrayLike
    ) -> None:
        """The constructor body of these families: exactly one of ``probs`` / ``logits``,
        converted to one floating dtype with the other parameters ``others`` (fields of the
        same names); with ``category_axis`` the given one needs a last (category) axis."""
        d = cast(Distribution, self)
        name = type(self).__name__
        check_one_of(name, probs, logits)
        *rest, probs, logits = promote_params(name, **others, probs=probs, logits=logits)
        if category_axis:
            given, arg = (probs, "probs") if probs is not None else (logits, "logits")
            if given.ndim < 1:
                raise ValueError(f"{name}: `{arg}` must have at least one (category) axis; got shape {given.shape}")
        d._set(**dict(zip(others, rest)), _probs=probs, _logits=logits)
        d._validate(validate_args)


class LocScale(Distribution):
    """Base of the families parameterized by a real ``loc`` and a positive ``scale``
    (Normal, LogNormal, Laplace, Cauchy, Gumbel, Logistic): one constructor for all.

    No KL pair is registered for this class, so dispatch sees only the concrete families.
    """

    loc: jax.Array
    scale: jax.Array
    arg_constraints = {"loc": "real", "scale": "positive"}
    reparameterized = True
    support = Support(REAL)  # LogNormal declares its own

    def __init__(self, loc: ArrayLike = 0.0, scale: ArrayLike = 1.0, *, validate_args: bool = False):
        loc, scale = promote_params(type(self).__name__, loc=loc, scale=scale)
        self._set(loc=loc, scale=scale)
        self._validate(validate_args)

    def quadrature_centre(self, support: Support) -> tuple[jax.Array, jax.Array]:
        loc, scale = self.broadcast_params("loc", "scale")
        return loc, scale


class HalfScale(Distribution):
    """Base of the families |X| for X = ``scale``·Z with Z a symmetric standard law on the real
    line (HalfNormal, HalfCauchy): one field, constructor, ``log_prob`` (−inf for x < 0) and
    ``sample``. A family gives ``_log_density(x, scale)`` for x ≥ 0 and ``_standard_sample``.
    """

    scale: jax.Array
    arg_constraints = {"scale": "positive"}
    reparameterized = True
    support = Support(LOWER, 0.0)

    def __init__(self, scale: ArrayLike = 1.0, *, validate_args: bool = False):
        (scale,) = promote_params(type(self).__name__, scale=scale)
        self._set(scale=scale)
        self._validate(validate_args)

    def _log_density(self, x: jax.Array, scale: jax.Array) -> jax.Array:
        raise NotImplementedError

    def _standard_sample(self, key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
        raise NotImplementedError

    def log_prob(self, x: ArrayLike) -> jax.Array:
        x = self._value(x)
        (scale,) = self.broadcast_params("scale")
        inside = x >= 0
        xs = jnp.where(inside, x, 0.0)
        return jnp.where(inside, self._log_density(xs, scale), -jnp.inf)

    def sample(self, key: jax.Array, sample_shape=()) -> jax.Array:
        (scale,) = self.broadcast_params("scale")
        return scale * jnp.abs(self._standard_sample(key, self._sample_shape(sample_shape)))


def matrix_constraints(matrix: str, inverse: str, tril: str) -> dict[str, str]:
    """``arg_constraints`` of a matrix given as itself, its inverse or a triangular square
    root (exactly one of the three fields is set)."""
    return {matrix: "positive_definite", inverse: "positive_definite", tril: "nonsingular_tril"}


def value_array(d: Distribution, x: ArrayLike) -> jax.Array:
    """``x`` as an array of the compute dtype of ``x`` and the parameters of ``d``."""
    x = jnp.asarray(x)
    return x.astype(compute_dtype(d.dtype, x.dtype))


def is_integer(x: jax.Array) -> jax.Array:
    """Element-wise: x is a finite integer."""
    return jnp.isfinite(x) & (x == jnp.floor(x))


def check_one_of(cls_name: str, probs, logits) -> None:
    """Exactly one of ``probs`` and ``logits`` must be given."""
    if (probs is None) == (logits is None):
        got = "both" if probs is not None else "neither"
        raise ValueError(f"{cls_name}: pass exactly one of `probs` or `logits` (got {got})")
