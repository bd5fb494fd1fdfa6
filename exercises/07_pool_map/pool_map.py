"""Exercise 07 — pool map: a parallel map on a process pool, and its apply_async variant.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check pool_map

``func`` is always a function defined at module level (a Pool sends it to its workers by
name), and each item is passed to it as its only argument (a tuple item is not unpacked).
Items may be any values a pool can send, repeated or not; ``func`` may return anything,
``None`` included. Your functions may be called several times in one program: keep no state
at module level.
"""

from __future__ import annotations

import multiprocessing  # noqa: F401 - you will need it
import os
import time
from collections.abc import Callable, Sequence
from typing import Any


def parallel_map(func: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    """Return ``[func(x) for x in items]``, computed by a pool of ``workers`` processes.

    * Create ONE ``multiprocessing.Pool`` with exactly ``workers`` processes.
    * The results are in the order of ``items``, whatever order the tasks finish in.
    * ``items`` may be empty: then return ``[]``.
    * If ``func`` raises for an item, the same exception (same type, same message) is raised
      by ``parallel_map``.
    * When ``parallel_map`` returns or raises, no worker process is left: close and join the
      pool on every path.
    """
    # TODO: a Pool of `workers` processes, its map(), and close() + join() in a finally block.
    raise NotImplementedError


def async_map(
    func: Callable[[Any], Any], items: Sequence[Any], workers: int
) -> list[tuple[Any, ...]]:
    """Like ``parallel_map``, but submit each item with ``pool.apply_async`` and never raise.

    Return one entry per item, in the order of ``items``:

    * ``("ok", value)`` if ``func(item)`` returned ``value``;
    * ``("error", "ValueError", "the message")`` if ``func(item)`` raised: the exception's
      type name (``type(exc).__name__``) and its message (``str(exc)``).

    A failing item does not stop the others. The tasks run side by side (submit them all
    before waiting for any), and no worker is left when ``async_map`` returns.
    """
    # TODO: apply_async for every item, close() + join(), then collect each AsyncResult
    # in input order: result.get() gives the value or re-raises the task's exception.
    raise NotImplementedError


# -- for trying your functions by hand (the grader uses its own tasks) ----------------------


def slow_square(x: int) -> tuple[int, int]:
    """A task for experiments: ``(x * x, pid of the process that ran it)``, after 0.2 s of work."""
    time.sleep(0.2)  # simulated work
    return x * x, os.getpid()


if __name__ == "__main__":
    print("caller", os.getpid())
    print(parallel_map(slow_square, range(8), 3))
    print(async_map(slow_square, range(4), 2))
