"""The student loop end to end: the course at a glance, check -k/-x/-v, watch, reset, solution,
and Ctrl-C, on the fixture repository."""

from __future__ import annotations

import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from conftest import leftovers

from grader import catalog, probe, progress, session, workspace
from grader.cli import main
from grader.polling import wait_until

SOLVED = "def attack():\n    return 'ok'\n\n\ndef fine():\n    return 42\n"
HALF = SOLVED.replace("    return 'ok'", "    print('debug: in attack')\n    return 'nope'")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def module(repo: Path) -> Path:
    return repo / "exercises" / "01_hostile" / "hostile.py"


def row(out: str, name: str) -> str:
    return next(line for line in out.splitlines() if name in line)


def long_running(repo: Path, name: str) -> str:
    """01_hostile's attack() forks three children named ``name`` and all of them sleep on."""
    toml = repo / "exercises" / "01_hostile" / "exercise.toml"
    toml.write_text(toml.read_text().replace("timeout = 5", "timeout = 60"))
    return (
        "import ctypes, os, time\n\n"
        "def attack():\n"
        "    for _ in range(3):\n"
        "        if os.fork() == 0:\n"
        f"            ctypes.CDLL(None).prctl(15, b'{name}', 0, 0, 0)\n"
        "            time.sleep(120)\n"
        "            os._exit(0)\n"
        "    time.sleep(120)\n\n"
        "def fine():\n    return 42\n"
    )


