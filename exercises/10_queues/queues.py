"""Exercise 10 — Queue: producers and consumers around a bounded multiprocessing.Queue.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check queues

Write your process targets as functions at module level (not lambdas or nested functions):
with the "spawn" start method (the default on macOS and Windows) a Process pickles its target
and arguments, and only module-level functions can be pickled by name.
"""

from __future__ import annotations

import queue  # noqa: F401 - queue.Empty and queue.Full live here
from collections.abc import Callable, Iterable
from multiprocessing import Process, Queue  # noqa: F401 - you will need them


def run_pipeline(
    source: Callable[[int], Iterable[object]],
    sink: Callable[[object], object],
    producers: int,
    consumers: int,
    maxsize: int,
) -> None:
    """Move every item from the producers to the consumers through ONE ``Queue(maxsize)``.

    * Start ``producers`` producer processes: producer ``k`` (0, 1, ...) iterates
      ``source(k)`` and puts every item into the queue. ``put`` waits while the queue is
      full: never drop an item, never spin.
    * Start ``consumers`` consumer processes: each gets items from the queue and calls
      ``sink(item)`` for each, until it gets a sentinel. Items are never ``None``, but may
      be falsy (``0``, ``""``).
    * Stop the consumers with sentinels (one per consumer, after every real item), never
      with ``empty()``, ``qsize()`` or a ``get`` timeout: the producers may be slow.
    * Join every process before returning.
    """
    # TODO: one Queue(maxsize); start the producers and the consumers; join the producers;
    # one sentinel per consumer; join the consumers.
    raise NotImplementedError


def collect(source: Callable[[], Iterable[object]], count: int, timeout: float) -> list[object]:
    """Get up to ``count`` items from a producer process, waiting at most ``timeout`` s for each.

    * Start one producer process that puts every item of ``source()`` into a Queue, then a
      sentinel when ``source()`` is exhausted.
    * In the caller, get items with ``q.get(timeout=timeout)`` until you have ``count`` of
      them, the sentinel arrives, or ``get`` raises ``queue.Empty`` (the producer stalled).
    * Then ``terminate()`` and ``join()`` the producer (it may be stuck for ever) and return
      the items received, in order.
    """
    # TODO: the producer process, a loop of get(timeout=...) with try/except queue.Empty,
    # and terminate() + join() in a finally block.
    raise NotImplementedError
