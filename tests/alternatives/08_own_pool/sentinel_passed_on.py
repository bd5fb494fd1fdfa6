"""Exercise 08, written another way: ONE sentinel, passed on. A worker that takes it puts it
back on the task queue before it ends, so the next worker finds it too: every worker still
ends (the README's "one sentinel per worker" is the simpler way to the same behaviour).
Results are collected with a counter of outstanding tasks, and the first failing item's
exception is kept aside until the end.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

_END = None


def _work(func: Any, tasks: Any, results: Any) -> None:
    while (task := tasks.get()) is not _END:
        index, item = task
        try:
            results.put((index, None, func(item)))
        except Exception as exc:
            results.put((index, exc, None))
    tasks.put(_END)  # pass the sentinel on to the next worker


def pool_map(func: Any, items: Any, workers: int) -> list[Any]:
    tasks: Any = multiprocessing.Queue()
    results: Any = multiprocessing.Queue()
    procs = []
    for _ in range(workers):
        proc = multiprocessing.Process(target=_work, args=(func, tasks, results))
        proc.start()
        procs.append(proc)
    outstanding = 0
    for index, item in enumerate(items):
        tasks.put((index, item))
        outstanding += 1
    tasks.put(_END)
    out: list[Any] = [None] * outstanding
    first_error: tuple[int, BaseException] | None = None
    while outstanding:
        index, error, value = results.get()
        outstanding -= 1
        if error is not None:
            if first_error is None or index < first_error[0]:
                first_error = (index, error)
        else:
            out[index] = value
    while procs:
        procs.pop().join()
    if first_error is not None:
        raise first_error[1]
    return out
