"""The table of closed-form pairs shown in README.md and docs/closed-forms.md.

`python -m jaxkl pairs` prints it (as Markdown); `python -m jaxkl pairs --write README.md
docs/closed-forms.md` rewrites the block between the marker comments `START` and `END` of
each file, and `--check` exits with status 1 if a file's block is stale. The table is built
from `jaxkl.registered_pairs()`, counting subclasses as the dispatch of
`jaxkl.kl_divergence` does (`Exponential` and `Chi2` are subclasses of `Gamma`).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["END", "START", "check_files", "pairs_table", "write_files"]

START = "<!-- pairs-table:start -->"
END = "<!-- pairs-table:end -->"

COMMAND = "python -m jaxkl pairs --write README.md docs/closed-forms.md"


def _families() -> list[type]:
    from . import distributions

    classes = [getattr(distributions, name) for name in sorted(distributions.__all__)]
    return [
        c
        for c in classes
        if isinstance(c, type) and issubclass(c, distributions.Distribution) and c is not distributions.Distribution
    ]


def _library_pairs() -> list[tuple[type, type]]:
    """The registered pairs between jaxkl's own classes (pairs registered by users left out)."""
    from . import registered_pairs

    def own(t: type) -> bool:
        return t.__module__.startswith("jaxkl.distributions")

    return [(P, Q) for P, Q in registered_pairs() if own(P) and own(Q)]


# The support of each univariate family, to tell the pairs whose closed form is +inf for
# every parameter value (p puts mass where q has none) from those with a finite value.
_SUPPORT = {
    **dict.fromkeys(["Cauchy", "Gumbel", "Laplace", "Logistic", "Normal", "StudentT"], "real"),
    **dict.fromkeys(
        ["Chi2", "Exponential", "Gamma", "HalfCauchy", "HalfNormal", "InverseGamma", "LogNormal", "Weibull"],
        "positive",
    ),
    "Pareto": "above_scale",  # [scale, inf) with scale > 0
    **dict.fromkeys(["Beta", "ContinuousBernoulli", "Kumaraswamy"], "unit"),
    "Uniform": "interval",  # [low, high]: inside any of the others for some parameters
    **dict.fromkeys(["Geometric", "Poisson"], "counts"),  # every count (Poisson: for rate > 0)
    **dict.fromkeys(["Bernoulli", "Binomial"], "bounded_counts"),
}
_NEVER_INSIDE: dict[str | None, set[str]] = {
    "real": {"positive", "above_scale", "unit", "interval"},
    "positive": {"above_scale", "unit", "interval"},
    "above_scale": {"unit", "interval"},
    "unit": {"above_scale"},
    "counts": {"bounded_counts"},
}


def _always_infinite(p: type, q: type) -> bool:
    """Whether the support of p lies outside that of q for every parameter value."""
    return _SUPPORT.get(q.__name__) in _NEVER_INSIDE.get(_SUPPORT.get(p.__name__), set())


def pairs_table() -> str:
    """The Markdown block: a sentence with the counts, one row per family of p, a footnote."""
    families = _families()
    registered = _library_pairs()
    direct = set(registered)
    rows, n_pairs, n_finite, any_inherited = [], 0, 0, False

    def cell(p: type, qs: list[type], empty: str) -> str:
        nonlocal any_inherited
        if not qs:
            return empty
        if len(qs) == len(families):
            return "every family‡"
        names = []
        for q in qs:
            inherited = (p, q) not in direct
            any_inherited |= inherited
            names.append(f"`{q.__name__}`" + ("†" if inherited else ""))
        return ", ".join(names)

    for p in families:
        served = [q for q in families if any(issubclass(p, P) and issubclass(q, Q) for P, Q in registered)]
        finite = [q for q in served if not _always_infinite(p, q)]
        infinite = [q for q in served if _always_infinite(p, q)]
        n_pairs += len(served)
        n_finite += len(finite)
        none = "none: `quadrature_kl` (univariate) or `monte_carlo_kl`"
        rows.append(f"| `{p.__name__}` | {cell(p, finite, none)} | {cell(p, infinite, '')} |")
    lines = [
        f"{len(registered)} registered pairs serve {n_pairs} combinations of the {len(families)} families "
        f"(a pair registered for a class also serves its subclasses): {n_finite} with a finite closed form, "
        f"and {n_pairs - n_finite} where the support of p is not inside that of q, so that the closed form is "
        "`+inf` (for every parameter value but degenerate ones, such as a Poisson of rate 0).",
        "",
        "| p | q with a closed form for KL(p ‖ q) | q with KL(p ‖ q) = `+inf` |",
        "|---|---|---|",
        *rows,
    ]
    if any_inherited:
        bases: dict[str, list[str]] = {}
        for f in families:
            for base in families:
                if base is not f and issubclass(f, base):
                    bases.setdefault(base.__name__, []).append(f"`{f.__name__}`")
        subclasses = "; ".join(f"{' and '.join(subs)} of `{base}`" for base, subs in sorted(bases.items()))
        lines += ["", f"† served by the formula registered for a base class (subclasses: {subclasses})."]
    if any("every family" in row for row in rows):
        lines += [
            "",
            "‡ a pair registered for every distribution: for `Delta`, log_density − q.log_prob(v), numpyro's "
            "convention (for a continuous q a point mass has no density and this is a surrogate of the KL, "
            "which is +inf).",
        ]
    return "\n".join(lines)


def _replace_block(text: str, block: str, path: str) -> str:
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise ValueError(f"{path}: expected one {START} line followed by one {END} line")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{block}\n{END}{tail}"


def write_files(paths: list[str]) -> None:
    """Rewrite the block between the markers of each file with the current table."""
    block = pairs_table()
    for path in paths:
        file = Path(path)
        file.write_text(_replace_block(file.read_text(encoding="utf-8"), block, path), encoding="utf-8")


def check_files(paths: list[str]) -> list[str]:
    """The files whose block between the markers differs from the current table."""
    block = pairs_table()
    stale = []
    for path in paths:
        text = Path(path).read_text(encoding="utf-8")
        if _replace_block(text, block, path) != text:
            stale.append(path)
    return stale
