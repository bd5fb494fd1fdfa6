"""The CLI: exit codes, output shape, hints, list, JSON results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_check_on_the_solution_exits_0_and_ends_with_the_count(fixture_repo: Path, capsys) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), "check", "01", "--target", "solutions")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[-1] == "2 passed, 0 failed"
    assert any("test_attack" in line and "2/2" in line for line in lines)


def test_check_on_the_stub_exits_1_and_shows_the_first_problem(fixture_repo: Path, capsys) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), "check", "hostile")
    assert code == 1
    assert out.strip().splitlines()[-1] == "0 passed, 2 failed"
    assert "attack() is not written yet" in out


def test_check_writes_the_native_json(fixture_repo: Path, tmp_path: Path, capsys) -> None:
    out_file = tmp_path / "r.json"
    run(
        capsys,
        "--root",
        str(fixture_repo),
        "check",
        "01_hostile",
        "--target",
        "solutions",
        "--json",
        str(out_file),
    )
    data = json.loads(out_file.read_text())
    (exercise,) = data["exercises"]
    assert {k: exercise[k] for k in ("name", "status", "score", "max_score")} == {
        "name": "01_hostile",
        "status": "passed",
        "score": 3.0,
        "max_score": 3.0,
    }
    for test in exercise["tests"]:
        assert set(test) >= {
            "name",
            "status",
            "score",
            "max_score",
            "message",
            "output",
            "duration_s",
        }


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "nope"], "no exercise named 'nope'"),
        (["check", "01", "--target", "/no/such/folder"], "--target /no/such/folder"),
        (["check"], "usage"),
        (["frobnicate"], "invalid choice"),
        (["verify", "01", "--repeat", "0"], "--repeat"),
    ],
)
def test_bad_usage_exits_2_with_a_message_naming_the_argument(
    fixture_repo: Path, capsys, argv: list[str], needle: str
) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), *argv)
    assert code == 2
    assert needle in out


def test_root_without_exercises_is_bad_usage(tmp_path: Path, capsys) -> None:
    code, out = run(capsys, "--root", str(tmp_path), "list")
    assert code == 2 and "no exercises/ folder" in out


def test_hints_come_one_at_a_time_then_stay_on_the_last(fixture_repo: Path, capsys) -> None:
    seen = [
        run(capsys, "--root", str(fixture_repo), "--lang", "en", "hint", "01")[1] for _ in range(3)
    ]
    assert "Hint 1/2" in seen[0] and "Return 'ok'." in seen[0]
    assert "Hint 2/2" in seen[1] and "last hint" in seen[1]
    assert "Hint 2/2" in seen[2]
    code, out = run(capsys, "--root", str(fixture_repo), "--lang", "zh", "hint", "01", "--all")
    assert code == 0 and "提示 1/2" in out and "真的" in out


def test_language_follows_the_locale(
    fixture_repo: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    _, out = run(capsys, "--root", str(fixture_repo), "hint", "01", "--all")
    assert "返回 'ok'" in out


def test_list_shows_every_exercise_and_its_last_state(fixture_repo: Path, capsys) -> None:
    def row(out: str, name: str) -> str:
        return next(line for line in out.splitlines() if name in line)

    code, out = run(capsys, "--root", str(fixture_repo), "--lang", "en", "list")
    assert code == 0 and "02_hanging_spec" in out
    assert "todo" in row(out, "01_hostile"), "an untouched stub is todo before any check"
    _, out = run(
        capsys, "--root", str(fixture_repo), "--lang", "en", "list", "--target", "solutions"
    )
    assert "not checked" in row(out, "01_hostile"), "written code, never checked"
    run(capsys, "--root", str(fixture_repo), "check", "01", "--target", "solutions")
    _, out = run(
        capsys, "--root", str(fixture_repo), "--lang", "en", "list", "--target", "solutions"
    )
    assert "passed" in row(out, "01_hostile") and "not checked" in row(out, "02_hanging_spec")
    _, out = run(
        capsys,
        "--root",
        str(fixture_repo),
        "--lang",
        "en",
        "list",
        "--target",
        "solutions",
        "--run",
    )
    assert "failing" in row(out, "02_hanging_spec"), "its spec times out on purpose"


def test_python_dash_m_grader_works(fixture_repo: Path) -> None:
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "--root",
            str(fixture_repo),
            "--lang",
            "en",
            "hint",
            "01",
            "--all",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and "Hint 1/2" in proc.stdout
