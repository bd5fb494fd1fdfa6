"""Correct, written another way than the reference: Part 1 forks in reverse order and
collects with os.wait() and a pid -> index dict; Part 2 polls with os.waitid(P_ALL, WNOHANG);
Part 3 lets the kernel reap the middle child (SIGCHLD set to SIG_IGN around the fork, put
back before returning, and reset to SIG_DFL in the grandchild).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable


def _end_child(code: int) -> None:
    try:
        if code < 0:
            os.kill(os.getpid(), -code)
    finally:
        os._exit(max(code, 0))


def reap_all(codes: list[int]) -> list[int]:
    index_of: dict[int, int] = {}
    for index in reversed(range(len(codes))):  # any fork order will do: results go by index
        pid = os.fork()
        if pid == 0:
            _end_child(codes[index])
        index_of[pid] = index
    results = [0] * len(codes)
    for _ in codes:
        pid, status = os.wait()  # whichever child ends first
        results[index_of[pid]] = os.waitstatus_to_exitcode(status)
    return results


def _run(task: Callable[[], object]) -> None:
    failed = True
    try:
        task()
        failed = False
    except BaseException as exc:
        print(f"task failed: {exc!r}")
    finally:
        os._exit(1 if failed else 0)


def reap_while_working(tasks: list[Callable[[], object]], work: Callable[[], object]) -> list[int]:
    index_of: dict[int, int] = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _run(task)
        index_of[pid] = index
    order: list[int] = []
    while index_of:
        info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG)
        if info is None:  # children exist, none has ended yet
            work()
        else:
            order.append(index_of.pop(info.si_pid))
    return order


def spawn_detached(task: Callable[[], object]) -> int:
    r, w = os.pipe()
    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the middle child
    try:
        middle = os.fork()
        if middle == 0:
            try:
                os.close(r)
                grandchild = os.fork()
                if grandchild == 0:
                    os.close(w)
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the task's own children
                    _run(task)
                os.write(w, f"{grandchild}\n".encode())
            finally:
                os._exit(0)
        os.close(w)
        try:
            os.waitpid(middle, 0)  # returns once it has ended: with SIG_IGN, as ECHILD
        except ChildProcessError:
            pass
    finally:
        signal.signal(signal.SIGCHLD, old)
    with os.fdopen(r) as pipe:
        return int(pipe.readline())
