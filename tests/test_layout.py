"""The package layout that CONTRIBUTING.md and docs/architecture.md describe, checked.

One module per family, named after its class (``OneHotCategorical`` in
``jaxkl/distributions/one_hot_categorical.py``); every closed-form KL(p ‖ q) registered in
``<p's module>_kl.py`` and nowhere else; the tests mirror it
(``tests/distributions/test_one_hot_categorical.py``).
"""

import ast
import importlib
import pathlib
import re

import jaxkl
import jaxkl.distributions as D

PKG = pathlib.Path(jaxkl.__file__).parent
FAMILIES = [getattr(D, n) for n in D.__all__ if n not in ("Distribution", "Support")]


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _register_calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "register_kl"]


def test_each_family_lives_in_the_module_named_after_it():
    wrong = {f.__name__: f.__module__ for f in FAMILIES if f.__module__ != f"jaxkl.distributions.{_snake(f.__name__)}"}
    assert not wrong, f"families outside their module: {wrong}"


def test_pair_modules_register_only_their_own_family_as_p():
    """In ``<family>_kl.py`` every ``register_kl`` call has that family as its first argument."""
    checked = 0
    for path in sorted((PKG / "distributions").glob("*_kl.py")):
        if path.name.startswith("_"):
            continue
        family = next(f for f in FAMILIES if _snake(f.__name__) + "_kl" == path.stem)
        calls = _register_calls(ast.parse(path.read_text(encoding="utf-8")))
        assert calls, f"{path.name} registers no pair"
        firsts = {ast.unparse(c.args[0]) for c in calls}
        assert firsts == {family.__name__}, f"{path.name} registers pairs for p in {firsts}"
        checked += len(calls)
    assert checked > 60


def test_only_pair_modules_register():
    """No other module of the package calls ``register_kl``."""
    others = [
        str(path.relative_to(PKG))
        for path in PKG.rglob("*.py")
        if not path.name.endswith("_kl.py") and _register_calls(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not others, f"register_kl called outside the pair modules: {others}"


def test_every_registered_pair_has_its_p_module():
    """Each family that is p in a registered pair has a ``_kl`` module (where the check above
    says the registration is)."""
    ps = {P for P, _ in jaxkl.registered_pairs() if P.__module__.startswith("jaxkl.distributions.")}
    assert len(ps) >= 30
    for P in ps:
        importlib.import_module(f"jaxkl.distributions.{_snake(P.__name__)}_kl")


TESTS = pathlib.Path(__file__).parent / "distributions"


def test_tests_mirror_the_families():
    """Each family module ``jaxkl/distributions/<family>.py`` has its test module
    ``tests/distributions/test_<family>.py`` naming it as ``FAMILY``; the closed-form pairs
    a test module tabulates have that family as p (as its ``_kl`` module registers them)."""
    modules = {path.stem for path in (PKG / "distributions").glob("*.py") if not path.stem.startswith("_")}
    modules = {m for m in modules if not m.endswith("_kl")}
    tests = {path.stem.removeprefix("test_") for path in TESTS.glob("test_*.py")}
    assert modules == tests, f"without tests: {sorted(modules - tests)}; without a family: {sorted(tests - modules)}"
    for name in sorted(tests):
        module = importlib.import_module(f"distributions.test_{name}")
        assert _snake(module.FAMILY.__name__) == name, (name, module.FAMILY)
        for pair in getattr(module, "PAIRS", ()):
            assert pair.P is module.FAMILY, (name, pair.id)
