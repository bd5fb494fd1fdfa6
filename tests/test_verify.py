"""`grader verify` accepts a strong spec and names exactly what is weak in a weak one."""

from __future__ import annotations

from pathlib import Path

from grader.cli import main


def test_verify_passes_a_strong_spec(fixture_repo: Path, capsys) -> None:
    code = main(["--root", str(fixture_repo), "verify", "01", "--repeat", "2"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "solution: 2/2 runs all passed" in out
    assert "mutant wrong_word: caught 2/2 by test_attack" in out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_verify_reports_an_uncaught_mutant(fixture_repo: Path, capsys) -> None:
    (fixture_repo / "tests/mutants/01_hostile/uncaught.py").write_text(
        '"""Breaks fine(), which test_attack does not look at.\n\nMust fail: test_attack\n"""\n\n\n'
        "def fine():\n    return 41\n"
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1
    assert "mutant uncaught run 1: not caught by test_attack" in out


def test_verify_reports_a_mutant_that_names_no_or_unknown_tests(fixture_repo: Path, capsys) -> None:
    folder = fixture_repo / "tests/mutants/01_hostile"
    (folder / "silent.py").write_text('"""No test named."""\n\n\ndef attack():\n    return 1\n')
    (folder / "typo.py").write_text(
        '"""Must fail: test_atack"""\n\n\ndef attack():\n    return 1\n'
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1
    assert "mutant silent: its docstring names no test_" in out
    assert "mutant typo: names unknown test(s) test_atack" in out


def test_verify_reports_a_spec_that_passes_the_stub(fixture_repo: Path, capsys) -> None:
    (fixture_repo / "exercises/01_hostile/hostile.py").write_text(
        "def attack():\n    return 'ok'\n\n\ndef fine():\n    raise NotImplementedError\n"
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1 and "these tests pass on the stub: test_attack" in out


def test_verify_reports_a_failing_solution(fixture_repo: Path, capsys) -> None:
    (fixture_repo / "solutions/01_hostile/hostile.py").write_text(
        "def attack():\n    return 'ok'\n\n\ndef fine():\n    return 0\n"
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1 and "solution run 1: test_after failed" in out


def test_parallel_sessions_never_sweep_each_other(fixture_repo: Path, capsys) -> None:
    """After each session the supervisor kills what is left below it, sparing the sessions
    still running: a session just being started must count as running too."""
    code = main(["--root", str(fixture_repo), "verify", "01", "03", "--repeat", "4", "--jobs", "4"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "killed by SIGKILL" not in out
