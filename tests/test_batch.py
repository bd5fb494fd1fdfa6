"""`grader batch`: a whole class into one gradebook, in every export layout, resumably.

The class is graded with a small trusted spec folder made here (two exercises, 6 points), so
each batch costs a few sandboxed calls per student.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import grader_without_cap_sys_admin
from rich.console import Console

from grader import batch, isolation, namespaces, session, users
from grader.catalog import Exercise, Text
from grader.cli import main
from grader.report import batch_text

SPEC = {
    "01_add": {
        "add.py": "def add(a, b):\n    raise NotImplementedError\n",
        "test_add.py": """
            import pytest
            from grader.spec import check

            @pytest.mark.points(2)
            def test_adds(student):
                check(student.call("add", 2, 3) == 5, en="add(2, 3) is 5")

            @pytest.mark.points(1)
            def test_adds_negatives(student):
                check(student.call("add", -2, -3) == -5, en="add(-2, -3) is -5")
        """,
    },
    "02_twice": {
        "twice.py": "def twice(x):\n    raise NotImplementedError\n",
        "test_twice.py": """
            import pytest
            from grader.spec import check

            @pytest.mark.points(3)
            def test_twice(student):
                check(student.call("twice", 4) == 8, en="twice(4) is 8")
        """,
    },
}
TOML = """\
title = {{ en = "{name}", zh = "{name}" }}
topics = ["batch"]
seed_section = "none"
timeout = 10

[[hints]]
en = "Read the spec."
zh = "读一读测试。"
"""
GOOD_ADD = "def add(a, b):\n    return a + b\n"
ABS_ADD = "def add(a, b):\n    return abs(a) + abs(b)\n"
GOOD_TWICE = "def twice(x):\n    return 2 * x\n"
THRICE = "def twice(x):\n    return 3 * x\n"
BREAKS = "# BREAK THE GRADER\n"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    """The instructor's trusted exercises: 01_add (3 points) and 02_twice (3 points)."""
    root = tmp_path / "trusted" / "exercises"
    for name, files in SPEC.items():
        for file, text in files.items():
            _write(root / name / file, textwrap.dedent(text).lstrip())
        _write(root / name / "exercise.toml", TOML.format(name=name))
    return root.parent


@pytest.fixture
def submissions(tmp_path: Path) -> Path:
    """A class in every layout exports have, a hidden folder, and one that breaks the grader."""
    root = tmp_path / "class"
    _write(root / "alice" / "01_add" / "add.py", GOOD_ADD)  # laid out like exercises/
    _write(root / "alice" / "02_twice" / "twice.py", GOOD_TWICE)
    _write(root / "张三" / "add.py", GOOD_ADD)  # flat, and a name that is not ASCII
    _write(root / "张三" / "twice.py", THRICE)
    _write(root / "bob" / "exercises" / "01_add" / "add.py", ABS_ADD)  # a whole repository
    _write(root / "carol" / "add.py", BREAKS)
    _write(root / ".git" / "add.py", GOOD_ADD)  # not a student
    return root


@pytest.fixture
def graded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The students graded (not reused) in this test; a module saying BREAK THE GRADER does."""
    seen: list[str] = []
    real = batch.grade_submission

    def counting(submission: batch.Submission, *args: object) -> object:
        seen.append(submission.student)
        return real(submission, *args)  # type: ignore[arg-type]

    def grade(exercises: list[object], target: object, *args: object, **kwargs: Any) -> object:
        staged = target.folder  # type: ignore[attr-defined]
        if any(BREAKS in p.read_text() for p in staged.rglob("*.py")):
            if kwargs.get("first") is not None:  # a session prepared ahead is ours to end
                kwargs["first"].abandon()
            raise RuntimeError("the grader broke")
        return real_grade(exercises, target, *args, **kwargs)

    real_grade = batch.grading.grade_in_turn
    monkeypatch.setattr(batch, "grade_submission", counting)
    monkeypatch.setattr(batch.grading, "grade_in_turn", grade)
    return seen


def _batch(fixture_repo: Path, submissions: Path, spec: Path, out: Path, *more: str) -> int:
    argv = ["--root", str(fixture_repo), "batch", str(submissions), "--spec-from", str(spec)]
    return main([*argv, "--out", str(out), *more])


def _merge(fixture_repo: Path, spec: Path, out: Path, *shards: Path) -> int:
    argv = ["--root", str(fixture_repo), "merge", *map(str, shards), "--spec-from", str(spec)]
    return main([*argv, "--out", str(out)])


def _gradebook(out: Path) -> list[dict[str, str]]:
    raw = (out / "gradebook.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so that spreadsheets read UTF-8 names"
    with open(out / "gradebook.csv", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_a_class_becomes_one_gradebook_and_a_result_per_student(
    fixture_repo, submissions, spec, tmp_path, graded, capsys
) -> None:
    out = tmp_path / "out"
    code = _batch(fixture_repo, submissions, spec, out, "--jobs", "2")
    printed = capsys.readouterr().out
    assert code == 3, printed  # one submission broke the grader: said, and not a crash
    rows = {row["student"]: row for row in _gradebook(out)}
    assert list(rows) == ["alice", "bob", "carol", "张三"]  # sorted; .git is no student
    assert rows["alice"] | {} == {
        "student": "alice",
        "01_add": "3",
        "02_twice": "3",
        "total": "6",
        "max": "6",
        "percent": "100.0",
        "error": "",
    }
    assert (rows["张三"]["01_add"], rows["张三"]["02_twice"], rows["张三"]["percent"]) == (
        "3",
        "0",
        "50.0",
    )
    assert (rows["bob"]["01_add"], rows["bob"]["02_twice"], rows["bob"]["total"]) == ("2", "0", "2")
    assert rows["bob"]["max"] == "6"  # a missing exercise still counts toward the maximum
    assert (
        rows["carol"]["error"]
        == "the grader failed on this submission: RuntimeError: the grader broke"
    )
    assert rows["carol"]["01_add"] == rows["carol"]["percent"] == ""
    for student in rows:
        data = json.loads((out / "students" / f"{student}.json").read_text(encoding="utf-8"))
        assert data["student"]["id"] == student
    alice = json.loads((out / "students" / "alice.json").read_text(encoding="utf-8"))
    assert (alice["score"], alice["max_score"]) == (6, 6)
    assert [t["name"] for t in alice["exercises"][0]["tests"]] == [
        "test_adds",
        "test_adds_negatives",
    ]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "4 students: 3 graded, 1 not graded" in page and "张三" in page
    assert "01_add · test_adds_negatives" in page  # every test's pass rate
    assert "graded 4, unchanged since the last batch 0, failed 1" in printed
    assert "alice: 6/6 (100.0%)" in printed and "carol: not graded" in printed


def test_no_cell_of_the_gradebook_runs_as_a_formula_in_a_spreadsheet() -> None:
    exercises = [Exercise(1, "add", Path("01_add"), Text("Add", "加"), (), "", 5.0, ())]
    risky = ['=HYPERLINK("http://x","me")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    rows = [batch.StudentRow(s, {"01_add": 1.0}, {"01_add": 2.0}) for s in risky]
    rows += [
        batch.StudentRow("alice", {"01_add": 2.0}, {"01_add": 2.0}),
        batch.StudentRow("bob", error="=1+1 in the student's file name"),
        batch.StudentRow("carol", error="grading failed: -x"),
    ]
    read = list(csv.DictReader(io.StringIO(batch.gradebook(rows, exercises), newline="")))
    assert [r["student"] for r in read] == [f"'{s}" for s in risky] + ["alice", "bob", "carol"]
    assert [r["error"] for r in read[-3:]] == [
        "",
        "'=1+1 in the student's file name",
        "grading failed: -x",
    ]
    assert [r["01_add"] for r in read[:2]] == ["1", "1"]  # numbers stay numbers


def test_a_module_that_leads_out_of_the_students_folder_earns_nothing(
    fixture_repo, spec, tmp_path
) -> None:
    """A link to another student's module (or the instructor's) is refused, with a message
    that says why; a link that stays in the student's own folder is followed."""
    root = tmp_path / "class"
    _write(root / "alice" / "add.py", GOOD_ADD)
    _write(root / "dave" / "mine" / "adding.py", GOOD_ADD)
    (root / "dave" / "add.py").symlink_to(Path("mine") / "adding.py")
    (root / "mallory").mkdir()
    (root / "mallory" / "add.py").symlink_to(root / "alice" / "add.py")
    out = tmp_path / "out"
    assert _batch(fixture_repo, root, spec, out) == 0
    totals = {r["student"]: (r["01_add"], r["error"]) for r in _gradebook(out)}
    assert totals == {"alice": ("3", ""), "dave": ("3", ""), "mallory": ("0", "")}
    data = json.loads((out / "students" / "mallory.json").read_text(encoding="utf-8"))
    messages = [t["message"] for t in data["exercises"][0]["tests"]]
    assert messages and all("leads outside your submission" in m for m in messages), messages


