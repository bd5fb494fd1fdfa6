"""Correct, written another way than the reference: the child asks the kernel for a signal
when its parent dies (prctl(PR_SET_PDEATHSIG), through ctypes) and sleeps in
signal.sigtimedwait() until it comes, instead of polling. The signal is blocked before the
fork, so it waits as pending if the parent dies before the child is ready; and the child
checks os.getppid() after the prctl, for a parent that was gone before it asked. The kernel
sends the signal as it re-parents the child, so the ppid has changed by then.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def make_orphan(report: Callable[[int, int], object]) -> None:
    parent = os.getpid()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})  # inherited by the child
    child = os.fork()
    if child == 0:
        code = 1
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGUSR1, 0, 0, 0)
            if os.getppid() == parent:  # still there: sleep until the kernel says it died
                signal.sigtimedwait({signal.SIGUSR1}, 10.0)
            end = time.monotonic() + 1.0
            while os.getppid() == parent and time.monotonic() < end:
                time.sleep(0.001)
            if os.getppid() != parent:
                report(parent, os.getppid())
                code = 0
        finally:
            os._exit(code)
    os._exit(0)
