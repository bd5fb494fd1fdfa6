"""The session command line: isolated, with only the grader's own plugins."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from grader import catalog, session

FIXTURE_EXERCISES = Path(__file__).parent / "fixtures" / "repo" / "exercises"


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


def test_the_command_loads_no_ini_conftest_or_other_plugins(tmp_path: Path) -> None:
    exercise = catalog.load_exercise(FIXTURE_EXERCISES / "01_hostile")
    staged = session.Staged(tmp_path, "hostile.py")
    cmd = session.session_command(exercise, exercise.folder, staged)
    for flag in ("--noconftest", "-c", "no:cacheprovider", "grader.plugin", "--basetemp"):
        assert flag in cmd
    assert cmd[cmd.index("-c") + 1].endswith("session.ini")
    assert cmd[-1] == str(exercise.spec_path)
