"""Hidden tests: an instructor's `@pytest.mark.hidden` tests count toward points; students only
learn that one failed (Gradescope shows it once grades are published); the instructor's batch
outputs show everything."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from grader.cli import main

SECRET = "SECRET: 0.1 + 0.2 is not 0.3 in floating point"
SPEC = f'''
    import pytest
    from grader.spec import check

    def test_adds(student):
        check(student.call("add", 2, 3) == 5, en="add(2, 3) is 5")

    @pytest.mark.hidden
    @pytest.mark.points(2)
    def test_adds_decimals(student):
        check(student.call("add", 0.1, 0.2) == 0.3, en="{SECRET}")
'''
TOML = """\
title = { en = "add", zh = "加法" }
topics = ["hidden tests"]
seed_section = "none"
timeout = 10

[[hints]]
en = "Add."
zh = "相加。"
"""


@pytest.fixture
def trusted(tmp_path: Path) -> Path:
    folder = tmp_path / "trusted" / "exercises" / "01_add"
    folder.mkdir(parents=True)
    (folder / "test_add.py").write_text(textwrap.dedent(SPEC).lstrip())
    (folder / "add.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    (folder / "exercise.toml").write_text(TOML)
    return folder.parents[1]


@pytest.fixture
def submission(tmp_path: Path) -> Path:
    folder = tmp_path / "class" / "alice" / "01_add"
    folder.mkdir(parents=True)
    (folder / "add.py").write_text("def add(a, b):\n    return a + b\n")
    return folder.parent


def test_students_learn_only_that_a_hidden_test_failed(
    fixture_repo, trusted, submission, tmp_path, capsys
) -> None:
    out = {fmt: tmp_path / f"out.{fmt}" for fmt in ("json", "md", "xml", "gradescope")}
    argv = ["--root", str(fixture_repo), "grade", "--target", str(submission)]
    argv += ["--spec-from", str(trusted), "--json", str(out["json"]), "--markdown", str(out["md"])]
    argv += ["--junit", str(out["xml"]), "--gradescope", str(out["gradescope"])]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    for text in (printed, out["json"].read_text(), out["md"].read_text(), out["xml"].read_text()):
        assert "SECRET" not in text
    tests = json.loads(out["json"].read_text())["exercises"][0]["tests"]
    hidden = next(t for t in tests if t["name"] == "test_adds_decimals")
    assert hidden["status"] == "failed" and hidden["hidden"] is True
    assert (hidden["score"], hidden["max_score"]) == (0, 2)  # it counts toward the points
    assert hidden["message"] == "hidden test failed" and hidden["output"] == ""
    assert "hidden test failed" in out["md"].read_text()
    assert "total 1/3" in printed, printed
    gradescope = json.loads(out["gradescope"].read_text())["tests"]
    shown = {t["name"].split(": ")[1]: t for t in gradescope}
    assert shown["test_adds_decimals"]["visibility"] == "after_published"
    assert SECRET in shown["test_adds_decimals"]["output"]
    assert shown["test_adds"]["visibility"] == "visible"


def test_the_instructors_batch_shows_hidden_tests_in_full_and_each_students_feedback_not(
    fixture_repo, trusted, submission, tmp_path, capsys
) -> None:
    out = tmp_path / "grades"
    argv = ["--root", str(fixture_repo), "batch", str(submission.parent)]
    assert main([*argv, "--spec-from", str(trusted), "--out", str(out)]) == 0
    record = json.loads((out / "students" / "alice.json").read_text(encoding="utf-8"))
    test = record["exercises"][0]["tests"][1]
    assert test["hidden"] is True and SECRET in test["message"]
    assert SECRET in (out / "report.html").read_text(encoding="utf-8")
    handed_back = (out / "feedback" / "alice.json").read_text(encoding="utf-8")
    assert SECRET not in handed_back and "fingerprint" not in handed_back
    feedback = json.loads(handed_back)
    assert (feedback["student"], feedback["graded"]) == ("alice", True)
    assert (feedback["score"], feedback["max_score"]) == (record["score"], record["max_score"])
    shown = feedback["exercises"][0]["tests"][1]
    assert (shown["name"], shown["status"]) == (test["name"], test["status"])
    assert (shown["message"], shown["hidden"]) == ("hidden test failed", True)
