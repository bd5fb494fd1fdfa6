"""Wait for a condition, never for a fixed time.

Spec tests use :func:`wait_until` instead of ``time.sleep``: it returns as soon as the
condition holds and fails with the author's message when the deadline passes.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from grader.messages import Msg

T = TypeVar("T")

BACKOFF_LIMIT_S = 0.05  # the slowest pace of a poll that backs off
TASK_EXIT_S = 1.0  # how long a joined thread's kernel task may take to end


class WaitTimeout(AssertionError):
    """The condition did not hold before the deadline (an assertion: the test fails).

    ``teaching`` is the message in both languages when the spec gave a :class:`Msg`.
    """

    def __init__(self, message: Msg) -> None:
        super().__init__(message.en)
        self.teaching = message


def holds_within(
    condition: Callable[[], object], timeout: float, max_interval: float = BACKOFF_LIMIT_S
) -> bool:
    """True as soon as ``condition()`` holds, False if it did not within ``timeout``.

    ``max_interval`` as in :func:`wait_until` (a gate that must open at once polls at a fixed
    pace: ``max_interval=0.002``).
    """
    try:
        wait_until(condition, timeout, max_interval=max_interval)
    except WaitTimeout:
        return False
    return True


def wait_until(
    condition: Callable[[], T],
    timeout: float = 5.0,
    message: str | Msg = "condition did not hold",
    interval: float = 0.002,
    max_interval: float = BACKOFF_LIMIT_S,
) -> T:
    """Poll ``condition`` until it returns a truthy value, and return that value.

    The polling interval starts at ``interval`` and doubles up to ``max_interval`` (50 ms), so
    a condition that is already true costs one call and a slow one costs few. Where each
    millisecond of latency counts (a gate another process waits on), pass
    ``max_interval=interval``: a fixed pace.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        now = time.monotonic()
        if now >= deadline:
            msg = message if isinstance(message, Msg) else Msg(message)
            waited = f" (waited {timeout:g} s)"
            raise WaitTimeout(msg + Msg(waited, f"（等了 {timeout:g} 秒）"))
        time.sleep(min(interval, deadline - now))
        interval = min(interval * 2, max(max_interval, interval))


def join_to_the_end(thread: threading.Thread, timeout: float | None = None) -> None:
    """Join ``thread`` (waiting at most ``timeout``, None: as long as it runs), then return
    once its kernel task has ended too (at most TASK_EXIT_S more). On CPython < 3.13 join()
    returns while the task is still exiting, and a fork just then is made of a process with
    two threads, which CPython 3.12 warns of (about 1 fork in 8 right after a join here).
    Without /proc, join() is all there is."""
    thread.join(timeout)
    if thread.is_alive() or thread.native_id is None:
        return
    task = f"/proc/self/task/{thread.native_id}"
    with contextlib.suppress(WaitTimeout):  # stuck exiting: go on (a fork then is warned of)
        wait_until(
            lambda: not os.path.exists(task), TASK_EXIT_S, interval=0.0001, max_interval=0.001
        )
