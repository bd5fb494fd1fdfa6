"""`grader grade`: points, exit codes, trusted specs, planted files, and every output format."""

from __future__ import annotations

import json
import py_compile
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_timeline

from grader import secret, session
from grader.cli import main
from grader.recorder import summarise
from grader.results import ExerciseResult, TestResult

PASSING_CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    report.outcome = "passed"
    return report
"""


def grade(capsys: pytest.CaptureFixture[str], repo: Path, *argv: str) -> tuple[int, str]:
    code = main(["--root", str(repo), "grade", *argv])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def submission(tmp_path: Path, repo: Path, attack: str = "'nope'") -> Path:
    """A student's copy of the exercises: 01 half right, 02 as solved."""
    target = tmp_path / "submission"
    shutil.copytree(repo / "exercises", target)
    (target / "01_hostile" / "hostile.py").write_text(
        f"def attack():\n    return {attack}\n\n\ndef fine():\n    return 42\n"
    )
    return target


def test_spec_time_is_the_sum_of_the_phases_the_test_process_timed() -> None:
    def report(when: str, duration: float) -> pytest.TestReport:
        return pytest.TestReport(
            "t.py::test_x", ("t.py", 1, "test_x"), {}, "passed", None, when, duration=duration
        )

    phases = [report("setup", 0.25), report("call", 1.5), report("teardown", 0.125)]
    result = summarise("test_x", 2.0, phases, duration=1.9)
    assert (result.duration_s, result.spec_s) == (1.9, 1.875)
    assert TestResult.from_json(result.to_json()) == result, "the field survives the records"


def test_the_timeline_survives_the_records_and_older_records_read_as_zero() -> None:
    test = TestResult("test_x", "passed", 1.0, duration_s=0.5, spec_s=0.4, start_s=0.25)
    exercise = ExerciseResult("01_x", tests=(test,), session_s=1.5)
    assert ExerciseResult.from_json(exercise.to_json()) == exercise
    older = {"name": "01_x", "tests": [{"name": "test_x", "status": "passed", "max_score": 1}]}
    read = ExerciseResult.from_json(older)
    assert (read.session_s, read.tests[0].start_s) == (0.0, 0.0)


def test_each_test_starts_when_the_supervisor_let_the_session_run(tmp_path: Path) -> None:
    """The session stamps each test's start on the monotonic clock; the supervisor counts
    it from the moment it let the tests run (``went``). A line without a stamp (a session of
    an older grader) starts at 0, as does one stamped before ``went``."""
    key = secret.new_key()
    path = tmp_path / "results.jsonl"
    lines = [
        {"type": "collected", "tests": [{"name": n, "max_score": 1} for n in "abc"]},
        {"type": "test", "name": "a", "status": "passed", "max_score": 1, "started_at": 100.5},
        {"type": "test", "name": "b", "status": "passed", "max_score": 1},
        {"type": "test", "name": "c", "status": "passed", "max_score": 1, "started_at": 99.0},
        {"type": "finished"},
    ]
    path.write_text("".join(secret.sign_line(key, json.dumps(r)) + "\n" for r in lines))
    result = session.read_results("01_x", path, key, "", "", went=100.0)
    assert [t.start_s for t in result.tests] == [0.5, 0.0, 0.0]


def test_grade_prints_a_table_in_catalogue_order_and_the_count(fixture_repo: Path, capsys) -> None:
    code, out = grade(
        capsys,
        fixture_repo,
        "--target",
        "solutions",
        "--jobs",
        "2",
        "--exercise",
        "02",
        "--exercise",
        "01",
    )
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[-1] == "3 passed, 2 failed"
    assert "left behind" not in out, f"the solutions leave nothing, nor may the grader:\n{out}"
    rows = [line.split()[0] for line in lines if line.startswith(("01_", "02_"))]
    assert rows == ["01_hostile", "02_hanging_spec"], (
        f"catalogue order, whatever the timing:\n{out}"
    )
    assert "total 4/6 points (66.7%)" in out