def named(name: str) -> list[int]:
    """Pids of live processes whose command name is ``name``."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() == name:
                    found.append(int(entry))
        except (OSError, ValueError):
            continue
    return found


def in_session_of(grader_pid: int, with_zygote: bool = True) -> list[int]:
    """Pids of this grader's sessions and what runs below them, by their command line: it names
    a session folder of this grader, or it is this grader's zygote's, which the sessions it
    forks keep (readable even for the grader's non-dumpable processes, whose environment is
    not). ``with_zygote=False`` leaves out the zygote itself: the first of them to start."""
    needle = f"grader-session-{grader_pid}-".encode()
    zygote_tail = f"\0{grader_pid}\0".encode()
    found: list[tuple[probe.Proc, bool]] = []  # (row, forked by the zygote or the zygote)
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        forked = b"\0grader.zygote\0" in cmdline and cmdline.endswith(zygote_tail)
        row = probe.read(int(entry)) if needle in cmdline or forked else None
        if row is not None:
            found.append((row, forked))
    tops = [row for row, forked in found if forked and row.ppid == grader_pid]
    zygote = min(tops, key=lambda row: row.start, default=None)
    return [row.pid for row, _ in found if with_zygote or row is not zygote]


class Grader:
    """``python -m grader ...`` in a subprocess, its output in a file, every process marked."""

    def __init__(self, tmp_path: Path, *argv: str, stdin: int | None = subprocess.DEVNULL) -> None:
        self.mark = f"GRADER_SELFTEST_{uuid.uuid4().hex}"
        self.log = tmp_path / f"grader-{uuid.uuid4().hex}.out"
        env = dict(os.environ, GRADER_SELFTEST_MARK=self.mark)
        with open(self.log, "wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grader", *argv],
                stdin=stdin,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, needle: str, count: int = 1, timeout: float = 60) -> None:
        wait_until(
            lambda: self.output().count(needle) >= count or self.proc.poll() is not None,
            timeout=timeout,
        )
        assert self.output().count(needle) >= count, self.output()

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()

    def left(self) -> list[str]:
        """Processes of this run still alive (by marker and by session folder)."""
        return leftovers(self.mark) + [str(pid) for pid in in_session_of(self.proc.pid)]


# -- the course at a glance ------------------------------------------------------------------


def test_grader_alone_shows_the_course_progress_and_what_is_next(fixture_repo: Path, capsys):
    root = ["--root", str(fixture_repo)]
    exercises = catalog.load_catalog(fixture_repo / "exercises")
    count, points = len(exercises), f"{sum(map(progress.spec_points, exercises)):g}"
    code, out = run(capsys, *root)
    assert code == 0
    assert "todo" in row(out, "01_hostile") and row(out, "01_hostile").endswith("-/3")
    assert f"0/{count} exercises passed, 0/{points} points" in out
    assert "Next: 01_hostile — Hostile code" in out and "grader check hostile" in out
    _, listed = run(capsys, *root, "list")
    assert row(listed, "04_api") == row(out, "04_api"), "grader list shows the same table"

    module(fixture_repo).write_text("def attack():\n    raise NotImplementedError\n")
    _, out = run(capsys, *root)
    assert "started" in row(out, "01_hostile"), "edited, never checked"

    module(fixture_repo).write_text(HALF)
    run(capsys, *root, "check", "01")
    _, out = run(capsys, *root)
    assert "failing" in row(out, "01_hostile") and row(out, "01_hostile").endswith("1/3")
    assert "Next: 01_hostile" in out

    module(fixture_repo).write_text(SOLVED)
    code, checked = run(capsys, *root, "check", "01")
    assert code == 0 and "Next: grader check hanging_spec" in checked
    _, out = run(capsys, *root)
    assert "passed" in row(out, "01_hostile") and row(out, "01_hostile").endswith("3/3")
    assert f"1/{count} exercises passed, 3/{points} points" in out and "█" * (30 // count) in out
    assert "Next: 02_hanging_spec" in out

    _, out = run(capsys, *root, "--lang", "zh")
    assert f"已通过 1/{count} 个练习，得分 3/{points}" in out and "已通过" in row(out, "01_hostile")
    assert "下一个：02_hanging_spec" in out and "grader check hanging_spec" in out


# -- check: every problem, -k, -x, -v --------------------------------------------------------


def test_check_shows_every_failure_before_todos_with_the_students_output(
    fixture_repo: Path, capsys
) -> None:
    module(fixture_repo).write_text(HALF.replace("return 42", "raise NotImplementedError"))
    code, out = run(capsys, "--root", str(fixture_repo), "check", "01")
    lines = out.splitlines()
    attack = lines.index(row(out, "test_attack"))
    after = lines.index(row(out, "test_after"))
    assert code == 1 and attack < after, "a failure comes before a todo"
    assert lines[attack + 1].strip() == "attack() must return 'ok', not 'nope'"
    assert lines[attack + 2].strip() == "your code printed:"
    assert "debug: in attack" in lines[attack + 4]
    assert lines[after + 1].strip().startswith("fine() is not written yet")
    assert "Traceback" not in out and "def test_attack" not in out, "no spec internals"


def test_check_k_runs_only_the_matching_tests_and_records_nothing(fixture_repo: Path, capsys):
    root = ["--root", str(fixture_repo)]
    code, out = run(capsys, *root, "check", "01", "-k", "after", "--target", "solutions")
    assert code == 0 and "test_attack" not in out
    assert out.strip().splitlines()[-1] == "1 passed, 0 failed"
    _, listed = run(capsys, *root, "list", "--target", "solutions")
    assert "started" in row(listed, "01_hostile"), "a partial run is not where you are"


def test_check_k_that_matches_nothing_names_the_tests(fixture_repo: Path, capsys) -> None:
    root = ["--root", str(fixture_repo)]
    code, out = run(capsys, *root, "check", "01", "-k", "nomatch", "--target", "solutions")
    assert code == 2, out
    assert "-k nomatch: no test of 01_hostile matches (its tests: test_attack, test_after)" in out
    code, out = run(capsys, *root, "check", "01", "-k", "nomatch", "--lang", "zh")
    assert code == 2 and "01_hostile 没有匹配的测试" in out, out


def test_check_x_stops_at_the_first_failure(fixture_repo: Path, capsys) -> None:
    code, out = run(capsys, "--root", str(fixture_repo), "check", "01", "-x")
    assert code == 1 and "test_after" not in out, out
    assert out.strip().splitlines()[-1] == "0 passed, 1 failed"


def test_check_v_shows_the_output_of_passing_tests_too(fixture_repo: Path, capsys) -> None:
    module(fixture_repo).write_text(
        SOLVED.replace("return 42", "print('fine here')\n    return 42")
    )
    _, quiet = run(capsys, "--root", str(fixture_repo), "check", "01")
    _, loud = run(capsys, "--root", str(fixture_repo), "check", "01", "-v")
    assert "fine here" not in quiet and "fine here" in loud


# -- global options after the sub-command ----------------------------------------------------


def test_root_lang_and_target_work_after_the_sub_command(fixture_repo: Path, capsys) -> None:
    code, out = run(capsys, "list", "--root", str(fixture_repo), "--lang", "zh")
    assert code == 0 and "待完成" in row(out, "01_hostile")
    code, out = run(capsys, "--target", "solutions", "--root", str(fixture_repo), "check", "01")
    assert code == 0 and out.strip().splitlines()[-1] == "2 passed, 0 failed"


# -- reset and solution ----------------------------------------------------------------------


def test_reset_restores_the_kept_stub_and_clears_hints(fixture_repo: Path, capsys) -> None:
    root = ["--root", str(fixture_repo)]
    stub = module(fixture_repo).read_text()
    run(capsys, *root)  # first sight: the stubs are kept
    module(fixture_repo).write_text(SOLVED)
    run(capsys, *root, "hint", "01")
    code, out = run(capsys, *root, "reset", "01")
    assert code == 2 and "--yes" in out and module(fixture_repo).read_text() == SOLVED
    code, out = run(capsys, *root, "reset", "hostile", "--yes")
    assert code == 0 and "untouched stub again" in out
    assert module(fixture_repo).read_text() == stub
    _, out = run(capsys, *root, "hint", "01")
    assert "Hint 1/2" in out, "hint progress starts over"


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_reset_takes_the_stub_from_git_or_says_it_has_none(fixture_repo: Path, capsys) -> None:
    root = ["--root", str(fixture_repo)]
    stub = module(fixture_repo).read_text()
    module(fixture_repo).write_text(SOLVED)
    code, out = run(capsys, *root, "reset", "01", "--yes")
    assert code == 2 and "neither in git" in out
    git = ["git", "-C", str(fixture_repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    module(fixture_repo).write_text(stub)
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "clone"], check=True)
    module(fixture_repo).write_text(SOLVED)  # edited before the grader first saw it
    _, out = run(capsys, *root)
    assert "started" in row(out, "01_hostile"), "the kept stub comes from git, not the edit"
    code, out = run(capsys, *root, "reset", "01", "--yes", "--lang", "zh")
    assert code == 0 and "已恢复为原始模板" in out and module(fixture_repo).read_text() == stub


def test_solution_opens_only_after_a_recorded_pass(fixture_repo: Path, capsys) -> None:
    root = ["--root", str(fixture_repo)]
    code, out = run(capsys, *root, "solution", "01")
    assert code == 2 and "has not passed yet" in out and "return" not in out
    code, out = run(capsys, *root, "solution", "01", "--lang", "zh")
    assert code == 2 and "还没有通过" in out
    module(fixture_repo).write_text(SOLVED)
    assert run(capsys, *root, "check", "01")[0] == 0
    module(fixture_repo).write_text("# started again\n")
    code, out = run(capsys, *root, "solution", "01")
    solution = (fixture_repo / "solutions" / "01_hostile" / "hostile.py").read_text()
    assert code == 0 and "Reference solution" in out
    assert solution.strip().splitlines()[-1].strip() in out


# -- Ctrl-C ----------------------------------------------------------------------------------


def test_ctrl_c_during_check_is_one_line_exit_130_and_nothing_left(
    fixture_repo: Path, tmp_path: Path
) -> None:
    name = f"k{uuid.uuid4().hex[:10]}"
    module(fixture_repo).write_text(long_running(fixture_repo, name))
    grader = Grader(tmp_path, "check", "01", "--root", str(fixture_repo), "--lang", "zh")
    try:
        wait_until(lambda: len(named(name)) == 3, timeout=60)  # the student's children run
        running = in_session_of(grader.proc.pid, with_zygote=False)
        assert len(running) >= 2, "the session and its test process run"
        grader.proc.send_signal(signal.SIGINT)
    finally:
        code = grader.finish()
    assert code == 130
    assert grader.output().strip() == "已中断", grader.output()
    assert grader.left() == [] and named(name) == [], "every process of the run is gone"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_during_grade_stops_every_session(
    fixture_repo: Path, tmp_path: Path, jobs: str
) -> None:
    """Two sessions at once, or (one job) one running and the next prepared at its gate."""
    name = f"g{uuid.uuid4().hex[:10]}"
    module(fixture_repo).write_text(long_running(fixture_repo, name))
    argv = ["--root", str(fixture_repo), "grade", "--exercise", "01", "--exercise", "02"]
    grader = Grader(tmp_path, *argv, "--jobs", jobs)
    try:
        wait_until(lambda: len(named(name)) == 3, timeout=60)
        grader.proc.send_signal(signal.SIGINT)
    finally:
        code = grader.finish()
    assert code == 130 and grader.output().strip() == "interrupted", grader.output()
    assert grader.left() == [] and named(name) == []


def _session_folders(grader_pid: int) -> list[Path]:
    """The session folders of a grader's sessions that exist now (running or prepared)."""
    found = Path(workspace.base()).glob(f"{session.SESSION_PREFIX}{grader_pid}-*")
    return [p for p in found if "-specs-" not in p.name]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_during_batch_stops_the_running_and_the_prepared_students(
    fixture_repo: Path, tmp_path: Path, jobs: str
) -> None:
    """Each job prepares its next student's first session while the student before runs
    their last: Ctrl-C then ends both, and the batch keeps no record of either."""
    name = f"b{uuid.uuid4().hex[:10]}"
    source = long_running(fixture_repo, name)
    for student in ("s1", "s2", "s3", "s4"):
        folder = tmp_path / "class" / student / "01_hostile"
        folder.mkdir(parents=True)
        (folder / "hostile.py").write_text(source)
    out = tmp_path / "out"
    argv = ["--root", str(fixture_repo), "batch", str(tmp_path / "class"), "--exercise", "01"]
    grader = Grader(tmp_path, *argv, "--jobs", jobs, "--out", str(out))
    try:
        running = 3 * int(jobs)  # each running student's three sleeping children
        wait_until(lambda: len(named(name)) == running, timeout=60)
        # One student's only session is their last: the next is prepared beside it.
        wait_until(lambda: len(_session_folders(grader.proc.pid)) == 2 * int(jobs), timeout=60)
        grader.proc.send_signal(signal.SIGINT)
    finally:
        code = grader.finish()
    assert code == 130 and "interrupted" in grader.output(), grader.output()
    assert grader.left() == [] and named(name) == []
    assert _session_folders(grader.proc.pid) == []
    assert not (out / "students").exists() or not list((out / "students").iterdir())


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_terminated_grader_ends_every_process_of_its_run(
    fixture_repo: Path, tmp_path: Path, signum: int
) -> None:
    """kill (a CI job cancelled, `timeout`, `docker stop`) or a closed terminal ends the run as
    Ctrl-C does: the student's processes run as their own user and would outlive it."""
    name = f"t{uuid.uuid4().hex[:10]}"
    module(fixture_repo).write_text(long_running(fixture_repo, name))
    grader = Grader(tmp_path, "check", "01", "--root", str(fixture_repo))
    try:
        wait_until(lambda: len(named(name)) == 3, timeout=60)
        grader.proc.send_signal(signum)
    finally:
        code = grader.finish()
    assert code == 128 + signum and grader.output().strip() == "interrupted", grader.output()
    rows = [row for pid in named(name) if (row := probe.read(pid)) is not None]
    # Zombies re-parented to this test runner count too: the grader left them unreaped.
    where = ", ".join(f"{row.describe()} below pid {row.ppid}" for row in rows)
    assert grader.left() == [] and rows == [], f"every process of the run is gone: {where}"


