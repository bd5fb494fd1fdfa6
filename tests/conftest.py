"""Shared helpers for the grader's own tests: run the CLI on the fixture repository."""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.cli import main

FIXTURE_REPO = Path(__file__).parent / "fixtures" / "repo"


def fork_child(body: Callable[[], object]) -> int:
    """Run ``body()`` in a forked child that always ends with ``os._exit``: its return value
    as the exit code if it is an int (0 if None, 1 if it raised). A child that let an
    exception out would go on running the rest of the test session as a second pytest.
    The caller reaps it."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            got = body()
            code = got if isinstance(got, int) else 0
        finally:
            os._exit(code)
    return pid


def make_exercise(root: Path, name: str, spec: str, timeout: int = 5) -> Any:
    """A one-module exercise ``root/exercises/<name>`` whose spec is ``spec``: its Exercise."""
    from grader import catalog

    folder = root / "exercises" / name
    folder.mkdir(parents=True)
    (folder / "exercise.toml").write_text(
        'title = { en = "Made", zh = "做的" }\ntopics = ["self-test"]\n'
        f'seed_section = "none"\ntimeout = {timeout}\n\n[[hints]]\nen = "Wait."\nzh = "等。"\n'
    )
    (folder / f"{name[3:]}.py").write_text("def nothing():\n    return None\n")
    (folder / f"test_{name[3:]}.py").write_text(spec)
    return catalog.load_exercise(folder)


def assert_timeline(result: Any, slack: float = 0.001) -> None:
    """An ExerciseResult's timeline holds together: its tests ran one after another, each
    starting (``start_s``) at or after the end of the one before, and all within its
    session's time (``session_s``), both counted from the moment the session was let run.
    ``slack``: the records round to 0.1 ms."""
    tests = result.tests
    assert tests and result.session_s > 0, result
    assert tests[0].start_s >= 0, result
    for before, after in itertools.pairwise(tests):
        assert after.start_s >= before.start_s + before.duration_s - slack, (before, after)
    last = tests[-1]
    assert last.start_s + last.duration_s <= result.session_s + slack, result


@dataclass
class Run:
    code: int
    seconds: float
    data: dict[str, Any]
    output: str

    def statuses(self) -> dict[str, str]:
        return {t["name"]: t["status"] for t in self.data["exercises"][0]["tests"]}

    def test(self, name: str) -> dict[str, Any]:
        return next(t for t in self.data["exercises"][0]["tests"] if t["name"] == name)


# Root without CAP_SYS_ADMIN, so no mount namespace (nor a network namespace).
NO_CAP_SYS_ADMIN = ("setpriv", "--inh-caps=-sys_admin", "--bounding-set=-sys_admin")
# Root as it is in a default `docker run`: Docker's default capabilities and no others (no
# CAP_SYS_ADMIN, CAP_SYS_PTRACE or CAP_DAC_READ_SEARCH among them); needs root and setpriv.
DOCKER_DEFAULT = ("bash", str(Path(__file__).parent / "as_docker.sh"))


def run_grader(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """The grader run with ``args`` in a process of its own, under ``prefix`` (a command that
    runs another, as NO_CAP_SYS_ADMIN does), its tables' rows one line each."""
    cmd = [*prefix, sys.executable, "-m", "grader", *args]
    env = dict(os.environ, COLUMNS="400")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, check=False)


def grader_without_cap_sys_admin(*args: str) -> subprocess.CompletedProcess[str]:
    """The grader run with ``args`` as root without CAP_SYS_ADMIN (needs ``setpriv``)."""
    return run_grader(*args, prefix=NO_CAP_SYS_ADMIN)


def doctor_row(name: str, prefix: tuple[str, ...] = ()) -> str:
    """The row ``name`` of `grader doctor`'s table, its runs of spaces made one."""
    printed = run_grader("doctor", prefix=prefix).stdout
    return " ".join(next(line for line in printed.splitlines() if name in line).split())


