"""The documentation: every public name on the site, the site builds from the docstrings,
the examples on its pages run, and the table of closed-form pairs is current."""

import difflib
import doctest
import importlib
import inspect
import os
import pathlib
import pkgutil
import re
import subprocess
import sys

import pytest

import jaxkl
import jaxkl.distributions
from jaxkl import _pairs_table

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))


def public_names() -> list[str]:
    """Every public name, as the dotted path a ``:::`` directive uses."""
    names = [f"jaxkl.{n}" for n in jaxkl.__all__]
    names += [f"jaxkl.distributions.{n}" for n in jaxkl.distributions.__all__]
    names += [f"jaxkl.checks.{n}" for n in jaxkl.checks.__all__]
    return names


def directives() -> set[str]:
    found = set()
    for page in PAGES:
        found |= set(re.findall(r"^:::\s+(\S+)", page.read_text(encoding="utf-8"), flags=re.M))
    return found


def test_every_public_name_has_a_directive():
    missing = [n for n in public_names() if n not in directives()]
    assert not missing, f"public names without a `::: name` directive in docs/*.md: {missing}"


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return name.startswith("jaxkl.")


def test_every_directive_names_a_public_object():
    """Directives render public names, or a module's docstring (the notes on how it works)."""
    public = set(public_names())
    stray = sorted(d for d in directives() if d not in public and not _is_module(d))
    assert not stray, f"`:::` directives in docs/*.md for names that are neither public nor modules: {stray}"


def _documented_objects():
    for name in public_names():
        obj = jaxkl
        for part in name.split(".")[1:]:
            obj = getattr(obj, part)
        if not inspect.ismodule(obj):
            yield name, obj


def test_every_public_function_and_class_has_a_doctest():
    """An ``Examples:`` section (Google style: ``Example:`` renders as an admonition, its
    ``>>>`` lines as quoted text) holding a doctest, for every public function and class."""

    def has_examples(doc: str) -> bool:
        section = re.split(r"^\s*Examples:\s*$", doc, maxsplit=1, flags=re.M)
        return len(section) == 2 and ">>>" in section[1]

    without = [name for name, obj in _documented_objects() if not has_examples(inspect.getdoc(obj) or "")]
    assert not without, f"public names whose docstring has no `Examples:` section with a doctest: {without}"


def test_every_distribution_module_has_a_doctest():
    """Every family's module (the pair modules ``*_kl`` are checked pair by pair by the
    registry-wide tests against independent references)."""
    without = []
    for info in pkgutil.iter_modules(jaxkl.distributions.__path__):
        if info.name.startswith("_") or info.name.endswith("_kl"):
            continue
        module = importlib.import_module(f"jaxkl.distributions.{info.name}")
        tests = doctest.DocTestFinder().find(module, module.__name__)
        if not any(t.examples for t in tests if t.name.startswith(module.__name__)):
            without.append(module.__name__)
    assert not without, f"distribution modules without a doctest: {without}"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_examples_run(page):
    """The ``>>>`` examples of each page run (the docstrings' run as jaxkl's own doctests)."""
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    out = []
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    runner.run(test, out=out.append)
    assert runner.failures == 0, "".join(out)


def test_site_builds_strictly_with_an_anchor_per_public_name(tmp_path):
    """``mkdocs build --strict`` from the docstrings, offline: a proxy that refuses every
    connection makes any attempt to fetch something fail the build."""
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONWARNINGS="ignore")
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        env[var] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    r = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert r.returncode == 0, f"mkdocs build --strict failed:\n{r.stdout}\n{r.stderr}"
    html = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    missing = [n for n in public_names() if f'id="{n}"' not in html]
    assert not missing, f"no heading with an anchor in the built site for: {missing}"
    assert 'class="arithmatex"' in html  # the formulas reach MathJax


@pytest.fixture(scope="module")
def generated_table() -> str:
    """``python -m jaxkl pairs``, run in a fresh process so that pairs registered by other
    tests do not count."""
    r = subprocess.run([sys.executable, "-m", "jaxkl", "pairs"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.mark.parametrize("path", ["README.md", "docs/closed-forms.md"])
def test_pairs_table_is_current(path, generated_table):
    """The table between the marker comments equals what ``python -m jaxkl pairs`` prints."""
    text = (ROOT / path).read_text(encoding="utf-8")
    assert text.count(_pairs_table.START) == 1 and text.count(_pairs_table.END) == 1, (
        f"{path} must hold one {_pairs_table.START} line and one {_pairs_table.END} line"
    )
    current = text.split(_pairs_table.START)[1].split(_pairs_table.END)[0].strip("\n")
    expected = generated_table.strip("\n")
    diff = "\n".join(difflib.unified_diff(current.splitlines(), expected.splitlines(), path, "generated", lineterm=""))
    assert current == expected, (
        f"{path}: the table of closed-form pairs is stale; regenerate it with `{_pairs_table.COMMAND}`\n{diff}"
    )


def test_pairs_table_lists_every_registered_pair():
    """Each registered pair between jaxkl's families appears in its p row."""
    table = _pairs_table.pairs_table()
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines() if line.startswith("| `")}
    assert set(rows) == {n for n in jaxkl.distributions.__all__ if n not in ("Distribution", "Support")}
    for p, q in _pairs_table._library_pairs():
        if q is jaxkl.distributions.Distribution:
            assert "every family" in rows[p.__name__]
        else:
            assert f"`{q.__name__}`" in rows[p.__name__], (p.__name__, q.__name__)
    assert "`StudentT` | none" in table  # no closed form but the +inf support mismatches


def test_pairs_command_check_and_write(tmp_path):
    stale = tmp_path / "page.md"
    stale.write_text(f"before\n{_pairs_table.START}\nold\n{_pairs_table.END}\nafter\n", encoding="utf-8")
    r = subprocess.run(
        [sys.executable, "-m", "jaxkl", "pairs", "--check", str(stale)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and _pairs_table.COMMAND in r.stderr, r.stderr
    _pairs_table.write_files([str(stale)])
    assert _pairs_table.check_files([str(stale)]) == []
    text = stale.read_text(encoding="utf-8")
    assert text.startswith("before\n") and text.endswith("after\n") and "old" not in text


def test_readme_python_blocks_run():
    """The README's ```python blocks run, in order, in one namespace (as a reader would paste them)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.M | re.S)
    assert len(blocks) >= 3
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102
