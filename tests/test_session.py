"""The session command line: isolated, with only the grader's own plugins."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog, session

FIXTURE_EXERCISES = Path(__file__).parent / "fixtures" / "repo" / "exercises"
OURS = Path(session.__file__).resolve().parent  # the grader these tests import


def _installed() -> Path:
    """The grader the sessions' Python (``-I``) imports: the installed one, which is not
    always ours (tests/run_as_user.sh imports the grader from its copy of the repository)."""
    found = subprocess.run(
        [sys.executable, "-I", "-c", "import grader; print(grader.__file__)"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return Path(found.stdout.splitlines()[-1]).resolve().parent


def test_sessions_run_isolated_when_the_grader_is_importable_so() -> None:
    session.isolation_flags.cache_clear()
    assert session.isolation_flags() == ("-I",)


def test_a_user_site_install_falls_back_to_ignoring_only_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def hidden(cmd: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        return subprocess.CompletedProcess(cmd, 1, b"", b"ModuleNotFoundError: grader")

    session.isolation_flags.cache_clear()
    monkeypatch.setattr(subprocess, "run", hidden)
    try:
        assert session.isolation_flags() == ("-E",)
    finally:
        session.isolation_flags.cache_clear()


def _grader_copy(folder: Path, changed: bool) -> Path:
    """A copy of the grader package in ``folder``, one module changed if ``changed``."""
    copy = folder / "grader"
    shutil.copytree(OURS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    if changed:
        with open(copy / "plugin.py", "a", encoding="utf-8") as f:
            f.write("\nGRADE_EVERYTHING_FULL = True\n")
    return copy


def _sessions_import(monkeypatch: pytest.MonkeyPatch, package: Path) -> None:
    """Make the probe of the sessions' Python find the grader in ``package``."""

    def found(cmd: list[str], **_: object) -> subprocess.CompletedProcess[bytes]:
        printed = f"a sitecustomize says hello\n{package / '__init__.py'}\n"
        return subprocess.CompletedProcess(cmd, 0, printed.encode(), b"")

    monkeypatch.setattr(subprocess, "run", found)


@pytest.mark.parametrize("changed", [False, True])
def test_sessions_that_would_import_another_graders_code_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changed: bool
) -> None:
    copy = _grader_copy(tmp_path, changed)
    _sessions_import(monkeypatch, copy)
    session.isolation_flags.cache_clear()
    try:
        if changed:
            with pytest.raises(session.ForeignGrader) as refused:
                session.isolation_flags()
            assert (refused.value.ours, refused.value.theirs) == (OURS, copy)
        else:  # the same code elsewhere (tox installs the checkout it tests): no matter
            assert session.isolation_flags() == ("-I",)
    finally:
        session.isolation_flags.cache_clear()


def test_python_m_grader_in_a_changed_checkout_says_which_grader_the_sessions_would_run(
    tmp_path: Path, fixture_repo: Path
) -> None:
    """``python -m grader`` imports the grader in the current folder; its sessions (``-I``)
    the installed one. A grader whose code differs refuses to grade, naming both."""
    checkout = tmp_path / "checkout"
    copy = _grader_copy(checkout, changed=True)
    ran = subprocess.run(
        [sys.executable, "-m", "grader", "--root", str(fixture_repo), "--lang", "en",
         "check", "01_hostile"],
        cwd=checkout, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert ran.returncode == 2, ran.stdout + ran.stderr
    said = " ".join(ran.stdout.split())
    assert f"this grader runs from {copy}" in said and f"installed in {_installed()}" in said
    assert "passed" not in said


def test_the_command_loads_no_ini_conftest_or_other_plugins(tmp_path: Path) -> None:
    exercise = catalog.load_exercise(FIXTURE_EXERCISES / "01_hostile")
    staged = session.Staged(tmp_path, "hostile.py")
    cmd = session.session_command(exercise, exercise.folder, staged)
    for flag in ("--noconftest", "-c", "no:cacheprovider", "grader.plugin", "--basetemp"):
        assert flag in cmd
    assert cmd[cmd.index("-c") + 1].endswith("session.ini")
    assert cmd[-1] == str(exercise.spec_path)