def check_apart(
    fixture_repo: Path, tmp_path: Path, source: str, prefix: tuple[str, ...] = ()
) -> tuple[dict[str, Any], str]:
    """``grader check 01_hostile`` of a student module made of ``source``, in a process of
    its own under ``prefix`` (see run_grader): nothing of the caller's is below the grader,
    so its sweeps cannot reach the caller's children. The exercise's result, and what the
    grader printed."""
    target = tmp_path / "target" / "01_hostile"
    target.mkdir(parents=True)
    (target / "hostile.py").write_text(source)
    out = tmp_path / "results.json"
    proc = run_grader(
        "--root", str(fixture_repo), "check", "01_hostile",
        "--target", str(tmp_path / "target"), "--json", str(out), prefix=prefix,
    )  # fmt: skip
    return json.loads(out.read_text())["exercises"][0], proc.stdout


def check_without_cap_sys_admin(
    fixture_repo: Path, tmp_path: Path, source: str
) -> tuple[dict[str, Any], str]:
    """:func:`check_apart` as root is in a default `docker run`: without CAP_SYS_ADMIN, so
    no mount namespace (needs root and ``setpriv``)."""
    return check_apart(fixture_repo, tmp_path, source, NO_CAP_SYS_ADMIN)


def leftovers(mark: str) -> list[str]:
    """Processes anywhere on the machine that carry our marker in their environment."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            if mark.encode() in _environment(entry):
                with open(f"/proc/{entry}/stat") as s:
                    found.append(s.read()[:80])
        except OSError:
            continue
    return found


def _environment(pid: str) -> bytes:
    """The environment of process ``pid``. /proc/<pid>/environ is its first thread's view,
    empty once that thread has exited; another thread that runs on still shows it."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        environ = f.read()
    if environ:
        return environ
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{tid}/environ", "rb") as f:
            environ += f.read()
    return environ


@pytest.fixture
def dumpable() -> Iterator[None]:
    """This test process dumpable for the test, as a sandbox makes itself: an earlier test may
    have run the grader's make_undumpable() here, which makes the /proc files of this process
    and of every child forked from it root's (a user who is not root then reads no syscall or
    wchan of them). The flag is put back after the test."""
    if not sys.platform.startswith("linux"):
        yield
        return
    prctl = ctypes.CDLL(None).prctl
    before = prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE
    prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE
    try:
        yield
    finally:
        prctl(4, before, 0, 0, 0)


@pytest.fixture(autouse=True)
def english_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The grader speaks the locale's language: tests see English unless they ask for Chinese."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def bystander() -> Iterator[subprocess.Popen[bytes]]:
    """A process of this uid that no grader started (nor anything it confined): a sandbox's
    signal must not reach it. Killed at the test's end."""
    with subprocess.Popen(["sleep", "300"]) as proc:
        try:
            yield proc
        finally:
            proc.kill()


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Path:
    """A private copy of the fixture repository (tests may add targets or mutants)."""
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURE_REPO, repo)
    return repo


@pytest.fixture
def grade(
    fixture_repo: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    """grade(exercise, source) -> Run: check `exercise` with a student module made of `source`.

    Every process started on the way carries a unique marker in its environment; the run
    fails the test if any such process is still alive afterwards.
    """

    def run(exercise: str, source: str | None = None, target: str = "custom") -> Run:
        mark = f"GRADER_SELFTEST_{uuid.uuid4().hex}"
        monkeypatch.setenv("GRADER_SELFTEST_MARK", mark)
        if source is not None:
            folder = tmp_path / "target" / exercise
            folder.mkdir(parents=True, exist_ok=True)
            slug = exercise.split("_", 1)[1]
            (folder / f"{slug}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            target = str(tmp_path / "target")
        out = tmp_path / "results.json"
        started = time.monotonic()
        code = main(
            ["--root", str(fixture_repo), "check", exercise, "--target", target, "--json", str(out)]
        )
        seconds = time.monotonic() - started
        output = capsys.readouterr().out
        left = leftovers(mark)
        assert not left, f"processes left behind: {left}"
        return Run(code, seconds, json.loads(out.read_text()), output)

    return run
