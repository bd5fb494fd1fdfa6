"""`verify --load K`: busy processes that burn CPU, survive the sessions' sweeps, and end
with the run however it ends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from grader import catalog, probe
from grader.load import busy_load, max_load
from grader.polling import wait_until
from grader.session import Target, run_exercise

FIXTURE = Path(__file__).parent / "fixtures" / "repo"


def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def gone(pid: int) -> bool:
    """Not alive; reaped here if it became our zombie (we may be a subreaper)."""
    if probe.alive(pid):
        return False
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    return True


def test_busy_processes_burn_cpu_survive_session_sweeps_and_end_with_the_block() -> None:
    exercise = catalog.find(catalog.load_catalog(FIXTURE / "exercises"), "01")
    with busy_load(2) as pids:
        assert len(set(pids)) == 2
        start = {pid: cpu_ticks(pid) for pid in pids}
        wait_until(
            lambda: all(cpu_ticks(pid) > start[pid] + 5 for pid in pids),
            10,
            "each busy process uses the CPU",
        )
        result = run_exercise(exercise, Target(FIXTURE / "solutions", FIXTURE))
        assert result.status == "passed"
        assert all(probe.alive(pid) for pid in pids), "the sweep after a session spares them"
    for pid in pids:
        assert probe.read(pid) is None, "killed and reaped when the block ends"


def test_an_exception_in_the_block_still_ends_them() -> None:
    with pytest.raises(KeyboardInterrupt), busy_load(1) as pids:
        raise KeyboardInterrupt
    assert probe.read(pids[0]) is None


def test_they_end_by_themselves_when_the_grader_is_killed() -> None:
    code = (
        "import time\n"
        "from grader.load import busy_load\n"
        "with busy_load(1) as pids:\n"
        "    print(pids[0], flush=True)\n"
        "    time.sleep(60)  # the parent's work: it is SIGKILLed long before\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        busy = int(parent.stdout.readline())
        assert probe.alive(busy)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    wait_until(lambda: gone(busy), 5, "a busy process whose grader died ends by itself")


def test_the_load_is_bounded() -> None:
    with pytest.raises(ValueError, match="between 0 and"), busy_load(max_load() + 1):
        pass
    with busy_load(0) as pids:
        assert pids == []


def test_each_ends_by_itself_after_its_time_limit() -> None:
    with busy_load(1, limit_s=0.2) as pids:
        wait_until(lambda: not probe.alive(pids[0]), 5, "the busy process stops at its limit")
