"""The benchmarks' own machinery: what a comparison of two checkouts runs must be each one's."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parent.parent


def _class_batch() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "class_batch", REPO / "benchmarks" / "class_batch.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_checkouts_python_imports_its_grader_even_in_isolated_mode(tmp_path: Path) -> None:
    """Sessions start with ``python -I`` (no PYTHONPATH): the venv must still give them the
    checkout's grader, not the one installed where the benchmark runs."""
    other = tmp_path / "other"
    shutil.copytree(REPO / "grader", other / "grader", ignore=shutil.ignore_patterns("__pycache__"))
    python = _class_batch().python_for(other, tmp_path / "venv")
    found = subprocess.run(
        [python, "-I", "-c", "import grader, pytest; print(grader.__file__)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert Path(found.stdout.strip()) == other / "grader" / "__init__.py"
    # Why a venv: PYTHONPATH, which the comparison used to set, is ignored under -I.
    plain = subprocess.run(
        [sys.executable, "-I", "-c", "import grader; print(grader.__file__)"],
        env=dict(os.environ, PYTHONPATH=str(other)), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert Path(plain.stdout.strip()) != other / "grader" / "__init__.py"


def test_a_folder_without_a_grader_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="does not import the grader of"):
        _class_batch().python_for(tmp_path / "empty", tmp_path / "venv")
