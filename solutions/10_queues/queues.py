"""Exercise 10 — Queue: reference solution.

Read README.md for the task. The ideas live in the comments.
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable
from multiprocessing import Process, Queue

# The sentinel: a value that is never a real item. It travels through the queue, so it is
# pickled and unpickled: a fresh object() would arrive as another object and `is` would never
# match; None compares the same on both sides.
STOP = None


# -- Part 1: several producers, several consumers, one bounded queue --------------------------


def _produce(q: Queue, source: Callable[[int], Iterable[object]], index: int) -> None:
    """A producer process: every item of source(index) into the queue."""
    for item in source(index):
        q.put(item)  # blocks (asleep, no CPU) while the queue is full; never drops an item


def _consume(q: Queue, sink: Callable[[object], object]) -> None:
    """A consumer process: sink(item) for every item, until its sentinel."""
    while True:
        item = q.get()  # blocks while the queue is empty: producers may only be slow
        if item is STOP:  # the only way out: never empty(), qsize() or a get timeout
            return
        sink(item)  # a falsy item (0, "") is a real item too


def run_pipeline(
    source: Callable[[int], Iterable[object]],
    sink: Callable[[object], object],
    producers: int,
    consumers: int,
    maxsize: int,
) -> None:
    """``producers`` producer and ``consumers`` consumer processes around one Queue(maxsize)."""
    q: Queue = Queue(maxsize)  # created before the processes, handed to them in args
    makers = [Process(target=_produce, args=(q, source, k)) for k in range(producers)]
    takers = [Process(target=_consume, args=(q, sink)) for _ in range(consumers)]
    for p in makers + takers:
        p.start()
    # The consumers keep reading meanwhile, so every producer can flush its last items.
    for p in makers:
        p.join()
    # Every real item is in the queue now (or consumed): the sentinels go in after them,
    # one per consumer, since each consumer stops at the first one it gets.
    for _ in takers:
        q.put(STOP)
    for p in takers:
        p.join()


# -- Part 2: waiting with a timeout -------------------------------------------------------------


def _feed(q: Queue, source: Callable[[], Iterable[object]]) -> None:
    """The producer of collect(): the items of source(), then the sentinel."""
    for item in source():
        q.put(item)
    q.put(STOP)


def collect(source: Callable[[], Iterable[object]], count: int, timeout: float) -> list[object]:
    """Up to ``count`` items from a producer process; give up after ``timeout`` s of silence."""
    q: Queue = Queue()
    producer = Process(target=_feed, args=(q, source))
    producer.start()
    items: list[object] = []
    try:
        while len(items) < count:
            try:
                # Wait for the NEXT item at most `timeout` seconds: a stalled producer cannot
                # keep us forever, and a quick one is not waited for at all.
                item = q.get(timeout=timeout)
            except queue.Empty:  # queue.Empty, from the queue module, not multiprocessing
                break
            if item is STOP:  # the source is exhausted: no need to wait for a timeout
                break
            items.append(item)
    finally:
        # The producer may be stuck for ever (or have more to give): end it and reap it.
        producer.terminate()
        producer.join()
    return items
