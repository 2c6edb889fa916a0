"""The style and the types are part of the suite: ruff (lint and format) over jaxkl/ and
tests/, and mypy over jaxkl/ (its settings are in pyproject.toml)."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--no-cache", "jaxkl", "tests"],
        ["ruff", "format", "--check", "--no-cache", "jaxkl", "tests"],
        ["mypy", "--no-incremental"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_clean(command, tmp_path):
    extra = ["--cache-dir", str(tmp_path / "mypy")] if command[0] == "mypy" else []
    res = subprocess.run(
        [sys.executable, "-m", *command, *extra], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert res.returncode == 0, f"{' '.join(command)}:\n{res.stdout}{res.stderr}"