def test_every_format_is_written_and_parses(
    fixture_repo: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    out = {name: tmp_path / f"out.{name}" for name in ("json", "gradescope", "junit", "markdown")}
    target = submission(tmp_path, fixture_repo)
    code, _ = grade(
        capsys,
        fixture_repo,
        "--target",
        str(target),
        "--exercise",
        "01",
        *[arg for name, path in out.items() for arg in (f"--{name}", str(path))],
    )
    assert code == 0

    native = json.loads(out["json"].read_text())
    assert (native["score"], native["max_score"], native["passed"], native["failed"]) == (
        1,
        3,
        1,
        1,
    )
    (exercise,) = native["exercises"]
    assert exercise["status"] == "failed" and [t["status"] for t in exercise["tests"]] == [
        "failed",
        "passed",
    ]
    # Both tests call the student (a sandbox each): their phases take time, within the test's.
    assert all(0 < t["spec_s"] <= t["duration_s"] for t in exercise["tests"])
    assert_timeline(ExerciseResult.from_json(exercise))

    scope = json.loads(out["gradescope"].read_text())
    assert scope["score"] == 1 and scope["execution_time"] > 0 and "total: 1/3" in scope["output"]
    first, second = scope["tests"]
    assert first["name"] == "01_hostile: test_attack" and first["number"] == "1.1"
    assert (first["score"], first["max_score"], first["status"], first["visibility"]) == (
        0,
        2,
        "failed",
        "visible",
    )
    assert "attack() must return 'ok'" in first["output"]
    assert (second["score"], second["status"]) == (1, "passed")

    suites = ET.parse(out["junit"]).getroot()
    (suite,) = suites.findall("testsuite")
    assert (suite.get("name"), suite.get("tests"), suite.get("failures"), suite.get("errors")) == (
        "01_hostile",
        "2",
        "1",
        "0",
    )
    failure = suite.find("testcase[@name='test_attack']/failure")
    assert failure is not None and "attack() must return 'ok'" in (failure.get("message") or "")

    table = out["markdown"].read_text()
    assert "| 01_hostile | 1/2 | 1/3 |" in table and "**1/3**" in table
    assert summary.read_text() == "earlier step\n" + table, "appended to the step summary"


def test_exercism_v3_for_one_exercise(fixture_repo: Path, tmp_path: Path, capsys) -> None:
    target = submission(tmp_path, fixture_repo, attack="print('z' * 3000) or 'nope'")
    (fixture_repo / "exercises/01_hostile/test_hostile.py").write_text(
        (fixture_repo / "exercises/01_hostile/test_hostile.py")
        .read_text()
        .replace("@pytest.mark.points(2)", "@pytest.mark.points(2)\n@pytest.mark.task(taskno=1)")
    )
    result = tmp_path / "results.json"
    code, _ = grade(
        capsys, fixture_repo, "--target", str(target), "--exercise", "01", "--exercism", str(result)
    )
    assert code == 0
    data = json.loads(result.read_text())
    assert (data["version"], data["status"]) == (3, "fail")
    attack, after = data["tests"]
    assert [attack["name"], after["name"]] == ["test_attack", "test_after"], "file order"
    assert attack["status"] == "fail" and attack["task_id"] == 1 and "task_id" not in after
    assert attack["test_code"].startswith('got = student.call("attack")')
    assert "attack() must return 'ok'" in attack["message"]
    assert len(attack["output"]) <= 500 and attack["output"].endswith("(output truncated)")
    assert after["status"] == "pass"


def test_exercism_needs_exactly_one_exercise(fixture_repo: Path, tmp_path: Path, capsys) -> None:
    code, out = grade(capsys, fixture_repo, "--exercism", str(tmp_path / "r.json"))
    assert code == 2 and "--exercism needs exactly one exercise" in out


def test_fail_under_exits_1_and_a_low_score_alone_exits_0(
    fixture_repo: Path, tmp_path: Path, capsys
) -> None:
    target = submission(tmp_path, fixture_repo)
    assert grade(capsys, fixture_repo, "--target", str(target), "--exercise", "01")[0] == 0
    code, out = grade(
        capsys, fixture_repo, "--target", str(target), "--exercise", "01", "--fail-under", "50"
    )
    assert code == 1 and "under --fail-under 50%" in out
    assert (
        grade(
            capsys, fixture_repo, "--target", str(target), "--exercise", "01", "--fail-under", "30"
        )[0]
        == 0
    )


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--fail-under", "150"], "--fail-under"),
        (["--jobs", "0"], "--jobs"),
        (["--spec-from", "/no/such/dir"], "--spec-from /no/such/dir"),
        (["--exercise", "nope"], "no exercise named 'nope'"),
        (["--target", "/no/such/dir"], "--target /no/such/dir"),
    ],
)
def test_bad_usage_exits_2(fixture_repo: Path, capsys, argv: list[str], needle: str) -> None:
    code, out = grade(capsys, fixture_repo, *argv)
    assert code == 2 and needle in out


def test_a_broken_trusted_spec_exits_3_and_says_why(fixture_repo: Path, capsys) -> None:
    (fixture_repo / "exercises/01_hostile/test_hostile.py").write_text("this is not python\n")
    code, out = grade(capsys, fixture_repo, "--target", "solutions", "--exercise", "01")
    assert code == 3
    assert "grading could not complete" in out and "01_hostile" in out