# -- watch -----------------------------------------------------------------------------------


def test_watch_regrades_on_save_cancels_a_running_check_and_moves_on(
    fixture_repo: Path, tmp_path: Path
) -> None:
    name = f"w{uuid.uuid4().hex[:10]}"
    long_source = long_running(fixture_repo, name)
    grader = Grader(tmp_path, "--root", str(fixture_repo), "watch")
    try:
        grader.wait_for("watching")
        assert "checking 01_hostile" in grader.output() and "todo" in grader.output()
        module(fixture_repo).write_text(long_source)
        wait_until(lambda: len(named(name)) == 3, timeout=60)
        module(fixture_repo).write_text(SOLVED)  # saved again during a check: it is cancelled
        grader.wait_for("01_hostile passed! Moving on to 02_hanging_spec.")
        assert named(name) == [], "the cancelled check's processes are gone"
        grader.wait_for("checking 02_hanging_spec")
        grader.proc.send_signal(signal.SIGINT)
    finally:
        code = grader.finish()
    assert code == 130
    out = grader.output()
    assert out.count("2 passed, 0 failed") == 1 and "interrupted" in out and "Traceback" not in out
    assert grader.left() == []


def test_watch_keys_from_a_terminal_l_lists_and_q_quits(fixture_repo: Path, tmp_path: Path):
    module(fixture_repo).write_text(SOLVED)
    leader, follower = pty.openpty()
    try:
        grader = Grader(tmp_path, "--root", str(fixture_repo), "watch", "01", stdin=follower)
        grader.wait_for("Keys: h hint, l list, q quit", count=1)  # stops at the last exercise
        os.write(leader, b"l")
        grader.wait_for("05_burn")
        os.write(leader, b"h")
        grader.wait_for("Hint 1/")
        os.write(leader, b"q")
        assert grader.finish() == 0
        assert "stopped watching" in grader.output() and grader.left() == []
    finally:
        os.close(leader)
        os.close(follower)


