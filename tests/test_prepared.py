"""Prepared sessions: started and collected while another session runs, held at a gate.

``grade`` with one job prepares each next exercise's session while the one before runs
(grader.session.prepare_exercise): its pytest starts, collects, forks its launcher and the
first test's process, then waits for one byte after the key on the key pipe.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import assert_timeline, make_exercise

from grader import catalog, grade, probe, session, users
from grader.polling import holds_within, wait_until
from grader.session import Target

SPEC = """
import os
from pathlib import Path


def test_first():
    Path(os.environ["GATE_MARKER"]).write_text("ran")


def test_second():
    assert True
"""


def _make(root: Path, name: str) -> catalog.Exercise:
    exercise: catalog.Exercise = make_exercise(root, name, SPEC)
    return exercise


@pytest.fixture
def gate_exercise(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[catalog.Exercise, Path]:
    """An exercise whose first test leaves a file (named in the environment) when it runs."""
    marker = tmp_path / "marker"
    monkeypatch.setenv("GATE_MARKER", str(marker))
    return _make(tmp_path, "01_gate"), marker


def _collected(prepared: session.PreparedSession) -> bool:
    """Its signed records name its tests (they are written at the end of collection)."""
    args = (prepared.exercise.name, prepared.results_path, prepared.key, "", "")
    return bool(session.read_results(*args).tests)


def _below(pid: int) -> list[int]:
    return [p.pid for p in probe.descendants(pid)]


def _fd_links(pid: int) -> list[str]:
    """What every open descriptor of ``pid`` refers to, all read from one listing. A process
    still starting closes descriptors while they are read (CI saw one vanish): such a
    listing is read again, so the links returned were all open at once."""
    for _ in range(1000):
        try:
            return [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in probe.open_fds(pid)]
        except FileNotFoundError:
            continue  # one closed between the listing and its link: list them again
    raise AssertionError(f"the descriptors of {pid} never held still")


@pytest.mark.parametrize("warm", [False, True], ids=["executed", "zygote"])
def test_a_prepared_session_runs_no_test_before_it_goes(
    gate_exercise, tmp_path: Path, warm: bool
) -> None:
    exercise, marker = gate_exercise
    target = Target(tmp_path / "exercises", tmp_path)
    with session.warm_sessions() if warm else contextlib.nullcontext():
        prepared = session.prepare_exercise(exercise, target)
        try:
            wait_until(lambda: _collected(prepared), timeout=60)
            # Its launcher and the first test's process are made before the gate, and hold
            # no copy of it (a process below that read the byte would let the session go).
            # They are not dumpable: only root may read their descriptors.
            below = wait_until(lambda: len(b := _below(prepared.proc.pid)) >= 2 and b, 30)
            gate = os.fstat(prepared._gate).st_ino
            for pid in below if os.geteuid() == 0 else []:
                links = _fd_links(pid)
                assert f"pipe:[{gate}]" not in links, (pid, links)
            assert not holds_within(marker.exists, 0.5), "a test ran before the session went"
        except BaseException:
            prepared.abandon()
            raise
        going = time.monotonic()
        result = prepared.result()
        went_for = time.monotonic() - going
    assert [t.status for t in result.tests] == ["passed", "passed"], result
    assert marker.read_text() == "ran"
    # Its times count from the moment it went, not from its start half a second or more
    # before (while it was held at the gate).
    assert_timeline(result)
    assert result.session_s <= went_for + 0.001, (result.session_s, went_for)


def test_an_abandoned_session_leaves_nothing(gate_exercise, tmp_path: Path) -> None:
    exercise, marker = gate_exercise
    prepared = session.prepare_exercise(exercise, Target(tmp_path / "exercises", tmp_path))
    below = wait_until(lambda: len(b := _below(prepared.proc.pid)) >= 2 and b, timeout=60)
    pid, workdir = prepared.proc.pid, prepared.workdir
    prepared.abandon()
    assert [p for p in (pid, *below) if probe.read(p) is not None] == []
    assert pid not in session._ACTIVE and not workdir.exists() and not marker.exists()


def test_a_session_never_let_go_ends_without_testing(gate_exercise, tmp_path: Path) -> None:
    """The supervisor closes the gate without the byte (it is gone): the session ends by
    itself and runs nothing."""
    exercise, marker = gate_exercise
    prepared = session.prepare_exercise(exercise, Target(tmp_path / "exercises", tmp_path))
    os.close(prepared._gate)
    prepared._gate = -1
    result = prepared.result()
    assert [t.status for t in result.tests] == ["error", "error"], result
    assert not marker.exists()


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[session.PreparedSession]:
    """Every session prepared in this test, in order."""
    sessions: list[session.PreparedSession] = []
    real = session.prepare_exercise

    def recorded(*args: Any, **kwargs: Any) -> session.PreparedSession:
        sessions.append(real(*args, **kwargs))
        return sessions[-1]

    monkeypatch.setattr(session, "prepare_exercise", recorded)
    return sessions


def test_grading_in_turn_keeps_the_order_and_ends_every_session(
    gate_exercise, tmp_path: Path, made: list[session.PreparedSession]
) -> None:
    first, _ = gate_exercise
    exercises = [first, _make(tmp_path, "02_again"), _make(tmp_path, "03_more")]
    graded = grade.grade(exercises, Target(tmp_path / "exercises", tmp_path), jobs=1)
    assert [r.name for r in graded.results] == ["01_gate", "02_again", "03_more"]
    assert all(t.status == "passed" for r in graded.results for t in r.tests), graded
    assert len(made) == 3 and not any(probe.read(p.proc.pid) for p in made)


def test_an_interrupted_grading_in_turn_ends_the_session_it_prepared(
    gate_exercise,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    made: list[session.PreparedSession],
) -> None:
    """Ctrl-C while the first session runs: the second, prepared meanwhile, is ended too."""
    first, _ = gate_exercise
    exercises = [first, _make(tmp_path, "02_again")]

    def interrupted(self: session.PreparedSession) -> None:
        self.abandon()  # as result() does on Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(session.PreparedSession, "result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        grade.grade(exercises, Target(tmp_path / "exercises", tmp_path), jobs=1)
    assert len(made) == 2, "the second session was prepared while the first ran"
    assert not any(probe.read(p.proc.pid) for p in made) and not session._ACTIVE
    assert not any(p.workdir.exists() for p in made)


def test_a_session_that_cannot_be_prepared_ends_the_one_running(
    gate_exercise, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Preparing the next session fails (every sandbox uid taken, say): the running one,
    already let go, is ended before the failure propagates."""
    first, _ = gate_exercise
    exercises = [first, _make(tmp_path, "02_again")]
    made: list[session.PreparedSession] = []
    real = session.prepare_exercise

    def once(*args: Any, **kwargs: Any) -> session.PreparedSession:
        if made:
            raise users.UidRangeError("every sandbox uid is in use")
        made.append(real(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(session, "prepare_exercise", once)
    with pytest.raises(users.UidRangeError):
        grade.grade(exercises, Target(tmp_path / "exercises", tmp_path), jobs=1)
    assert len(made) == 1 and probe.read(made[0].proc.pid) is None and not session._ACTIVE
    assert not made[0].workdir.exists()


LEFT_PREPARED = """
import sys
from pathlib import Path
from grader import catalog, session

exercise = catalog.load_exercise(Path(sys.argv[1]))
prepared = session.prepare_exercise(exercise, session.Target(Path(sys.argv[2]), Path(sys.argv[2])))
print(prepared.proc.pid, flush=True)
"""


def test_a_prepared_session_left_unended_is_ended_at_exit(gate_exercise, tmp_path: Path) -> None:
    """A caller that forgets one: the grader still exits (releasing its lease from the
    interpreter's finalization would hang it) and leaves no session behind."""
    exercise, _ = gate_exercise
    script = tmp_path / "leave.py"
    script.write_text(LEFT_PREPARED)
    done = subprocess.run(
        [sys.executable, str(script), str(exercise.folder), str(tmp_path / "exercises")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pid = int(done.stdout.split()[0])
    assert probe.read(pid) is None, "killed and reaped by the process that prepared it"
