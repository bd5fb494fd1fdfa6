"""The CLI: exit codes, output shape, hints, list, JSON results."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len

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


def test_check_on_the_stub_exits_1_and_shows_every_problem(fixture_repo: Path, capsys) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), "check", "hostile")
    assert code == 1
    assert out.strip().splitlines()[-1] == "0 passed, 2 failed"
    assert "attack() is not written yet" in out and "fine() is not written yet" in out


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
            "spec_s",
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
    assert "started" in row(out, "01_hostile"), "written code, never checked"
    run(capsys, "--root", str(fixture_repo), "check", "01", "--target", "solutions")
    _, out = run(
        capsys, "--root", str(fixture_repo), "--lang", "en", "list", "--target", "solutions"
    )
    assert "passed" in row(out, "01_hostile") and "started" in row(out, "02_hanging_spec")
    assert row(out, "01_hostile").endswith("3/3") and row(out, "02_hanging_spec").endswith("-/3")
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


# -- Chinese output (--lang zh) ------------------------------------------------------------


def half_right(tmp_path: Path, repo: Path) -> Path:
    """A submission whose 01_hostile passes test_after and fails test_attack."""
    target = tmp_path / "submission"
    shutil.copytree(repo / "exercises", target)
    (target / "01_hostile" / "hostile.py").write_text(
        "def attack():\n    return 'nope'\n\n\ndef fine():\n    return 42\n"
    )
    return target


def test_check_in_chinese_and_the_english_count_stays_last(
    fixture_repo: Path, tmp_path: Path, capsys
) -> None:
    target = half_right(tmp_path, fixture_repo)
    code, out = run(
        capsys, "--root", str(fixture_repo), "check", "01", "--target", str(target), "--lang", "zh"
    )
    assert code == 1
    lines = out.strip().splitlines()
    assert lines[-1] == "1 passed, 1 failed", "CI tools parse this line: English, last"
    assert lines[-2] == "共 2 个测试：1 个通过，1 个未通过"
    assert "得分 1/3" in lines and "恶意代码" in lines[0]
    assert "未通过" in next(line for line in lines if "test_attack" in line)
    assert "通过" in next(line for line in lines if "test_after" in line)
    attack = lines.index(next(line for line in lines if "test_attack" in line))
    assert lines[attack + 1].strip() == "attack() must return 'ok', not 'nope'", "under its test"
    assert "卡住了？运行 grader hint hostile 看看提示。" in lines
    english = re.compile(r"\b(passed|failed|points|First problem|Stuck|note)\b")
    assert not [line for line in lines[:-1] if english.search(line)], out


def test_chinese_columns_align_by_display_width(fixture_repo: Path, tmp_path: Path, capsys) -> None:
    target = half_right(tmp_path, fixture_repo)
    _, out = run(
        capsys, "--root", str(fixture_repo), "--lang", "zh", "check", "01", "--target", str(target)
    )
    rows = [line for line in out.splitlines() if re.search(r"test_a\w+ +\d/\d$", line)]
    assert [r.split()[1] for r in rows] == ["未通过", "通过"], "two widths of status"
    assert len({cell_len(r[: r.index("test_")]) for r in rows}) == 1, out
    assert len({cell_len(r) for r in rows}) == 1, "the points column ends at the same cell"
    _, out = run(capsys, "--root", str(fixture_repo), "--lang", "zh", "list")
    lines = out.splitlines()
    header = next(line for line in lines if "状态" in line)
    state_column = cell_len(header[: header.index("状态")])
    rows = [line for line in lines if re.match(r"\d\d ", line)]
    assert len(rows) == len(list((fixture_repo / "exercises").iterdir()))
    for row in rows:
        assert cell_len(row[: row.index("待完成")]) == state_column, out


@pytest.mark.parametrize(
    "argv",
    [
        ["--lang", "zh", "hint", "01", "--all"],
        ["hint", "01", "--all", "--lang", "zh"],
        ["hint", "--lang=zh", "01", "--all"],
        ["--lang", "en", "hint", "01", "--all", "--lang", "zh"],
    ],
)
def test_lang_works_before_and_after_the_sub_command(
    fixture_repo: Path, capsys, argv: list[str]
) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), *argv)
    assert code == 0 and "提示 1/2：返回 'ok'。" in out and "Hint" not in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["check", "nope", "--lang", "zh"], "grader：没有叫 'nope' 的练习（现有：01_hostile、"),
        (["--lang", "zh", "check"], "缺少必需的参数：name"),
        (["check", "--lang", "zh"], "用法：grader check"),
        (["--lang", "zh", "frobnicate"], "无效的取值 'frobnicate'"),
        (["--lang", "zh", "check", "01", "--target", "/no/such"], "--target /no/such：不是文件夹"),
        (["grade", "--jobs", "0", "--lang", "zh"], "--jobs 至少为 1"),
        (["grade", "--exercism", "r.json", "--lang", "zh"], "--exercism 只能用于一个练习"),
    ],
)
def test_usage_errors_in_chinese(fixture_repo: Path, capsys, argv: list[str], needle: str) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), *argv)
    assert code == 2 and needle in out


def test_hints_render_markdown_instead_of_showing_it(
    fixture_repo: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    toml = fixture_repo / "exercises/01_hostile/exercise.toml"
    toml.write_text(
        toml.read_text().replace(
            "zh = \"返回 'ok'。\"", 'zh = "只创建**一把** `Lock()`，[red]照原样[/red]"'
        )
    )
    _, plain = run(capsys, "--root", str(fixture_repo), "hint", "01", "--all", "--lang", "zh")
    assert "提示 1/2：只创建一把 Lock()，[red]照原样[/red]" in plain
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, styled = run(capsys, "--root", str(fixture_repo), "hint", "01", "--all", "--lang", "zh")
    assert "**" not in styled and "`" not in styled
    assert "\x1b[1m一把\x1b[0m" in styled, "bold"
    assert re.search(r"\x1b\[[0-9;]*1[0-9;]*mLock\(\)\x1b\[0m", styled), "code: bold cyan"


def test_grade_in_chinese_with_its_markdown_summary(
    fixture_repo: Path, tmp_path: Path, capsys
) -> None:
    summary = tmp_path / "summary.md"
    code, out = run(
        capsys,
        "--root",
        str(fixture_repo),
        "--lang",
        "zh",
        "grade",
        "--target",
        "solutions",
        "--exercise",
        "01",
        "--exercise",
        "02",
        "--markdown",
        str(summary),
    )
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[-1] == "3 passed, 2 failed" and lines[-2] == "共 5 个测试：3 个通过，2 个未通过"
    assert lines[-3].startswith("总分 4/6（66.7%），用时 ")
    header = lines[0].split()
    assert header == ["练习", "通过的测试", "得分", "结果"]
    assert next(line for line in lines if line.startswith("01_")).split()[-1] == "通过"
    assert next(line for line in lines if line.startswith("02_")).split()[-1] == "未通过"
    table = summary.read_text()
    assert table.startswith("## 评分结果\n\n| 练习 | 通过的测试 | 得分 | 备注 |")
    assert "| **合计** | 3/5 | **4/6** (66.7%) | |" in table
    assert "<summary>未通过的测试</summary>" in table and "(超时)" in table
