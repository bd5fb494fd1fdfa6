"""Correct, written another way than the reference: Part 1 forks and reaps one child at a
time; Part 2 polls each pending pid with waitpid(pid, WNOHANG) and works after a pass that
found nobody; Part 3's grandchild starts its own session and sends its own pid, and the
caller reads the pipe to its end (the grandchild closes the pipe before the task runs).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable


def reap_all(codes: list[int]) -> list[int]:
    results = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            try:
                if code < 0:
                    os.kill(os.getpid(), -code)
            finally:
                os._exit(code if code >= 0 else 1)
        _, status = os.waitpid(pid, 0)  # this child is reaped before the next is forked
        if os.WIFSIGNALED(status):
            results.append(-os.WTERMSIG(status))
        else:
            results.append(os.WEXITSTATUS(status))
    return results


def _child(task: Callable[[], object]) -> None:
    code = 0
    try:
        task()
    except BaseException:
        code = 1
        sys.excepthook(*sys.exc_info())
    finally:
        os._exit(code)


def reap_while_working(tasks: list[Callable[[], object]], work: Callable[[], object]) -> list[int]:
    pending: dict[int, int] = {}
    for index, task in enumerate(tasks):
        pid = os.fork()
        if pid == 0:
            _child(task)
        pending[pid] = index
    reaped: list[int] = []
    while pending:
        found = False
        for pid in list(pending):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                reaped.append(pending.pop(pid))
                found = True
        if not found:
            work()
    return reaped


def spawn_detached(task: Callable[[], object]) -> int:
    r, w = os.pipe()
    middle = os.fork()
    if middle == 0:
        try:
            os.close(r)
            if os.fork() == 0:
                os.setsid()  # a daemon of its own: no controlling terminal, its own session
                os.write(w, str(os.getpid()).encode())
                os.close(w)
                _child(task)
        finally:
            os._exit(0)
    os.close(w)
    os.waitpid(middle, 0)
    chunks = []
    while chunk := os.read(r, 64):  # EOF: the middle child and the grandchild closed w
        chunks.append(chunk)
    os.close(r)
    return int(b"".join(chunks))