def test_trusted_specs_win_over_a_modified_submission(
    fixture_repo: Path, tmp_path: Path, capsys
) -> None:
    trusted = tmp_path / "pristine"
    shutil.copytree(fixture_repo, trusted)
    target = submission(tmp_path, fixture_repo)
    (target / "01_hostile" / "test_hostile.py").write_text(
        "def test_attack():\n    pass\n\n\ndef test_after():\n    pass\n"
    )
    # The student's repository is the root: its own spec was edited too.
    shutil.copyfile(
        target / "01_hostile" / "test_hostile.py",
        fixture_repo / "exercises/01_hostile/test_hostile.py",
    )
    result = tmp_path / "r.json"
    code, out = grade(
        capsys,
        fixture_repo,
        "--target",
        str(target),
        "--exercise",
        "01",
        "--spec-from",
        str(trusted),
        "--json",
        str(result),
    )
    assert code == 0
    (exercise,) = json.loads(result.read_text())["exercises"]
    assert [t["status"] for t in exercise["tests"]] == ["failed", "passed"]
    assert "spec modified in the submission; graded with the trusted spec" in exercise["notes"]
    assert "spec modified in the submission" in out


def test_files_planted_beside_the_student_module_have_no_effect(
    fixture_repo: Path, tmp_path: Path, capsys
) -> None:
    target = submission(tmp_path, fixture_repo)
    folder = target / "01_hostile"
    (folder / "conftest.py").write_text(PASSING_CONFTEST)
    (folder / "pytest.ini").write_text("[pytest]\naddopts = -p no:grader.plugin\n")
    (folder / "sitecustomize.py").write_text("import builtins\nbuiltins.__dict__['ok'] = 1\n")
    (folder / "evil.pth").write_text("import os; os.environ['PWNED'] = '1'\n")
    # A cached module that would return 'ok': Python would prefer it if the source were unchanged.
    fake = tmp_path / "fake" / "hostile.py"
    fake.parent.mkdir()
    fake.write_text("def attack():\n    return 'ok'\n\n\ndef fine():\n    return 42\n")
    cache = folder / "__pycache__"
    cache.mkdir()
    for tag in ("cpython-310", "cpython-311", "cpython-312", "cpython-313"):
        py_compile.compile(
            str(fake),
            cfile=str(cache / f"hostile.{tag}.pyc"),
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    result = tmp_path / "r.json"
    code, _ = grade(
        capsys, fixture_repo, "--target", str(target), "--exercise", "01", "--json", str(result)
    )
    (exercise,) = json.loads(result.read_text())["exercises"]
    assert [t["status"] for t in exercise["tests"]] == ["failed", "passed"]
    assert code == 0


@pytest.mark.parametrize("where", ["solution", "secret"])
def test_a_module_that_leads_outside_the_submission_is_not_read(
    fixture_repo: Path, tmp_path: Path, capsys, where: str
) -> None:
    """A link to the instructor's solution must not earn its points, and a link to a file
    only the judge may read must not show its first line in a SyntaxError."""
    outside = fixture_repo / "solutions" / "01_hostile" / "hostile.py"
    if where == "secret":
        outside = tmp_path / "judge-only"
        outside.write_text("SECRET_TOKEN_41 = (\n")
        outside.chmod(0o600)
    tests = _graded_with_the_module_linked_to(outside, fixture_repo, tmp_path, capsys)
    assert [t["status"] for t in tests] == ["failed", "failed"]
    for test in tests:
        assert "leads outside your submission" in test["message"]
        assert "SECRET_TOKEN_41" not in json.dumps(test)


def test_a_link_that_leads_back_to_itself_is_graded_not_a_traceback(
    fixture_repo: Path, tmp_path: Path, capsys
) -> None:
    """Git keeps a link to itself; an upload holding one must still get its results."""
    tests = _graded_with_the_module_linked_to(Path("hostile.py"), fixture_repo, tmp_path, capsys)
    assert [t["status"] for t in tests] == ["failed", "failed"]
    for test in tests:
        assert "a symbolic link that leads back to itself" in test["message"]


def _graded_with_the_module_linked_to(
    to: Path, fixture_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[dict[str, Any]]:
    """The tests of exercise 01 graded with its module a symbolic link to ``to``."""
    target = submission(tmp_path, fixture_repo)
    module = target / "01_hostile" / "hostile.py"
    module.unlink()
    module.symlink_to(to)
    result = tmp_path / "r.json"
    grade(capsys, fixture_repo, "--target", str(target), "--exercise", "01", "--json", str(result))
    (exercise,) = json.loads(result.read_text())["exercises"]
    tests: list[dict[str, Any]] = exercise["tests"]
    return tests


def test_report_writers_do_not_import_the_orchestrator() -> None:
    """report/* renders a Grading; it must not pull in grade, session or the sandbox."""
    import ast

    folder = Path(__file__).parents[1] / "grader" / "report"
    for path in folder.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert not imported & {"grader.grade", "grader.session", "grader.sandbox"}, path.name