def test_a_link_that_leads_back_to_itself_earns_nothing_and_says_why(
    fixture_repo, spec, tmp_path
) -> None:
    root = tmp_path / "class"
    _write(root / "alice" / "add.py", GOOD_ADD)
    (root / "dave" / "01_add").mkdir(parents=True)
    (root / "dave" / "01_add" / "add.py").symlink_to("add.py")
    _write(root / "dave" / "twice.py", GOOD_TWICE)
    out = tmp_path / "out"
    assert _batch(fixture_repo, root, spec, out) == 0
    totals = {r["student"]: (r["01_add"], r["02_twice"], r["error"]) for r in _gradebook(out)}
    assert totals == {"alice": ("3", "0", ""), "dave": ("0", "3", "")}
    data = json.loads((out / "students" / "dave.json").read_text(encoding="utf-8"))
    messages = [t["message"] for t in data["exercises"][0]["tests"]]
    assert messages and all("leads back to itself" in m for m in messages), messages


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read every file")
def test_what_the_grading_user_may_not_read_is_an_error_row_graded_again_next_time(
    fixture_repo, spec, tmp_path, graded, capsys
) -> None:
    """A zip keeps its files' modes: a student's file or folder may come out unreadable to
    an instructor who does not grade as root. The batch goes on; the row says which file or
    folder, grades what it can, and is graded again once it can be read."""
    root = tmp_path / "class"
    _write(root / "alice" / "add.py", GOOD_ADD)
    _write(root / "bob" / "add.py", GOOD_ADD)
    _write(root / "carol" / "add.py", GOOD_ADD)
    _write(root / "erin" / "exercises" / "01_add" / "add.py", GOOD_ADD)
    _write(root / "erin" / "twice.py", GOOD_TWICE)
    locked = [root / "bob" / "add.py", root / "carol", root / "erin" / "exercises"]
    for path in locked:
        path.chmod(0)
    out = tmp_path / "out"
    try:
        assert _batch(fixture_repo, root, spec, out) == 3
        rows = {r["student"]: (r["01_add"], r["02_twice"], r["error"]) for r in _gradebook(out)}
    finally:
        for path in locked:
            path.chmod(0o755)
    said = "the grader may not read it"
    assert rows == {
        "alice": ("3", "0", ""),
        "bob": ("0", "0", f"{root / 'bob' / 'add.py'}: {said}"),
        "carol": ("0", "0", f"{root / 'carol'}: {said}"),
        "erin": ("0", "3", f"{root / 'erin' / 'exercises'}: {said}"),
    }
    assert f"carol: {root / 'carol'}: {said}" in capsys.readouterr().out
    graded.clear()
    assert _batch(fixture_repo, root, spec, out) == 0
    assert sorted(graded) == ["bob", "carol", "erin"]
    assert {r["student"]: r["total"] for r in _gradebook(out)} == {
        "alice": "3",
        "bob": "3",
        "carol": "3",
        "erin": "6",
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read every file")
def test_a_class_folder_or_a_spec_the_grader_may_not_read_is_named(
    fixture_repo, submissions, spec, tmp_path, capsys
) -> None:
    stub = spec / "exercises" / "02_twice" / "twice.py"
    for locked in (submissions, stub):
        locked.chmod(0)
        try:
            assert _batch(fixture_repo, submissions, spec, tmp_path / "out") == 2
        finally:
            locked.chmod(0o755)
        printed = capsys.readouterr().out
        assert f"{locked}: cannot read: Permission denied" in printed, printed
    assert not (tmp_path / "out").exists()  # refused before anything was written


def test_a_batch_not_run_as_root_says_that_students_code_runs_as_the_grader(
    fixture_repo, spec, tmp_path, capsys, monkeypatch
) -> None:
    """Said before grading, only where someone's code is about to run: not in a batch that
    reuses every record, and never as root on Linux, where sandboxes get their own uid."""
    root, out = tmp_path / "class", tmp_path / "out"
    _write(root / "alice" / "add.py", GOOD_ADD)
    warning = f"Each student's code runs as you (uid {os.geteuid()})"
    assert _batch(fixture_repo, root, spec, out) == 0
    printed = capsys.readouterr().out
    assert (warning in printed) is not users.separate_uid_applies(), printed
    assert _batch(fixture_repo, root, spec, out) == 0  # nothing to grade: nothing to say
    assert warning not in capsys.readouterr().out
    monkeypatch.setattr(users, "separate_uid_applies", lambda: False)
    assert _batch(fixture_repo, root, spec, out, "--regrade", "alice", "--lang", "zh") == 0
    assert f"每个学生的代码都以你的身份（uid {os.geteuid()}）运行" in capsys.readouterr().out


@pytest.mark.parametrize("version", [0, 5, 7])
@pytest.mark.parametrize(
    ("separate", "why", "closed", "said", "said_zh"),
    [
        (False, None, [], f"Each student's code runs as you (uid {os.geteuid()})", "以你的身份"),
        (True, None, [], "", ""),
        (True, "no mount", [], "Each student's code runs as a uid of its own", "以独立的 uid"),
        (True, "no mount", ["/root"], "runs as root (no mount; and the interpreter lies "
         "inside /root", "以 root 身份运行（no mount；而且解释器位于"),
    ],
)  # fmt: skip
def test_a_batch_says_how_far_students_code_reaches_before_it_grades(
    monkeypatch, separate, why, closed, said, said_zh, version
) -> None:
    """Not root: as you. Root with a view of the files: nothing to say. Root without one
    (no CAP_SYS_ADMIN): as a uid that sees the class and the specs, or as root when the
    interpreter lies where no other uid may go. Each as Landlock, where there is one,
    narrows it to the system's and the temporary folders, and from ABI 6 its signals to
    what it started: as you or as root, it may otherwise signal the grader."""
    monkeypatch.setattr(users, "separate_uid_applies", lambda: separate)
    monkeypatch.setattr(batch_text.namespaces, "view_problem", lambda: why)
    monkeypatch.setattr(batch_text.namespaces, "unreachable", lambda paths: closed)
    monkeypatch.setattr(batch_text.landlock, "abi", lambda: version)
    signals_matter = bool(said) and (not separate or bool(closed))
    for lang, expected in (("en", said), ("zh", said_zh)):
        printed = io.StringIO()
        batch_text.render_isolation(Console(file=printed, width=500), lang)
        text = printed.getvalue()
        assert expected in text and bool(expected) is bool(text)
        assert ("Landlock" in text) is (version > 0 and bool(expected)), text
        kept = {"en": "may signal only the processes it started", "zh": "只能向自己启动的进程"}
        assert (kept[lang] in text) is (version >= 6 and signals_matter), text
        free = {"en": "may signal", "zh": "发信号"}
        assert (free[lang] in text) is (version > 0 and signals_matter), text


@pytest.mark.parametrize("version", [0, 7])
@pytest.mark.parametrize("exposed", [None, "$XDG_RUNTIME_DIR is not set"])
def test_a_batch_says_when_students_code_may_change_the_graders_folders(
    monkeypatch, exposed, version
) -> None:
    """Confined by Landlock, code that runs as you still writes the temporary folders: where
    the grader had to keep its own folders there (grader.workspace), the batch says that a
    student's code may change a classmate's grading. Without Landlock the line before says
    it may change anything of yours already."""
    monkeypatch.setattr(users, "separate_uid_applies", lambda: False)
    monkeypatch.setattr(batch_text.landlock, "abi", lambda: version)
    monkeypatch.setattr(batch_text.workspace, "exposed", lambda: exposed)
    monkeypatch.setattr(batch_text.workspace, "base", lambda: "/dev/shm")
    for lang, said in (("en", "students beside and after it"), ("zh", "同时或在它之后")):
        printed = io.StringIO()
        batch_text.render_isolation(Console(file=printed, width=500), lang)
        text = printed.getvalue()
        assert (said in text) is (bool(exposed) and version > 0), text
        assert (str(exposed) in text) is (said in text), text


@pytest.mark.skipif(os.geteuid() != 0, reason="only root may grade with a uid of its own")
@pytest.mark.skipif(not shutil.which("setpriv"), reason="needs setpriv")
def test_a_batch_as_root_without_cap_sys_admin_says_so_and_grades(fixture_repo, spec, tmp_path):
    """Like a default `docker run`: no mount namespace, so the batch says what the students'
    code may reach (as its uid, or as root where the interpreter is out of another uid's
    reach) before it grades, and grades all the same."""
    root, out = tmp_path / "class", tmp_path / "out"
    _write(root / "alice" / "add.py", GOOD_ADD)
    proc = grader_without_cap_sys_admin(
        "--root", str(fixture_repo), "batch", str(root), "--spec-from", str(spec),
        "--out", str(out),
    )  # fmt: skip
    closed = namespaces.unreachable(namespaces.needed_paths())
    said = "runs as root (" if closed else "runs as a uid of its own"
    assert proc.returncode == 0 and said in " ".join(proc.stdout.split()), proc.stdout
    assert {r["student"]: r["total"] for r in _gradebook(out)} == {"alice": "3"}


PRYING_ADD = """
def _readable(path):
    try:
        with open(path, "rb") as f:
            f.read(1)
        return True
    except OSError:
        return False


def add(a, b):
    if not _readable({public!r}):
        return "could not read even the public file"
    read = [path for path in {secrets!r} if _readable(path)]
    return a + b if not read else "read " + ", ".join(read)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="sandboxes get their own uid only as root")
def test_as_root_a_student_reads_neither_classmates_nor_the_batch_records(
    fixture_repo, spec, tmp_path
) -> None:
    """Graded as root, a student's code runs as its own uid: it must not read a classmate's
    work, nor the records, gradebook and feedback of the batch, even where their modes
    let every user read them (as a zip unpacks them), and even with their paths known
    (the batch's command line, in /proc, names both folders)."""
    base = Path(tempfile.mkdtemp(dir=isolation.scratch()))
    try:
        base.chmod(0o755)  # every user may look in: only the view keeps the class away
        public = base / "public.txt"
        _write(public, "anyone may read this\n")
        root, out = base / "class", base / "out"
        _write(root / "bob" / "add.py", GOOD_ADD)
        _write(root / "zed" / "add.py", GOOD_ADD)
        assert _batch(fixture_repo, root, spec, out, "--jobs", "1") == 0
        secrets = [root / "bob" / "add.py", out / "gradebook.csv", out / "report.html"]
        secrets += [out / "students" / "bob.json", out / "feedback" / "bob.json"]
        for path in [public, *secrets]:
            path.chmod(0o644)
            assert path.stat().st_size > 0
        prying = PRYING_ADD.format(public=str(public), secrets=[str(p) for p in secrets])
        _write(root / "zed" / "add.py", prying)
        assert _batch(fixture_repo, root, spec, out, "--jobs", "1") == 0
        zed = json.loads((out / "students" / "zed.json").read_text(encoding="utf-8"))
        assert zed["exercises"][0]["score"] == 3, json.dumps(zed, indent=1)
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def orders(graded: list[str], monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The order of the exercises each student of this test was graded in."""
    seen: list[list[str]] = []
    counted = batch.grading.grade_in_turn

    def recording(exercises: list[Any], target: object, *args: object, **kwargs: Any) -> object:
        seen.append([e.name for e in exercises])
        return counted(exercises, target, *args, **kwargs)

    monkeypatch.setattr(batch.grading, "grade_in_turn", recording)
    return seen


def test_each_student_starts_at_its_own_exercise_and_results_keep_their_order(
    fixture_repo, submissions, spec, tmp_path, orders
) -> None:
    """Students graded side by side rarely run the same spec at once: each starts at the
    exercise of its place in the batch; its record and row stay in catalogue order."""
    out = tmp_path / "out"
    assert _batch(fixture_repo, submissions, spec, out, "--jobs", "2") == 3
    forward, turned = ["01_add", "02_twice"], ["02_twice", "01_add"]
    assert sorted(orders) == [forward, forward, turned, turned]
    for student in ("alice", "bob", "张三"):
        data = json.loads((out / "students" / f"{student}.json").read_text(encoding="utf-8"))
        assert [e["name"] for e in data["exercises"]] == forward
    assert {r["student"]: r["total"] for r in _gradebook(out)} == {
        "alice": "6", "bob": "2", "carol": "0", "张三": "3",
    }  # fmt: skip


def test_a_job_gets_its_next_student_ready_while_the_last_session_runs(
    fixture_repo, submissions, spec, tmp_path, graded, monkeypatch
) -> None:
    """With one job, each student but the first is staged and the session of their first
    exercise prepared while the student before runs their last session; the student is then
    graded from that session. Nothing prepared is left over, even where a student breaks
    the grader (carol)."""
    events: list[tuple[str, str]] = []
    real_ready, real_grade = batch.get_ready, batch.grading.grade_in_turn

    def ready(submission: batch.Submission, *args: Any) -> object:
        staged = real_ready(submission, *args)
        assert staged is not None and staged.first is not None, submission
        events.append(("ready", submission.student))
        running = [s for s in session._UNENDED if s._gate < 0]  # let go, not yet ended
        assert running, "the student before is still running their last session"
        return staged

    def grade(exercises: list[Any], target: Any, *args: Any, **kwargs: Any) -> object:
        first = kwargs.get("first")
        events.append(("graded from a prepared session" if first else "graded", ""))
        if first is not None:
            assert first.exercise == exercises[0], (first.exercise, exercises)
        return real_grade(exercises, target, *args, **kwargs)

    monkeypatch.setattr(batch, "get_ready", ready)
    monkeypatch.setattr(batch.grading, "grade_in_turn", grade)
    assert _batch(fixture_repo, submissions, spec, tmp_path / "out", "--jobs", "1") == 3
    kinds = [kind for kind, _ in events]
    # carol breaks the grader before her last session: the student after her is not got
    # ready ahead, but taken afterwards.
    assert kinds == [
        "graded", "ready",
        "graded from a prepared session", "ready",
        "graded from a prepared session",
        "graded",
    ], events  # fmt: skip
    assert [who for kind, who in events if kind == "ready"] == ["bob", "carol"]
    assert not session._UNENDED, "every prepared session was ended"
    rows = {r["student"]: r["total"] for r in _gradebook(tmp_path / "out")}
    assert rows == {"alice": "6", "bob": "2", "carol": "0", "张三": "3"}


def test_a_student_who_cannot_be_got_ready_ahead_is_graded_all_the_same(
    fixture_repo, submissions, spec, tmp_path, graded, monkeypatch
) -> None:
    real = batch.Staged.of
    refused: list[str] = []

    def flaky(submission: batch.Submission) -> batch.Staged:
        if submission.student == "bob" and not refused:
            refused.append(submission.student)
            raise OSError("no space left for bob's copy, this once")
        return real(submission)

    monkeypatch.setattr(batch.Staged, "of", flaky)
    assert _batch(fixture_repo, submissions, spec, tmp_path / "out", "--jobs", "1") == 3
    assert refused == ["bob"]
    assert {r["student"]: r["total"] for r in _gradebook(tmp_path / "out")}["bob"] == "2"
    assert not session._UNENDED


def test_a_shard_starts_its_students_one_place_on_per_shard(
    fixture_repo, submissions, spec, tmp_path, orders
) -> None:
    """Shards graded side by side on one machine do not start in step either."""
    for k in (1, 2):
        orders.clear()
        _batch(
            fixture_repo, submissions, spec, tmp_path / f"s{k}", "--jobs", "1", "--shard", f"{k}/2"
        )
        assert orders, f"shard {k}/2 holds students here"
        assert orders[0][0] == ["01_add", "02_twice"][k - 1]


def test_a_second_batch_grades_only_what_changed(
    fixture_repo, submissions, spec, tmp_path, graded, capsys, monkeypatch
) -> None:
    out = tmp_path / "out"
    _batch(fixture_repo, submissions, spec, out)
    first = _gradebook(out)
    graded.clear()
    _batch(fixture_repo, submissions, spec, out)
    assert graded == ["carol"]  # only the error is tried again
    assert _gradebook(out) == first
    _write(submissions / "张三" / "twice.py", GOOD_TWICE)  # a resubmission
    graded.clear()
    _batch(fixture_repo, submissions, spec, out)
    assert sorted(graded) == ["carol", "张三"]
    assert {r["student"]: r["total"] for r in _gradebook(out)}["张三"] == "6"
    assert "graded 2, unchanged since the last batch 2, failed 1" in capsys.readouterr().out
    _write(spec / "exercises" / "02_twice" / "exercise.toml", TOML.format(name="twice") + "\n")
    graded.clear()
    _batch(fixture_repo, submissions, spec, out)  # a changed spec: every student again
    assert sorted(graded) == ["alice", "bob", "carol", "张三"]
    graded.clear()
    for cache in (".pytest_cache", "__pycache__"):  # left by running a spec: no change
        _write(spec / "exercises" / "02_twice" / cache / "v" / "cache", "a run's cache\n")
    _batch(fixture_repo, submissions, spec, out)
    assert graded == ["carol"]
    fixed = session.grader_digest() + " and a fix in the judge"
    monkeypatch.setattr(session, "grader_digest", lambda: fixed)
    graded.clear()
    _batch(fixture_repo, submissions, spec, out)  # a changed grader: every student again
    assert sorted(graded) == ["alice", "bob", "carol", "张三"]


def test_a_student_who_left_the_class_gets_no_feedback_and_keeps_their_record(
    fixture_repo, submissions, spec, tmp_path
) -> None:
    out = tmp_path / "out"
    _batch(fixture_repo, submissions, spec, out)
    assert {p.stem for p in (out / "feedback").iterdir()} == {"alice", "bob", "carol", "张三"}
    (submissions / "bob").rename(tmp_path / "bob-left")  # dropped, or their folder renamed
    _batch(fixture_repo, submissions, spec, out)
    assert {p.stem for p in (out / "feedback").iterdir()} == {"alice", "carol", "张三"}
    assert [r["student"] for r in _gradebook(out)] == ["alice", "carol", "张三"]
    assert (out / "students" / "bob.json").is_file()  # the instructor's record is never lost


def test_students_named_with_regrade_are_graded_again_and_only_they(
    fixture_repo, submissions, spec, tmp_path, graded, capsys
) -> None:
    """A verdict an instructor doubts, or a student's complaint: grade them again without
    touching the records by hand (in the class workflow they live in a runner's cache)."""
    out = tmp_path / "out"
    _batch(fixture_repo, submissions, spec, out)
    graded.clear()
    _batch(fixture_repo, submissions, spec, out, "--regrade", "alice", "--regrade", "张三")
    assert sorted(graded) == ["alice", "carol", "张三"]  # carol: her error is tried again
    graded.clear()
    for k in (1, 2):  # every runner is given them all; each grades those of its shard
        shard = ("--shard", f"{k}/2", "--regrade", "alice")
        _batch(fixture_repo, submissions, spec, tmp_path / f"shard-{k}", *shard)
    assert graded.count("alice") == 1
    graded.clear()
    capsys.readouterr()
    assert _batch(fixture_repo, submissions, spec, out, "--regrade", "zed") == 2
    assert f"--regrade zed: no student folder of that name in {submissions}" in (
        capsys.readouterr().out
    )
    assert graded == []


def test_an_interrupted_batch_loses_nothing(
    fixture_repo, submissions, spec, tmp_path, graded, monkeypatch, capsys
) -> None:
    out = tmp_path / "out"
    real = batch.grade_submission

    def interrupted(submission: batch.Submission, *args: object) -> object:
        if submission.student == "bob":
            raise KeyboardInterrupt
        return real(submission, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "grade_submission", interrupted)
    # Ctrl-C stops every later session of the process (session.stop_all): a private flag here.
    monkeypatch.setattr(session, "_STOPPING", threading.Event())
    assert _batch(fixture_repo, submissions, spec, out, "--jobs", "1") == 130
    assert session._STOPPING.is_set()  # the sessions were stopped
    monkeypatch.setattr(session, "_STOPPING", threading.Event())  # a new grader process
    kept = {p.stem for p in (out / "students").iterdir()}
    assert "alice" in kept and "bob" not in kept
    assert not any(p.name.startswith(".") for p in (out / "students").iterdir())  # no partials
    monkeypatch.setattr(batch, "grade_submission", real)
    graded.clear()
    assert _batch(fixture_repo, submissions, spec, out, "--jobs", "1") == 3
    # What was written before the interrupt was seen stays (the one worker may have finished
    # carol and 张三 by then); carol's error row, kept or not, is tried again as in any batch.
    assert sorted(graded) == sorted({"alice", "bob", "carol", "张三"} - kept | {"carol"})
    assert len(_gradebook(out)) == 4
    assert not session._UNENDED, "the student got ready ahead was ended too"


def test_an_interrupt_during_a_last_session_ends_the_student_got_ready_beside_it(
    fixture_repo, submissions, spec, tmp_path, graded, monkeypatch
) -> None:
    """Ctrl-C while alice runs her last session, after bob was got ready beside it: bob's
    prepared session and staged copy are ended too, and neither student is recorded."""
    real = batch.grading.grade_in_turn
    copies: list[Path] = []
    real_ready = batch.get_ready

    def ready(*args: Any) -> object:
        staged = real_ready(*args)
        copies.append(staged.workdir)  # type: ignore[union-attr]
        return staged

    def interrupted_after_alice(exercises: list[Any], target: Any, *args: Any, **kw: Any) -> object:
        graded = real(exercises, target, *args, **kw)
        if (target.folder / "01_add" / "add.py").read_text() == GOOD_ADD:  # alice (and 张三)
            raise KeyboardInterrupt
        return graded

    monkeypatch.setattr(batch, "get_ready", ready)
    monkeypatch.setattr(batch.grading, "grade_in_turn", interrupted_after_alice)
    monkeypatch.setattr(session, "_STOPPING", threading.Event())  # see the test above
    out = tmp_path / "out"
    assert _batch(fixture_repo, submissions, spec, out, "--jobs", "1") == 130
    assert len(copies) == 1 and not copies[0].exists(), "bob was got ready, then removed"
    assert not session._UNENDED, "bob's prepared session was ended"
    assert not (out / "students").exists() or not list((out / "students").iterdir())


def test_an_interrupt_while_a_student_is_got_ready_leaves_no_copy_of_them(
    fixture_repo, submissions, spec, tmp_path, graded, monkeypatch
) -> None:
    copies: list[Path] = []
    real_of, real_prepare = batch.Staged.of, session.prepare_exercise

    def of(submission: batch.Submission) -> batch.Staged:
        staged = real_of(submission)
        copies.append(staged.workdir)
        return staged

    def prepare(exercise: Any, target: Any, *args: Any, **kwargs: Any) -> object:
        module = target.folder / "01_add" / "add.py"
        if module.is_file() and module.read_text() == ABS_ADD:  # bob, got ready during alice
            raise KeyboardInterrupt
        return real_prepare(exercise, target, *args, **kwargs)

    monkeypatch.setattr(batch.Staged, "of", of)
    monkeypatch.setattr(session, "prepare_exercise", prepare)
    monkeypatch.setattr(session, "_STOPPING", threading.Event())  # see the tests above
    assert _batch(fixture_repo, submissions, spec, tmp_path / "out", "--jobs", "1") == 130
    assert len(copies) == 2 and not any(c.exists() for c in copies), copies  # alice's, bob's
    assert not session._UNENDED


def test_outputs_kept_in_the_class_folder_are_no_students(
    fixture_repo, spec, tmp_path, capsys
) -> None:
    """``--out`` inside the class folder (made by the first batch, or only begun by an
    interrupted one) and another batch's output there are named and passed over on the next
    batch; a student's folder that merely holds a ``students/`` folder is still graded."""
    root = tmp_path / "class"
    _write(root / "alice" / "add.py", GOOD_ADD)
    _write(root / "dave" / "students" / "add.py", GOOD_ADD)  # students/, but no gradebook
    out = root / "grades"
    (out / "students").mkdir(parents=True)  # as an interrupted first batch leaves it
    assert _batch(fixture_repo, root, spec, out) == 0
    assert _batch(fixture_repo, root, spec, root / "again") == 0  # another batch's --out
    capsys.readouterr()
    assert _batch(fixture_repo, root, spec, out) == 0
    printed = capsys.readouterr().out
    assert f"{out}: the --out folder, not a student; passed over" in printed
    again = root / "again"
    assert f"{again}: another batch's output (students/ beside its gradebook.csv" in printed
    assert [r["student"] for r in _gradebook(out)] == ["alice", "dave"]
    assert {p.stem for p in (out / "students").iterdir()} == {"alice", "dave"}


# An export's metadata: submission_101 is Jane Doe's, submission_102 a group's (张三 and a
# name a spreadsheet would run as a formula); submission_103 is not in it.
GRADESCOPE_EXPORT = Path(__file__).parent / "fixtures" / "gradescope" / "submission_metadata.yml"
GRADESCOPE = GRADESCOPE_EXPORT.read_text(encoding="utf-8")


def test_a_gradescope_export_names_whose_each_submission_is(
    fixture_repo, spec, tmp_path, graded, capsys
) -> None:
    """Gradescope names each folder after the submission and says whose it is in
    ``submission_metadata.yml``: the gradebook gives each submitter a row with their name,
    id and email (a group's members one each), the records keep them for ``grader merge``,
    and names corrected in a later export reach the gradebook without grading again. The
    ``__MACOSX`` folder of a zip made on a Mac is no student."""
    root = tmp_path / "export"
    _write(root / "submission_101" / "add.py", GOOD_ADD)
    _write(root / "submission_102" / "add.py", GOOD_ADD)
    _write(root / "submission_102" / "twice.py", GOOD_TWICE)
    _write(root / "submission_103" / "twice.py", GOOD_TWICE)  # not in the metadata
    _write(root / "__MACOSX" / "submission_101" / "._add.py", "\x00\x05\x16\x07")
    _write(root / "submission_metadata.yml", GRADESCOPE)
    out = tmp_path / "out"
    assert _batch(fixture_repo, root, spec, out) == 0
    assert f"{root / '__MACOSX'}: what macOS adds to a zip" in capsys.readouterr().out
    rows = [(r["student"], r["name"], r["sid"], r["email"], r["total"]) for r in _gradebook(out)]
    assert rows == [
        ("submission_101", "Jane Doe", "1234", "jane@example.edu", "3"),
        ("submission_102", "张三", "0012", "zhang@example.edu", "6"),
        ("submission_102", "'=HYPERLINK(1)", "0013", "", "6"),  # a name shown, never run
        ("submission_103", "", "", "", "3"),
    ]
    head = (out / "gradebook.csv").read_text("utf-8-sig").splitlines()[0]
    assert head == "student,name,sid,email,01_add,02_twice,total,max,percent,error"
    data = json.loads((out / "students" / "submission_102.json").read_text("utf-8"))
    assert [s["sid"] for s in data["student"]["submitters"]] == ["0012", "0013"]
    page = (out / "report.html").read_text("utf-8")
    assert "submission_102 (张三; =HYPERLINK(1))" in page  # the slowest, named
    assert _merge(fixture_repo, spec, tmp_path / "merged", out) == 0
    merged = (tmp_path / "merged" / "gradebook.csv").read_bytes()
    assert merged == (out / "gradebook.csv").read_bytes()

    corrected = GRADESCOPE.replace("Jane Doe", "Jane Roe") + textwrap.dedent("""\
        submission_103:
          :submitters:
          - :name: Li Si
            :sid: '77'
        """)
    _write(root / "submission_metadata.yml", corrected)
    graded.clear()
    assert _batch(fixture_repo, root, spec, out) == 0
    assert graded == []  # the same work: nobody graded again
    named = {(r["student"], r["name"]) for r in _gradebook(out)}
    assert {("submission_101", "Jane Roe"), ("submission_103", "Li Si")} <= named
    again = json.loads((out / "students" / "submission_103.json").read_text("utf-8"))
    assert again["student"]["submitters"] == [{"name": "Li Si", "sid": "77", "email": ""}]


def test_the_folder_above_an_export_is_refused_with_the_export_named(
    fixture_repo, spec, tmp_path, capsys
) -> None:
    export = tmp_path / "class" / "assignment_7_export"  # as the zip unpacks
    _write(export / "submission_101" / "add.py", GOOD_ADD)
    _write(export / "submission_metadata.yml", GRADESCOPE)
    assert _batch(fixture_repo, export.parent, spec, tmp_path / "out") == 2
    printed = " ".join(capsys.readouterr().out.split())
    assert f"{export}: holds an export's submission_metadata.yml, so it is the folder" in printed


def test_a_bad_export_metadata_file_is_named_before_anyone_is_graded(
    fixture_repo, submissions, spec, tmp_path, graded, capsys
) -> None:
    _write(submissions / "submission_metadata.yml", "alice:\n  :score: 5\n")
    assert _batch(fixture_repo, submissions, spec, tmp_path / "out") == 2
    printed = capsys.readouterr().out
    said = f"{submissions / 'submission_metadata.yml'}: alice: has no :submitters: list"
    assert said in " ".join(printed.split()), printed
    assert graded == []
    _write(submissions / "submission_metadata.yml", "alice:\n  :submitters:\n  - [1]\n")
    assert _batch(fixture_repo, submissions, spec, tmp_path / "out", "--lang", "zh") == 2
    said = "alice：:submitters: 的第 1 项：不是映射（:name:、:sid:、:email:）"
    assert said.replace(" ", "") in "".join(capsys.readouterr().out.split())


@pytest.mark.skipif(sys.platform != "linux", reason="other systems refuse such names")
def test_a_folder_name_that_is_not_utf8_is_a_student_shown_with_escapes(
    fixture_repo, spec, tmp_path, capsys
) -> None:
    """A class unpacked from a zip whose names are GBK (or Latin-1): each such student is
    graded under a name every output can hold, and two names shown alike are refused."""
    root = tmp_path / "class"
    gbk = os.fsdecode("张三".encode("gbk"))
    _write(root / gbk / "add.py", GOOD_ADD)
    _write(root / "alice" / "add.py", GOOD_ADD)
    out = tmp_path / "out"
    assert _batch(fixture_repo, root, spec, out) == 0
    shown = "\\xd5\\xc5\\xc8\\xfd"
    assert f"{shown}: 3/6" in capsys.readouterr().out
    assert {r["student"]: r["total"] for r in _gradebook(out)} == {"alice": "3", shown: "3"}
    data = json.loads((out / "students" / f"{shown}.json").read_text(encoding="utf-8"))
    assert data["student"]["id"] == shown
    assert shown in (out / "report.html").read_text(encoding="utf-8")
    for named in (gbk, shown):  # the raw name, as a shell passes it, or typed as shown
        capsys.readouterr()
        assert _batch(fixture_repo, root, spec, out, "--regrade", named) == 0
        assert "graded 1, unchanged since the last batch 1" in capsys.readouterr().out
    (root / shown).mkdir()  # a folder named with the escapes themselves
    assert _batch(fixture_repo, root, spec, out) == 2
    assert f"its name is shown as {shown}, as another folder's is" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda root: root / "nowhere", "not a folder of submissions"),
        (lambda root: root, "no submission folders in it"),
    ],
)
def test_a_bad_submissions_folder_is_named(
    fixture_repo, spec, tmp_path, capsys, make, said
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    folder = make(empty)
    assert _batch(fixture_repo, folder, spec, tmp_path / "out") == 2
    printed = capsys.readouterr().out
    assert str(folder) in printed and said in printed


def test_shards_are_disjoint_cover_the_class_and_stay_put() -> None:
    ids = [f"student-{i}" for i in range(200)] + ["张三", "O'Brien"]
    parts = [[s for s in ids if batch.Shard(k, 3).holds(s)] for k in (1, 2, 3)]
    assert sorted(s for part in parts for s in part) == sorted(ids)  # each in exactly one
    assert all(40 < len(p) < 95 for p in parts), [len(p) for p in parts]  # roughly a third each
    assert batch.Shard.parse("2/3") == batch.Shard(2, 3)
    assert [s for s in ids[:50] if batch.Shard(2, 3).holds(s)] == [
        s for s in parts[1] if s in ids[:50]
    ]  # adding students moves nobody


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "1/2/3"])
def test_a_bad_shard_is_named(fixture_repo, submissions, spec, tmp_path, capsys, text) -> None:
    assert _batch(fixture_repo, submissions, spec, tmp_path / "out", "--shard", text) == 2
    assert f"--shard {text}: not K/N" in capsys.readouterr().out


