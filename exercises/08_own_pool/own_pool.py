"""Exercise 08 — a process pool of your own, built from Process and Queue.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check own_pool

Use ``multiprocessing.Process`` and ``multiprocessing.Queue`` (``SimpleQueue`` is fine too):
``multiprocessing.Pool`` and ``concurrent.futures.ProcessPoolExecutor`` are what you are
building, so the grader refuses them here. ``func`` is always a function defined at module
level (it travels to the workers through the task queue, by name).
"""

from __future__ import annotations

import multiprocessing  # noqa: F401 - you will need it
import os
import time
from collections.abc import Callable, Sequence
from typing import Any


def worker(func: Callable[[Any], Any], tasks: Any, results: Any) -> None:
    """The body of one worker process (a suggestion: only ``pool_map`` is graded).

    Loop: take the next task from ``tasks``; on the sentinel, return (the process ends);
    otherwise call ``func`` on the task's item and put the outcome on ``results``, with the
    task's index so that the caller knows which item it belongs to. If ``func`` raises, put
    the exception itself on ``results`` (a Queue carries it) and go on with the next task.
    """
    # TODO: while True: get a task; sentinel -> return; else try func(item) and put the
    # (index, ok?, value or exception) on results.
    raise NotImplementedError


def pool_map(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    """Return ``[func(x) for x in items]``, computed by ``workers`` processes of your own.

    * Start exactly ``workers`` processes once; each one takes task after task from one task
      queue (never a process per item).
    * Put one task per item, then one sentinel PER WORKER.
    * Read exactly ``len(items)`` results: they arrive in the order the tasks finish; put each
      at its item's index.
    * Read the results BEFORE joining the workers, then join every one of them.
    * If ``func`` raised for an item, raise that same exception (same type, same message) -
      after every result has been read and every worker joined.
    """
    # TODO: two Queues, `workers` Processes running worker(), tasks, sentinels, read the
    # results, join, then return the list (or raise the task's exception).
    raise NotImplementedError


# -- for trying pool_map by hand (the grader uses its own tasks) -----------------------------


def slow_square(x: int) -> tuple[int, int]:
    """A task for experiments: ``(x * x, pid of the process that ran it)``, after 0.2 s."""
    time.sleep(0.2)  # simulated work
    return x * x, os.getpid()


if __name__ == "__main__":  # needed where processes are spawned (macOS, Windows)
    print("caller", os.getpid())
    print(pool_map(slow_square, range(8), 3))
