"""grader.stops: the judge stops processes, sees every thread of them stopped, lets them go."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator

import pytest
from conftest import fork_child

from grader import polling, probe, stops
from grader.isolation import Deadline, wait_child

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def _thread_states(pid: int) -> list[str]:
    states = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/stat", "rb") as file:
            states.append(file.read().rpartition(b")")[2].split()[0].decode())
    return states


@pytest.fixture
def busy_child() -> Iterator[int]:
    """A child with two threads that both burn CPU until it is killed: never stopped by
    itself, and with a second thread that a look at the process's own state would miss."""

    def spin() -> None:  # pragma: no cover - the child
        while True:
            pass

    def body() -> None:  # pragma: no cover - the child
        threading.Thread(target=spin, daemon=True).start()
        spin()

    pid = fork_child(body)
    polling.wait_until(lambda: len(os.listdir(f"/proc/{pid}/task")) == 2, 10.0, "two threads")
    yield pid
    os.kill(pid, signal.SIGKILL)
    wait_child(pid, Deadline(10.0))


def test_held_stops_every_thread_and_lets_them_go_after(busy_child: int) -> None:
    with stops.held([busy_child], 10.0) as held:
        assert held == [busy_child]
        assert stops.is_stopped(busy_child)
        assert set(_thread_states(busy_child)) == {"T"}
    assert "T" not in _thread_states(busy_child)
    assert not stops.is_stopped(busy_child)


def test_held_lets_them_go_when_the_look_fails(busy_child: int) -> None:
    with pytest.raises(RuntimeError), stops.held([busy_child], 10.0) as held:
        assert held == [busy_child]
        raise RuntimeError("the look failed")
    assert not stops.is_stopped(busy_child)


def test_a_first_process_that_is_gone_gives_no_look(busy_child: int) -> None:
    gone = fork_child(lambda: 0)
    wait_child(gone, Deadline(10.0))
    with stops.held([gone, busy_child], 10.0) as held:
        assert held is None
        assert not stops.is_stopped(busy_child)  # let go at once, not at the block's end


def test_a_process_that_ended_counts_as_stopped() -> None:
    zombie = fork_child(lambda: 0)
    polling.wait_until(lambda: (row := probe.read(zombie)) and row.zombie, 10.0, "a zombie")
    assert stops.is_stopped(zombie)
    assert stops.stop([zombie]) == [zombie]  # a zombie takes a signal, and ignores it
    wait_child(zombie, Deadline(10.0))
    assert stops.is_stopped(zombie)
    assert stops.stop([zombie]) == []
    stops.resume([zombie])  # no error for a process that is gone


def test_waiting_for_a_stop_ends_false_when_nothing_stops_it(busy_child: int) -> None:
    assert not stops.wait_stopped([busy_child], 0.05)


def test_without_proc_the_process_state_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where there is no /proc (macOS), a process is stopped when probe says so: a process
    that runs is not, one that is gone is."""
    monkeypatch.setattr(stops, "_HAS_TASKS", False)
    assert not stops.is_stopped(os.getpid())
    gone = fork_child(lambda: 0)
    wait_child(gone, Deadline(10.0))
    assert stops.is_stopped(gone)
