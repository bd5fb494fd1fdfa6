"""Correct, written another way than the reference: Part 1 opens a pidfd for each child
(os.pidfd_open) and waits with os.waitid(P_PIDFD, fd, WEXITED), decoding the siginfo
(si_code, si_status) itself; Part 2 polls with os.wait3(WNOHANG); Part 3 reaps the middle
child with os.waitid(P_PID, middle, WEXITED).
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable


def _end_child(code: int) -> None:
    try:
        if code < 0:
            os.kill(os.getpid(), -code)
    finally:
        os._exit(code if code >= 0 else 1)


def _decoded(info: os.waitid_result) -> int:
    if info.si_code == os.CLD_EXITED:
        return info.si_status
    return -info.si_status  # CLD_KILLED or CLD_DUMPED: si_status is the signal


def reap_all(codes: list[int]) -> list[int]:
    fds: list[int] = []
    try:
        for code in codes:
            pid = os.fork()
            if pid == 0:
                _end_child(code)
            fds.append(os.pidfd_open(pid))
        results = []
        for fd in fds:
            info = os.waitid(os.P_PIDFD, fd, os.WEXITED)  # blocks, then reaps that child
            assert info is not None
            results.append(_decoded(info))
        return results
    finally:
        for fd in fds:
            os.close(fd)


def _run(task: Callable[[], object]) -> None:
    code = 1
    try:
        task()
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def reap_while_working(tasks: list[Callable[[], object]], work: Callable[[], object]) -> list[int]:
    index_of: dict[int, int] = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run(task)
        index_of[pid] = index
    reaped: list[int] = []
    while len(reaped) < len(tasks):
        pid, _, _ = os.wait3(os.WNOHANG)
        if pid == 0:
            work()
        else:
            reaped.append(index_of[pid])
    return reaped


def spawn_detached(task: Callable[[], object]) -> int:
    r, w = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            os.close(r)
            grandchild = os.fork()
            if grandchild == 0:
                os.close(w)
                _run(task)
            os.write(w, str(grandchild).encode())
        finally:
            os._exit(0)
    os.close(w)
    os.waitid(os.P_PID, middle, os.WEXITED)
    with os.fdopen(r, "rb") as pipe:
        return int(pipe.read())