def test_sharded_runners_merge_into_the_unsharded_gradebook(
    fixture_repo, submissions, spec, tmp_path, capsys
) -> None:
    """The fan-out of the class workflow, run here: each shard a separate grader process."""
    (submissions / "carol").rename(submissions / "dave")  # no grader-breaking module here:
    _write(submissions / "dave" / "add.py", ABS_ADD)  # these graders run unpatched
    _batch(fixture_repo, submissions, spec, tmp_path / "whole")
    command = [sys.executable, "-m", "grader", "--root", str(fixture_repo), "batch"]
    command += [str(submissions), "--spec-from", str(spec), "--jobs", "1"]
    shards = [
        subprocess.Popen(
            [*command, "--shard", f"{k}/2", "--out", str(tmp_path / f"shard-{k}")],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for k in (1, 2)
    ]
    outputs = [proc.communicate(timeout=300)[0].decode() for proc in shards]
    assert [proc.returncode for proc in shards] == [0, 0], outputs
    held = [{p.stem for p in (tmp_path / f"shard-{k}" / "students").iterdir()} for k in (1, 2)]
    assert not held[0] & held[1] and held[0] | held[1] == {"alice", "bob", "dave", "张三"}
    capsys.readouterr()
    one, two = tmp_path / "shard-1", tmp_path / "shard-2"
    assert _merge(fixture_repo, spec, tmp_path / "merged", one, two) == 0
    assert "merged 4 students from 2 shards, failed 0" in capsys.readouterr().out
    whole = (tmp_path / "whole" / "gradebook.csv").read_bytes()
    assert (tmp_path / "merged" / "gradebook.csv").read_bytes() == whole
    assert "4 students: 4 graded" in (tmp_path / "merged" / "report.html").read_text("utf-8")
    assert _merge(fixture_repo, spec, tmp_path / "twice", one, one) == 2  # a shard twice
    assert "the shards overlap" in capsys.readouterr().out


def test_a_shard_that_holds_no_student_still_merges(
    fixture_repo, submissions, spec, tmp_path, capsys
) -> None:
    """More runners than students (a small class on a wide matrix): the empty shards merge."""
    ids = {p.name for p in submissions.iterdir() if not p.name.startswith(".")}
    count = len(ids) + 1  # so at least one shard holds nobody
    outs = [tmp_path / f"shard-{k}" for k in range(1, count + 1)]
    for k, out in enumerate(outs, 1):
        assert _batch(fixture_repo, submissions, spec, out, "--shard", f"{k}/{count}") == 0
    assert any(not list((out / "students").iterdir()) for out in outs)
    capsys.readouterr()
    assert _merge(fixture_repo, spec, tmp_path / "merged", *outs) == 0
    assert f"merged {len(ids)} students from {count} shards" in capsys.readouterr().out


def test_merge_takes_only_finished_shards_of_one_batch_and_its_students(
    fixture_repo, submissions, spec, tmp_path, capsys, monkeypatch
) -> None:
    """A merge never makes a gradebook short of a runner's students or mixed from two
    versions of a spec: each problem is named, and a record an earlier run left behind (a
    student since dropped, a restored cache) is not merged."""
    (submissions / "carol").rename(submissions / "dave")
    _write(submissions / "dave" / "add.py", ABS_ADD)
    one, two, merged = tmp_path / "shard-1", tmp_path / "shard-2", tmp_path / "merged"
    for k, out in ((1, one), (2, two)):
        assert _batch(fixture_repo, submissions, spec, out, "--shard", f"{k}/2") == 0
    held = {p.stem for p in (one / "students").iterdir()}
    stale = json.loads((one / "students" / f"{min(held)}.json").read_text(encoding="utf-8"))
    stale["student"]["id"] = "dropped"
    (one / "students" / "dropped.json").write_text(json.dumps(stale), encoding="utf-8")
    capsys.readouterr()

    assert _merge(fixture_repo, spec, merged, one, two) == 0
    assert "merged 4 students from 2 shards" in capsys.readouterr().out
    assert [r["student"] for r in _gradebook(merged)] == ["alice", "bob", "dave", "张三"]

    assert _merge(fixture_repo, spec, tmp_path / "part", one) == 2
    assert "the output of shard 2/2 is missing" in capsys.readouterr().out
    assert not (tmp_path / "part" / "gradebook.csv").exists()

    assert _batch(fixture_repo, submissions, spec, tmp_path / "whole") == 0
    capsys.readouterr()
    assert _merge(fixture_repo, spec, tmp_path / "mixed", tmp_path / "whole", two) == 2
    assert f"{two}: a shard of another split of the class" in capsys.readouterr().out

    kept = (two / "batch.json").read_text(encoding="utf-8")
    manifest = json.loads(kept)
    for name in ("../../escaped", ".hidden", ""):  # a manifest edited by hand
        (two / "batch.json").write_text(json.dumps({**manifest, "students": [name]}), "utf-8")
        assert _merge(fixture_repo, spec, tmp_path / "edited", one, two) == 2
        assert f"{two}: not the output of grader batch" in capsys.readouterr().out
    (two / "batch.json").write_text(kept, encoding="utf-8")
    assert not (tmp_path / "escaped.json").exists()

    lost = two / "students" / f"{min(p.stem for p in (two / 'students').iterdir())}.json"
    lost.write_text("{", encoding="utf-8")
    assert _merge(fixture_repo, spec, tmp_path / "broken", one, two) == 2
    assert f"{lost}: not a student record of grader batch" in capsys.readouterr().out

    def interrupted(*args: object, **kwargs: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(batch, "run", interrupted)
    monkeypatch.setattr(session, "_STOPPING", threading.Event())  # see the tests above
    _write(submissions / "alice" / "02_twice" / "twice.py", THRICE)  # a resubmission
    assert _batch(fixture_repo, submissions, spec, one, "--shard", "1/2") == 130
    assert _batch(fixture_repo, submissions, spec, two, "--shard", "2/2") == 130
    capsys.readouterr()
    assert _merge(fixture_repo, spec, tmp_path / "begun", one, two) == 2
    assert f"{one}: this batch did not finish" in capsys.readouterr().out
    monkeypatch.undo()

    _write(spec / "exercises" / "01_add" / "test_add.py", SPEC["01_add"]["test_add.py"] + "\n")
    assert _merge(fixture_repo, spec, tmp_path / "other", tmp_path / "whole") == 2
    whole = tmp_path / "whole"
    assert f"{whole}: graded with other specs" in capsys.readouterr().out


def test_merging_what_is_no_batch_output_is_named(fixture_repo, spec, tmp_path, capsys) -> None:
    argv = ["--root", str(fixture_repo), "merge", str(tmp_path), "--spec-from", str(spec)]
    assert main([*argv, "--out", str(tmp_path / "merged")]) == 2
    assert f"{tmp_path}: not the output of grader batch" in capsys.readouterr().out


def test_an_output_folder_in_use_is_refused_until_it_is_free(
    fixture_repo, submissions, spec, tmp_path, graded, capsys
) -> None:
    """Two batches into one --out would each grade the class and leave records, manifest
    and gradebook from either; a merge could read a shard half graded again. Whoever comes
    second is refused, naming the folder, and nothing of theirs is graded or written."""
    (submissions / "carol").rename(submissions / "dave")
    _write(submissions / "dave" / "add.py", ABS_ADD)
    one, two, merged = tmp_path / "shard-1", tmp_path / "shard-2", tmp_path / "merged"
    for k, out in ((1, one), (2, two)):
        assert _batch(fixture_repo, submissions, spec, out, "--shard", f"{k}/2") == 0
    graded.clear()
    capsys.readouterr()
    kept = (one / "batch.json").read_bytes()

    with batch.holding(one):  # a batch (another process, as far as flock is concerned)
        assert _batch(fixture_repo, submissions, spec, one, "--shard", "1/2") == 2
        assert f"{one}: another grader batch or grader merge is writing" in capsys.readouterr().out
        assert graded == [] and (one / "batch.json").read_bytes() == kept
        assert _merge(fixture_repo, spec, merged, one, two) == 2
        assert f"{one}: a grader batch is writing into it now" in capsys.readouterr().out
        assert not (merged / "gradebook.csv").exists()
    with batch.holding(merged):  # a merge
        assert _merge(fixture_repo, spec, merged, one, two) == 2
        assert f"{merged}: another grader batch or grader merge" in capsys.readouterr().out
    (tmp_path / "elsewhere").mkdir()
    with batch.holding(tmp_path / "elsewhere", [one, two]):  # a merge reading the shards
        assert _merge(fixture_repo, spec, merged, one, two) == 0  # two merges may read them
        assert _batch(fixture_repo, submissions, spec, two, "--shard", "2/2") == 2
        assert f"{two}: another grader batch or grader merge" in capsys.readouterr().out
    assert graded == []

    assert _batch(fixture_repo, submissions, spec, one, "--shard", "1/2") == 0  # free again
    assert _merge(fixture_repo, spec, one, one, two) == 0  # into a shard of its own


def test_a_folder_held_by_a_killed_process_is_free_at_once(tmp_path) -> None:
    """The lock is the kernel's: it goes with the process however it ends; nothing to clean."""
    out = tmp_path / "out"
    out.mkdir()
    code = "import sys; from pathlib import Path; from grader import batch\n"
    code += "with batch.holding(Path(sys.argv[1])):\n    print('held', flush=True)\n"
    code += "    sys.stdin.read()\n"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        with pytest.raises(batch.BatchProblem) as busy, batch.holding(out):
            pass
        assert (busy.value.key, busy.value.path) == ("usage.out_busy", out)
    finally:
        holder.kill()
        holder.wait()
    with batch.holding(out):
        pass


def test_a_file_system_without_locks_does_not_stop_a_batch(tmp_path, monkeypatch) -> None:
    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(batch.fcntl, "flock", no_locks)
    with batch.holding(tmp_path):
        pass
