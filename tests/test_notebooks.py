"""The notebooks in notebooks/: stored with their outputs, and executed here so they cannot rot.

Each notebook is executed with nbclient on an in-memory copy (the stored file is never
written), in the notebooks/ directory, with the installed jaxkl; a cell that raises —
including the ``assert``/``np.testing`` checks the notebooks make on their own numbers —
fails the test. The stored files are checked to be executed top to bottom in one run, with
an output for every code cell, no error and nothing written to stderr, and at least one
plot, so an unexecuted or broken notebook cannot be committed.
"""

import warnings
from pathlib import Path

import pytest

# Warnings from Jupyter's own machinery, not from the notebooks or jaxkl (pytest runs with
# filterwarnings = error):
# - older jupyter_core 5.x releases warn, when their paths module is imported, that
#   Jupyter's config directories are moving to platformdirs;
# - pyzmq warns on Windows that the Proactor event loop needs a selector thread.
PLATFORMDIRS = "Jupyter is migrating its paths to use standard platformdirs"
JUPYTER_WARNINGS = [
    f"ignore:{PLATFORMDIRS}:DeprecationWarning",
    "ignore:Proactor event loop does not implement add_reader:RuntimeWarning",
]

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", PLATFORMDIRS, DeprecationWarning)
    import nbformat
    from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
EXPECTED = [
    "01_quickstart.ipynb",
    "02_closed_form_vs_monte_carlo.ipynb",
    "03_forward_vs_reverse_kl.ipynb",
    "04_vae.ipynb",
    "05_batched_and_sharded.ipynb",
]
CELL_TIMEOUT_S = 180


def _read(name: str):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def test_the_expected_notebooks_exist():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_stored_notebook_is_executed_and_clean(name):
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "opens with a markdown title cell"
    assert last.cell_type == "markdown" and "Summary" in last.source, "closes with a markdown summary"

    cells = _code_cells(nb)
    assert cells
    # executed top to bottom in one kernel session
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1)), name
    for i, cell in enumerate(cells):
        assert cell.source.strip(), f"{name}: code cell {i} is empty"
        assert cell.outputs, f"{name}: code cell {i} has no stored output:\n{cell.source[:200]}"
        for out in cell.outputs:
            assert out.output_type != "error", f"{name}: code cell {i} stored an error: {out.get('ename')}"
            assert not (out.output_type == "stream" and out.name == "stderr"), (
                f"{name}: code cell {i} wrote to stderr:\n{out.text[:500]}"
            )
    images = [o for c in cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert images, f"{name}: no plot stored"


@pytest.mark.timeout(300)
@pytest.mark.filterwarnings(*JUPYTER_WARNINGS)
@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_executes(name):
    nb = _read(name)  # a fresh in-memory copy: the stored file is never written
    for cell in _code_cells(nb):
        cell.outputs = []
        cell.execution_count = None
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        extra_arguments=["--InteractiveShell.colors=nocolor"],  # plain-text tracebacks in failures
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    for i, cell in enumerate(_code_cells(nb)):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{name}: code cell {i} raised {errors[0].ename}"
