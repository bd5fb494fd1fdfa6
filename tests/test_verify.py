"""`grader verify` accepts a strong spec and names exactly what is weak in a weak one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from grader import bilingual, catalog, probe
from grader import verify as verify_mod
from grader.cli import main
from grader.results import ExerciseResult


def test_verify_passes_a_strong_spec(fixture_repo: Path, capsys) -> None:
    code = main(["--root", str(fixture_repo), "verify", "01", "--repeat", "2", "--load", "1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "load: 1 CPU-bound busy process(es) run beside the specs" in out
    assert "solution: 2/2 runs all passed" in out and "1 busy process(es) beside" in out
    assert "mutant wrong_word: caught 2/2 by test_attack" in out
    assert (
        "null submissions: every test fails on 4/4 (raises, returns-none, sys-exit, os-exit)"
    ) in out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed"


def test_verify_names_a_vacuous_test(fixture_repo: Path, capsys) -> None:
    """A test of a property that holds when nothing was done pays for doing nothing."""
    spec = fixture_repo / "exercises/01_hostile/test_hostile.py"
    spec.write_text(
        spec.read_text()
        + "\n\ndef test_no_zombie_left(student):\n"
        + "    outcome = student.run('attack')\n"
        + "    assert not outcome.zombies, 'attack() left a zombie'\n"
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert (
        "VACUOUS test_no_zombie_left: passes when every function raises RuntimeError / when "
        "every function returns None / when every function calls sys.exit(0) / when every "
        "function calls os._exit(0)"
    ) in out
    assert "null submissions: every test fails on 0/4 (none)" in out
    assert "VACUOUS test_attack" not in out and "VACUOUS test_after" not in out


def test_alternatives_must_pass_every_run(fixture_repo: Path, capsys) -> None:
    folder = fixture_repo / "tests/alternatives/01_hostile"
    folder.mkdir(parents=True)
    (folder / "spelled_out.py").write_text(
        '"""Correct, written another way."""\n\n\n'
        "def attack():\n    return ''.join(['o', 'k'])\n\n\n"
        "def fine():\n    return 6 * 7\n"
    )
    (folder / "wrong.py").write_text(
        "def attack():\n    return 'ok'\n\n\ndef fine():\n    return 0\n"
    )
    code = main(["--root", str(fixture_repo), "verify", "01", "--repeat", "2"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "alternative spelled_out: 2/2 runs all passed" in out
    assert "alternative wrong: 0/2 runs all passed" in out
    assert "alternative wrong run 2: test_after failed: fine() must return 42" in out


def test_misplaced_mutants_and_alternatives_are_errors(fixture_repo: Path, capsys) -> None:
    tests = fixture_repo / "tests"
    (tests / "mutants/1_hostile").mkdir()
    (tests / "mutants/1_hostile/lost.py").write_text('"""Must fail: test_attack"""\n')
    (tests / "mutants/notes.md").write_text("notes\n")
    (tests / "alternatives/01_hostile").mkdir(parents=True)
    (tests / "alternatives/01_hostile/idea.txt").write_text("later\n")
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "error: tests/mutants/1_hostile: names no exercise; did you mean 01_hostile?" in out
    assert "error: tests/mutants/notes.md: only exercise folders belong here" in out
    assert "error: tests/alternatives/01_hostile/idea.txt: not a .py file" in out
    assert (
        "1 passed, 0 failed" in out and "3 error(s) in tests/mutants or tests/alternatives" in out
    )


def test_a_misnamed_exercise_folder_is_reported(fixture_repo: Path, capsys) -> None:
    (fixture_repo / "exercises/03_echo").rename(fixture_repo / "exercises/3_echo")
    message = "3_echo: not an exercise folder name"
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 2 and message in out and "rename it to 03_echo" in out
    code = main(["--root", str(fixture_repo), "list"])
    out = capsys.readouterr().out
    assert message in out and "01_hostile" in out


def test_a_readme_reference_must_name_a_heading(fixture_repo: Path, capsys) -> None:
    folder = fixture_repo / "exercises/01_hostile"
    (folder / "README.md").write_text("# 01 · Hostile\n\n## Attacks\n")
    spec = folder / "test_hostile.py"
    spec.write_text(
        spec.read_text().replace(
            "must return 'ok', not", "must return 'ok' (README: 'Attack'), not"
        )
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert (
        "README reference 'Attack' (test_hostile.py line 9): README.md has no such heading; "
        "did you mean 'Attacks'?"
    ) in out


def test_verify_reports_an_uncaught_mutant(fixture_repo: Path, capsys) -> None:
    (fixture_repo / "tests/mutants/01_hostile/uncaught.py").write_text(
        '"""Breaks fine(), which test_attack does not look at.\n\nMust fail: test_attack\n"""\n\n\n'
        "def fine():\n    return 41\n"
    )
    code = main(["--root", str(fixture_repo), "verify", "01", "03"])
    out = capsys.readouterr().out
    assert code == 1
    assert "mutant uncaught run 1: not caught by test_attack" in out
    tail = out.strip().splitlines()
    at = tail.index("1 passed, 1 failed")
    assert tail[at + 1 :] == [
        "WEAK 01_hostile",
        "    mutant uncaught run 1: not caught by test_attack",
    ], "a CI log's tail names the weak exercise and why, after the count"


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
    verdicts = fixture_repo / "out/verify.json"
    code = main(["--root", str(fixture_repo), "verify", "01", "--json", str(verdicts)])
    out = capsys.readouterr().out
    assert code == 1 and "solution run 1: test_after failed" in out
    # The JSON keeps the failed test whole, for CI's digest of a red run (.ci/weak_specs.py).
    data = json.loads(verdicts.read_text(encoding="utf-8"))
    assert data["finished"] is True
    (verdict,) = data["verdicts"]
    assert verdict["exercise"] == "01_hostile" and verdict["ok"] is False
    assert any("test_after failed" in p for p in verdict["problems"])
    (failure,) = verdict["failures"]
    assert failure["run"] == "solution run 1" and failure["name"] == "test_after"
    assert failure["status"] == "failed" and failure["message"]


def test_an_unwritable_verdicts_file_is_refused_before_the_run(fixture_repo: Path, capsys) -> None:
    blocker = fixture_repo / "blocker"
    blocker.write_text("a file, not a folder")
    code = main(["--root", str(fixture_repo), "verify", "01", "--json", str(blocker / "v.json")])
    said = capsys.readouterr().out
    assert code == 2 and f"--json {blocker / 'v.json'}: cannot write it" in said
    assert "01_hostile" not in said  # nothing ran


def test_parallel_sessions_never_sweep_each_other(fixture_repo: Path, capsys) -> None:
    """After each session the supervisor kills what is left below it, sparing the sessions
    still running: a session just being started must count as running too."""
    code = main(["--root", str(fixture_repo), "verify", "01", "03", "--repeat", "4", "--jobs", "4"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "killed by SIGKILL" not in out


def test_an_interrupted_verify_ends_its_load_and_drops_what_did_not_start(
    fixture_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_load = verify_mod.busy_load
    pids: list[int] = []

    @contextmanager
    def recording_load(count: int) -> Iterator[list[int]]:
        with real_load(count) as started:
            pids.extend(started)
            yield started

    def interrupt(verdict: verify_mod.Verdict) -> None:
        raise KeyboardInterrupt

    sessions: list[str] = []
    real_run = verify_mod.run_exercise

    def counting_run(exercise: catalog.Exercise, *args: Any, **kwargs: Any) -> ExerciseResult:
        sessions.append(exercise.name)
        return real_run(exercise, *args, **kwargs)

    monkeypatch.setattr(verify_mod, "busy_load", recording_load)
    monkeypatch.setattr(verify_mod, "run_exercise", counting_run)
    exercises = catalog.load_catalog(fixture_repo / "exercises")
    chosen = [catalog.find(exercises, "01"), catalog.find(exercises, "03")]
    with pytest.raises(KeyboardInterrupt):
        verify_mod.verify(fixture_repo, chosen, 3, 1, progress=interrupt, load=2)
    assert len(pids) == 2 and all(probe.read(pid) is None for pid in pids)
    # 01: stub, 4 null submissions, 3 solution runs, 3 of its mutant; then at most the one
    # session of 03 that was running when 01's verdict came (03 alone would add 8).
    assert sessions.count("01_hostile") == 11 and sessions.count("03_echo") <= 1, sessions


def test_load_is_bounded_on_the_command_line(fixture_repo: Path, capsys) -> None:
    for load in ("-1", "999"):
        code = main(["--root", str(fixture_repo), "verify", "01", "--load", load])
        assert code == 2 and "--load must be between 0 and" in capsys.readouterr().out


def test_a_message_without_chinese_is_reported(fixture_repo: Path, capsys) -> None:
    spec = fixture_repo / "exercises/01_hostile/test_hostile.py"
    spec.write_text(
        "from grader.spec import check\n"
        + spec.read_text().replace(
            'assert got == 42, f"fine() must return 42, not {got!r}"',
            'check(got == 42, en=f"fine() must return 42, not {got!r}")',
        )
    )
    code = main(["--root", str(fixture_repo), "verify", "01"])
    out = capsys.readouterr().out
    assert code == 1, out
    assert "message without Chinese: test_hostile.py line 15: check() has no zh" in out, out
    assert "messages in Chinese: 0/1 check()/fail() calls; 1 bare assert(s)" in out, out


def test_a_wrapper_of_check_is_held_to_chinese_too(fixture_repo: Path) -> None:
    # Specs wrap check() to append README references; such calls must not escape the count.
    spec = fixture_repo / "exercises/01_hostile/test_hostile.py"
    spec.write_text(
        spec.read_text()
        + "\n\ndef ck(condition, en, zh, section):\n    check(condition, en=en, zh=zh)\n\n"
        + "def test_wrapped():\n"
        + "    ck(1, 'english', '中文', 'api')\n"
        + "    ck(1, en='english', zh='中文', section='api')\n"
        + "    ck(1, 'english only', section='api')\n"
    )
    exercise = catalog.find(catalog.load_catalog(fixture_repo / "exercises"), "01")
    coverage = bilingual.coverage(exercise)
    assert coverage.calls == 4, coverage  # the three ck() and the check() inside it
    assert len(coverage.missing) == 1 and "ck() has no zh" in coverage.missing[0], coverage


def test_a_mutant_runs_only_the_tests_that_must_catch_it(
    fixture_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, ...]] = []
    real_run = verify_mod.run_exercise

    def recording_run(exercise: catalog.Exercise, *args: Any, **kwargs: Any) -> ExerciseResult:
        result = real_run(exercise, *args, **kwargs)
        seen.append(tuple(t.name for t in result.tests))
        return result

    monkeypatch.setattr(verify_mod, "run_exercise", recording_run)
    exercise = catalog.find(catalog.load_catalog(fixture_repo / "exercises"), "01")
    mutants, problems = verify_mod.load_mutants(fixture_repo, exercise)
    assert mutants and not problems
    (verdict,) = verify_mod.verify(fixture_repo, [exercise], 1, 1)
    assert verdict.ok, verdict
    everything = max(seen, key=len)
    for mutant in mutants:
        assert set(mutant.must_fail) < set(everything)
        assert tuple(mutant.must_fail) in seen, (mutant.must_fail, seen)
