"""Exercise 03 — orphans: reference solution.

A child does not die with its parent. When the parent ends first, the child goes on running
and the kernel gives it a new parent at once: pid 1 (init), or the nearest ancestor that
made itself a "child subreaper". The child sees this as a new value of ``os.getppid()``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

POLL_S = 0.001  # how often the orphan looks at its parent pid while it waits
GIVE_UP_S = 10.0  # a parent that never leaves: the child stops waiting and ends with 1


def make_orphan(report: Callable[[int, int], object]) -> None:
    # The parent's pid, taken BEFORE the fork: the child has a copy of this variable. A child
    # that asked os.getppid() after the fork could already see its new parent, if the parent
    # was quick to leave, and then wait for a change that has already happened.
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            # Wait for the change itself, not for a fixed time: the parent's pid is gone from
            # os.getppid() only once the parent has really ended and the child is adopted.
            # Never test for 1: a subreaper (systemd --user, a container, the grader) adopts
            # orphans before init does.
            give_up = time.monotonic() + GIVE_UP_S
            while os.getppid() == parent and time.monotonic() < give_up:
                time.sleep(POLL_S)
            new_parent = os.getppid()
            if new_parent != parent:
                report(parent, new_parent)  # the orphan still runs: it works and reports
                code = 0
        finally:
            # End the orphan here, in every case: its new parent collects the status, so no
            # zombie stays behind; returning would run the caller's code a second time.
            os._exit(code)
    # The parent leaves first, without waiting for its child: that is what makes an orphan.
    os._exit(0)
