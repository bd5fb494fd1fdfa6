"""Where an exercise's untouched stub comes from, for ``grader reset`` and the todo/started state.

Two sources, in this order: the copy the grader keeps in ``.grader/stubs/NN_slug/`` the first
time it sees an exercise (taken from git's ``HEAD`` when the module is committed there, so an
edit made before the first run is not mistaken for the stub; else the file as it is then), and
the version committed at ``HEAD`` (``git show HEAD:exercises/NN_slug/slug.py``). Neither is
ever written by the student's code; the copy is only ever written here, once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path

from grader.catalog import Exercise


def kept_copy(root: Path, exercise: Exercise) -> Path:
    return root / ".grader" / "stubs" / exercise.name / exercise.module_file


def keep(root: Path, exercises: list[Exercise]) -> None:
    """Keep a copy of each exercise's module that has none yet (first sight: the stub)."""
    for exercise in exercises:
        copy = kept_copy(root, exercise)
        module = exercise.module_in(root / "exercises")
        if copy.exists() or not module.is_file():
            continue
        with contextlib.suppress(OSError):  # a convenience only: a read-only clone still works
            data = from_git(root, exercise)
            copy.parent.mkdir(parents=True, exist_ok=True)
            tmp = copy.with_suffix(".tmp")
            if data is None:
                shutil.copyfile(module, tmp)
            else:
                tmp.write_bytes(data)
            os.replace(tmp, copy)


def from_git(root: Path, exercise: Exercise) -> bytes | None:
    """The module as committed at HEAD, or None (not a git checkout, no git, not tracked)."""
    relative = exercise.module_in(root / "exercises").relative_to(root).as_posix()
    try:
        shown = subprocess.run(
            ["git", "-C", str(root), "show", f"HEAD:{relative}"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return shown.stdout if shown.returncode == 0 else None


def stub(root: Path, exercise: Exercise, use_git: bool = True) -> bytes | None:
    """The untouched stub's bytes, or None when no source has it."""
    try:
        return kept_copy(root, exercise).read_bytes()
    except OSError:
        pass
    return from_git(root, exercise) if use_git else None