# -- the README's student loop runs as shown -------------------------------------------------

README = Path(__file__).parent.parent / "README.md"
INTERACTIVE = ("grader watch", "grader reset 12")  # driven above through a pty and --yes


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The student loop") : text.index("| command |")]
    return sorted(set(re.findall(r"`(grader(?: [^`]*)?)`", section)))


def test_the_readme_shows_the_loop_commands() -> None:
    shown = readme_commands()
    for needed in ("grader", "grader list", "grader watch", "grader check 12 -x", "grader hint 12"):
        assert needed in shown, shown


@pytest.mark.parametrize("command", [c for c in readme_commands() if not c.startswith(INTERACTIVE)])
def test_every_student_loop_command_in_the_readme_runs_as_shown(
    command: str, tmp_path: Path, capsys
) -> None:
    repo = tmp_path / "repo"
    for folder in ("exercises", "solutions"):
        shutil.copytree(README.parent / folder, repo / folder)
    argv = shlex.split(command)[1:]
    code, out = run(capsys, *argv, "--root", str(repo))
    assert "Traceback" not in out and "usage:" not in out, out
    if argv[:1] == ["solution"]:
        assert code == 2 and "has not passed yet" in out, "locked until a check passes"
    else:
        assert code in (0, 1), out
    if argv[:1] == ["check"]:
        assert re.search(r"^\d+ passed, \d+ failed$", out.strip().splitlines()[-1]), out


def test_a_check_on_a_terminal_shows_the_running_test_and_its_deadline(
    fixture_repo: Path, tmp_path: Path
) -> None:
    module(fixture_repo).write_text(
        "import time\n\ndef attack():\n    time.sleep(1)\n    return 'ok'\n\n"
        "def fine():\n    return 42\n"
    )
    leader, follower = pty.openpty()
    try:
        mark = f"GRADER_SELFTEST_{uuid.uuid4().hex}"
        env = dict(os.environ, GRADER_SELFTEST_MARK=mark, COLUMNS="200")
        proc = subprocess.Popen(
            [sys.executable, "-m", "grader", "--root", str(fixture_repo), "check", "01"],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
            env=env,
        )
        os.close(follower)
        follower = -1
        seen = b""
        while True:
            ready, _, _ = select.select([leader], [], [], 60)
            assert ready, seen.decode(errors="replace")
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end closed: the grader is done
                break
            if not chunk:
                break
            seen += chunk
        assert proc.wait(60) == 0
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    text = seen.decode(errors="replace")
    assert "running test_attack:" in text and "s of its 5 s deadline" in text, text
    assert "2 passed, 0 failed" in text and leftovers(mark) == []
