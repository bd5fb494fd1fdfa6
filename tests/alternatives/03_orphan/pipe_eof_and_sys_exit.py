"""Correct, written another way than the reference: the child does not poll from the start
but blocks on a pipe whose only write end the parent holds; the read returns EOF once the
parent has ended (its descriptors are closed as it exits). The kernel closes a dying
process's files slightly before it re-parents its children, so the child then polls
os.getppid() until it has really changed. The parent ends with sys.exit(0), as a script's
main program does.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable


def make_orphan(report: Callable[[int, int], object]) -> None:
    me = os.getpid()
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        status = 1
        try:
            os.close(w)  # only the parent holds the write end now
            while os.read(r, 1):  # b"" (EOF): every write end is closed, the parent is gone
                pass
            os.close(r)
            deadline = time.monotonic() + 5.0
            while os.getppid() == me and time.monotonic() < deadline:
                time.sleep(0.0005)
            if os.getppid() != me:
                report(me, os.getppid())
                status = 0
        finally:
            os._exit(status)
    os.close(r)
    sys.exit(0)  # the write end closes as the parent's process ends
