"""The pace of grader.polling: backing off by default, fixed where a gate must open at once;
and a thread joined to the end of its kernel task."""

from __future__ import annotations

import os
import threading

import pytest

from grader import polling


def _paces(monkeypatch: pytest.MonkeyPatch, calls: int, **pace: float) -> list[float]:
    """The sleeps a poll takes before a condition that holds on its ``calls``-th look."""
    slept: list[float] = []
    monkeypatch.setattr(polling.time, "sleep", slept.append)
    looks = iter(range(1, calls + 1))
    assert polling.holds_within(lambda: next(looks) == calls, 3600.0, **pace)
    return slept


def test_a_poll_backs_off_to_50_ms(monkeypatch: pytest.MonkeyPatch) -> None:
    slept = _paces(monkeypatch, 9)
    assert slept == pytest.approx([0.002, 0.004, 0.008, 0.016, 0.032, 0.05, 0.05, 0.05])


def test_a_poll_with_a_fixed_pace_never_slows_down(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _paces(monkeypatch, 6, max_interval=0.002) == pytest.approx([0.002] * 5)


def test_the_pace_never_goes_below_the_first_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(polling.time, "sleep", slept.append)
    looks = iter(range(4))
    polling.wait_until(lambda: next(looks) == 3, 3600.0, interval=0.01, max_interval=0.001)
    assert slept == pytest.approx([0.01] * 3)


class _EndedInPython:
    """A thread whose Python code has ended (join returns, is_alive is False) while its kernel
    task, here another thread's, goes on: what join() leaves on CPython < 3.13."""

    def __init__(self, task: threading.Thread) -> None:
        self.native_id = task.native_id

    def join(self, timeout: float | None = None) -> None:
        pass

    def is_alive(self) -> bool:
        return False


def _task_that_waits_for(release: threading.Event) -> threading.Thread:
    task = threading.Thread(target=release.wait, daemon=True)
    task.start()
    return task


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="no /proc: join() is all")
def test_a_thread_is_joined_to_the_end_of_its_kernel_task() -> None:
    release = threading.Event()
    task = _task_that_waits_for(release)
    ended = _EndedInPython(task)
    releaser = threading.Timer(0.05, release.set)
    releaser.start()
    polling.join_to_the_end(ended)  # type: ignore[arg-type]
    gone = not os.path.exists(f"/proc/self/task/{task.native_id}")
    releaser.join()
    assert release.is_set() and gone, "it returned while the task still ran"


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="no /proc: join() is all")
def test_a_task_that_never_ends_is_waited_for_a_bounded_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(polling, "TASK_EXIT_S", 0.05)
    release = threading.Event()
    task = _task_that_waits_for(release)
    try:
        polling.join_to_the_end(_EndedInPython(task))  # type: ignore[arg-type]
        assert os.path.exists(f"/proc/self/task/{task.native_id}"), "the task ended anyway"
    finally:
        release.set()
        polling.join_to_the_end(task)
