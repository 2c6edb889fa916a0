"""The parameter-domain policy (``Distribution.in_domain``), walked over every family.

Generated from the family modules (``tests/distributions/test_<family>.py``: the class,
its valid points) and the registry (every pair a family takes part in), so a new family is
covered without editing this file. For every parameter and every kind of bad value its
constraint admits (negative, zero, NaN, ±inf, outside [0, 1], a vector that is not a
probability vector, a matrix that is not symmetric or not positive definite, a singular
triangular factor, a broken relation between parameters):

- ``in_domain`` is False for that batch entry and True for the valid one beside it;
- every method (``log_prob``, ``sample``, ``entropy``, ``mean``, ``variance``) gives NaN
  there (−1 for integer samples) and, in the valid entry, what it gives without the bad
  entry in the batch;
- every registered KL the family takes part in, as p and as q, gives NaN there;
- ``validate_args=True`` raises a ``ValueError`` naming the parameter.

The valid readings (a triangular factor with negative diagonal entries, a negative scale of a
diagonal normal) give what the canonical parameter gives, in every method and every pair.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tables
from kits import NON_DIFF, call_rows, make

import jaxkl
from jaxkl.registry import lookup

MODULES = {module.FAMILY: module for module in tables.family_modules()}
POINTS = {cls: tables.domain_points(module) for cls, module in MODULES.items()}
CASES = tables.cases()

# bad values of the element-wise constraints (placed in one entry of the parameter)
SCALAR_BAD = {
    "real": [np.nan, np.inf, -np.inf],
    "positive": [-1.0, 0.0, np.nan, np.inf],
    "nonnegative": [-1.0, np.nan, np.inf],
    "nonzero": [0.0, np.nan, np.inf],
    "unit_interval": [-0.5, 1.5, np.nan],
    "open_unit_interval": [0.0, 1.0, -0.5, 1.5, np.nan],
    "half_open_unit_interval": [0.0, -0.5, 1.5, np.nan],
    "nonnegative_integer": [-1.0, 2.5, np.nan, np.inf],
    "positive_integer": [0.0, 2.5, np.nan],
    "real_or_inf": [np.nan],
    "logits": [np.nan, np.inf],
}


def _set(v, index, value):
    out = np.array(v, np.float64)
    out[index] = value
    return out


def bad_values(constraint: str, v) -> list[tuple[str, np.ndarray]]:
    """(label, value) pairs: ``v`` (a valid parameter) made to violate ``constraint``."""
    v = np.asarray(v, np.float64)
    if constraint in SCALAR_BAD:
        first = (0,) * v.ndim
        return [(str(b), _set(v, first, b)) for b in SCALAR_BAD[constraint]]
    if constraint == "simplex":
        negative = _set(v, (..., 0), -0.1)
        negative[..., 1] += v[..., 0] + 0.1  # still sums to 1
        return [("negative entry", negative), ("sum 1.5", 1.5 * v), ("nan", _set(v, (..., 0), np.nan))]
    if constraint == "positive_definite":
        asymmetric = _set(v, (..., 0, 1), v[..., 0, 1] + 0.5 * np.abs(v).max())
        nan = _set(_set(v, (..., 0, 1), np.nan), (..., 1, 0), np.nan)
        return [("asymmetric", asymmetric), ("negative definite", -v), ("nan", nan)]
    if constraint == "nonsingular_tril":
        return [
            ("zero diagonal", _set(v, (..., 1, 1), 0.0)),
            ("nan", _set(v, (..., 1, 0), np.nan)),
            ("inf", _set(v, (..., 2, 2), np.inf)),
        ]
    raise AssertionError(f"no bad values for the constraint {constraint!r}: add them here")


def domain_rows(cls, point: dict) -> list[tuple[str, dict]]:
    """(label, parameters): the valid point first, then one row per parameter and bad value
    (and per broken relation of the family module's ``DOMAIN_RELATIONS``)."""
    rows = [("valid", point)]
    for attr, constraint in cls.arg_constraints.items():
        name = attr.lstrip("_")
        if name in point:
            rows += [(name, {**point, name: bad}) for _, bad in bad_values(constraint, point[name])]
    for relation in getattr(MODULES[cls], "DOMAIN_RELATIONS", ()):
        rows.append(("|".join(relation), {**point, **relation}))
    return rows


def stack(points: list[dict]) -> dict:
    return {k: np.stack([np.asarray(pt[k], np.float64) for pt in points]) for k in points[0]}


def _methods(d, x, key):
    """Every method the family has, under one trace (a method it lacks is left out)."""
    calls = {
        "log_prob": lambda: d.log_prob(x),
        "sample": lambda: d.sample(key),
        "entropy": d.entropy,
        "mean": lambda: d.mean,
        "variance": lambda: d.variance,
        "in_domain": lambda: jnp.broadcast_to(d.in_domain(), d.batch_shape),
    }
    out = {}
    for name, call in calls.items():
        try:
            out[name] = call()
        except NotImplementedError:
            pass
    return out


methods = jax.jit(_methods)


def _check_rows(name, bad, valid, n_valid=1):
    """Rows from ``n_valid`` on are NaN (−1 for integers); the first rows equal ``valid``'s."""
    bad, valid = np.asarray(bad), np.asarray(valid)
    missing = -1 if np.issubdtype(bad.dtype, np.integer) else np.nan
    assert np.all(np.isnan(bad[n_valid:]) if np.isnan(missing) else bad[n_valid:] == missing), (name, bad)
    np.testing.assert_array_equal(bad[:n_valid], valid[:n_valid], err_msg=name)


# ---------------------------------------------------------------------- every family's methods

FAMILY_POINTS = [(cls, i) for cls, points in POINTS.items() for i in range(len(points))]


@pytest.mark.parametrize(
    "cls,i", FAMILY_POINTS, ids=[f"{c.__name__}-{'|'.join(POINTS[c][i])}" for c, i in FAMILY_POINTS]
)
def test_methods_are_nan_outside_the_domain(cls, i):
    point = POINTS[cls][i]
    rows = domain_rows(cls, point)
    assert len(rows) > 1, f"{cls.__name__} has no parameter with a constraint"
    bad, valid = make(cls, stack([r for _, r in rows])), make(cls, stack([point] * len(rows)))
    x = make(cls, point).sample(jax.random.key(0))
    got, want = methods(bad, x, jax.random.key(1)), methods(valid, x, jax.random.key(1))
    assert np.asarray(got.pop("in_domain")).tolist() == [True] + [False] * (len(rows) - 1)
    assert np.all(np.asarray(want.pop("in_domain")))
    assert {"log_prob", "sample"} <= set(got)
    for name in got:
        _check_rows(f"{cls.__name__}.{name}", got[name], want[name])


@pytest.mark.parametrize(
    "cls,i", FAMILY_POINTS, ids=[f"{c.__name__}-{'|'.join(POINTS[c][i])}" for c, i in FAMILY_POINTS]
)
def test_validate_args_names_the_parameter(cls, i):
    (_, valid), *bad = domain_rows(cls, POINTS[cls][i])

    def build(params):
        return cls(**{k: (v if k in NON_DIFF else jnp.asarray(v)) for k, v in params.items()}, validate_args=True)

    build(valid)
    for names, params in bad:
        with pytest.raises(ValueError, match="|".join(f"`{n}`" for n in names.split("|"))):
            build(params)


# ---------------------------------------------------------------------- wrappers

WRAPS = [
    (wrapper, base, wrap) for wrapper, module in MODULES.items() for base, wrap in getattr(module, "DOMAIN_WRAPS", ())
]


@pytest.mark.parametrize("wrapper,base,wrap", WRAPS, ids=[f"{w.__name__}-of-{b.__name__}" for w, b, _ in WRAPS])
def test_wrappers_are_nan_where_what_they_wrap_is(wrapper, base, wrap):
    point = POINTS[base][0]
    rows = domain_rows(base, point)
    bad, valid = wrap(make(base, stack([r for _, r in rows]))), wrap(make(base, stack([point] * len(rows))))
    assert type(bad) is wrapper
    x = make(base, point).sample(jax.random.key(0)) if wrapper.__name__ != "MixtureSameFamily" else jnp.asarray(0.3)
    x = jnp.broadcast_to(x, bad.event_shape) if bad.event_shape else x
    got, want = methods(bad, x, jax.random.key(1)), methods(valid, x, jax.random.key(1))
    assert np.asarray(got.pop("in_domain")).tolist() == [True] + [False] * (len(rows) - 1)
    want.pop("in_domain")
    for name in got:
        _check_rows(f"{wrapper.__name__}.{name}", got[name], want[name])


# ---------------------------------------------------------------------- every registered pair


def _concrete(cls) -> list:
    """The families a pair registered for ``cls`` serves (``cls`` or its subclasses)."""
    return [cls] if cls in POINTS else [c for c in POINTS if issubclass(c, cls) and POINTS[c]]


def _pairs() -> list:
    out = []
    for P, Q in jaxkl.registered_pairs():
        for cp in _concrete(P):
            for cq in _concrete(Q):
                if lookup(cp, cq) is lookup(P, Q) and (cp, cq) not in out:
                    out.append((cp, cq))
    return out


def _wrapped(cls, points):
    """``cls``'s batch from stacked points: a family built directly, a wrapper (its module's
    first ``DOMAIN_WRAPS`` entry) around a batch of its base family."""
    if POINTS.get(cls):
        return make(cls, points)
    base, wrap = MODULES[cls].DOMAIN_WRAPS[0]
    return wrap(make(base, points))


def _base(cls):
    return cls if POINTS.get(cls) else MODULES[cls].DOMAIN_WRAPS[0][0]


def _event_shape(cls) -> tuple:
    return _wrapped(cls, stack([POINTS[_base(cls)][0]])).event_shape


# (a pair registered for any q, Delta ‖ Distribution, meets only the q's of Delta's event shape)
PAIRS = [(P, Q) for P, Q in _pairs() if _event_shape(P) == _event_shape(Q)]
kl_jit = jax.jit(jaxkl.kl_divergence)


def _case_keys(cls) -> set | None:
    return set(CASES[cls].params(np.random.default_rng(0))) if cls in CASES else None


def _kl_rows(P, Q, p_rows: list[dict], q_rows: list[dict]) -> np.ndarray:
    """KL of row-wise stacked points: through the registry table's compiled programs where
    both families have a case (``kits``), else one compiled call."""
    pb, qb = stack(p_rows), stack(q_rows)
    if _case_keys(P) == set(pb) and _case_keys(Q) == set(qb):  # the registry table's parameterization
        return np.asarray(call_rows(P, Q, pb, qb)[0])
    return np.asarray(kl_jit(_wrapped(P, pb), _wrapped(Q, qb)))


@pytest.mark.parametrize("P,Q", PAIRS, ids=[f"{P.__name__}-{Q.__name__}" for P, Q in PAIRS])
def test_kl_is_nan_outside_either_domain(P, Q):
    """p's bad rows against a valid q, and a valid p against q's bad rows, for every
    parameterization of each side against the other's first."""
    bp, bq = _base(P), _base(Q)
    for side, points in (("p", POINTS[bp]), ("q", POINTS[bq])):
        for point in points:
            rows = [r for _, r in domain_rows(bp if side == "p" else bq, point)]
            other = [(POINTS[bq] if side == "p" else POINTS[bp])[0]] * len(rows)
            got = _kl_rows(P, Q, rows, other) if side == "p" else _kl_rows(P, Q, other, rows)
            assert not np.isnan(got[0]), (P, Q, side, point, got)
            assert np.all(np.isnan(got[1:])), (P, Q, side, point, got)


# ---------------------------------------------------------------------- the estimators

CONTINUOUS = [cls for cls, case in CASES.items() if not case.discrete and make(cls, POINTS[cls][0]).support is not None]


@jax.jit
def _estimates(p, q, key):
    return jaxkl.quadrature_kl(p, q, num_nodes=31), jaxkl.monte_carlo_kl(p, q, key=key, num_samples=16)


@pytest.mark.parametrize("cls", CONTINUOUS, ids=[c.__name__ for c in CONTINUOUS])
def test_estimators_are_nan_outside_the_domain(cls):
    """quadrature_kl and monte_carlo_kl of a batch with out-of-domain entries against a valid
    q of the same family: NaN there (not the quadrature or average of NaN densities)."""
    point = POINTS[cls][0]
    rows = domain_rows(cls, point)
    for got in _estimates(make(cls, stack([r for _, r in rows])), make(cls, point), jax.random.key(0)):
        got = np.asarray(got)
        assert not np.isnan(got[0]) and np.all(np.isnan(got[1:])), (cls, got)


# ---------------------------------------------------------------------- valid readings

READINGS = [
    (cls, i, name, fn)
    for cls, module in MODULES.items()
    for name, fn in getattr(module, "DOMAIN_READINGS", {}).items()
    for i, point in enumerate(POINTS[cls])
    if name in point
]


@pytest.mark.parametrize("cls,i,name,fn", READINGS, ids=[f"{c.__name__}-{n}" for c, _, n, _ in READINGS])
def test_valid_readings_are_read_as_such(cls, i, name, fn):
    """Another representation of the same distribution gives the same values in every
    method and every pair (to rounding)."""
    point = POINTS[cls][i]
    other = {**point, name: fn(point[name])}
    assert not np.array_equal(other[name], point[name])
    a, b = make(cls, stack([other])), make(cls, stack([point]))
    x = make(cls, point).sample(jax.random.key(0))
    got, want = methods(a, x, jax.random.key(1)), methods(b, x, jax.random.key(1))
    for k in want:
        np.testing.assert_allclose(np.asarray(got[k]), np.asarray(want[k]), rtol=1e-12, atol=1e-12, err_msg=k)
    for P, Q in PAIRS:
        if cls not in (P, Q):
            continue
        for side in ("p", "q") if P is Q else ("p" if P is cls else "q",):
            partner = POINTS[_base(Q if side == "p" else P)][0]
            rows = ([other, point], [partner] * 2) if side == "p" else ([partner] * 2, [other, point])
            got = np.asarray(kl_jit(_wrapped(P, stack(rows[0])), _wrapped(Q, stack(rows[1]))))
            np.testing.assert_allclose(got[0], got[1], rtol=1e-12, atol=1e-14, err_msg=f"{P.__name__}-{Q.__name__}")


def test_the_docs_state_every_domain():
    """docs/distributions.md's table has a row per family stating each parameter's domain as
    the code checks it."""
    from pathlib import Path

    from jaxkl.checks import _CONSTRAINTS

    lines = (Path(__file__).parents[1] / "docs" / "distributions.md").read_text(encoding="utf-8").splitlines()
    for cls in MODULES:
        constraints = cls.arg_constraints
        if not isinstance(constraints, dict) or not constraints:  # the wrappers: their bases' domains
            continue
        row = next((line for line in lines if line.startswith(f"| `{cls.__name__}` |")), None)
        assert row is not None, f"docs/distributions.md has no domain row for {cls.__name__}"
        for attr, constraint in constraints.items():
            assert f"`{attr.lstrip('_')}`: {_CONSTRAINTS[constraint][2]}" in row, (cls, attr, row)
