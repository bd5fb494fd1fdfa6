"""Correct, written another way than the reference: the children are a Process subclass; each
writes its result into the shared memory itself, under the Array's own lock, and then puts
only its index on a Queue to say "done". The parent waits for every "done" before it joins
(a child whose result already sits in shared memory needs nothing of its parent to end).
The stores are small callable objects instead of target functions with many arguments.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing import Array, Process
from multiprocessing.shared_memory import SharedMemory


class _Worker(Process):
    def __init__(self, call, index, store, done):
        super().__init__()
        self.call, self.index, self.store, self.done = call, index, store, done

    def run(self):
        self.store(self.index, self.call(self.index))
        self.done.put(self.index)


def _run_all(call, n, store):
    done = multiprocessing.Queue()
    workers = [_Worker(call, i, store, done) for i in range(n)]
    for worker in workers:
        worker.start()
    finished = {done.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join()
    assert finished == set(range(n))


class _Slots:
    """A picklable store: reading i goes into counts[i] and values[i]."""

    def __init__(self, counts, values):
        self.counts, self.values = counts, values

    def __call__(self, index, reading):
        with self.counts.get_lock():
            self.counts[index] = reading[0]
        with self.values.get_lock():
            self.values[index] = reading[1]


def collect_readings(read, n):
    counts, values = Array("q", n), Array("d", n)
    _run_all(read, n, _Slots(counts, values))
    return list(zip(counts[:], values[:], strict=True))


class _Into:
    """A store that copies piece i to its offset in a buffer (an Array, or a SharedMemory's
    buf)."""

    def __init__(self, sizes, buffer=None, segment=None):
        self.starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self.buffer, self.segment = buffer, segment

    def __call__(self, index, piece):
        start = self.starts[index]
        buffer = self.segment.buf if self.segment is not None else self.buffer
        buffer[start : start + len(piece)] = piece


def gather_bytes(fetch, sizes):
    buffer = Array("c", sum(sizes))
    _run_all(fetch, len(sizes), _Into(sizes, buffer=buffer))
    return bytes(buffer.get_obj().raw)


def share_blocks(fetch, sizes, reader):
    segment = SharedMemory(create=True, size=sum(sizes))
    try:
        _run_all(fetch, len(sizes), _Into(sizes, segment=segment))
        return reader(segment.name)
    finally:
        segment.close()
        segment.unlink()
