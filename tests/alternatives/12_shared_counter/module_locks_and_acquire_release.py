"""Correct, written another way than the reference: the locks of Parts 1 and 2 are made once
at module level and taken with acquire()/release(); Part 1's counter is a Value without a
lock of its own and its workers are a Process subclass, started apart (between two starts
the caller computes and writes a log to disk); Part 2 imports Thread by name; Part 3 uses a
fork context, account a's own lock as the one lock, a shared flag instead of an Event, and a
Pipe for the auditor's findings.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from threading import Thread
from typing import Any

# -- Part 1 -------------------------------------------------------------------------------------

COUNT_LOCK = multiprocessing.Lock()  # made before any worker starts: every fork shares it


class Adder(multiprocessing.Process):
    def __init__(self, counter: Any, increments: int) -> None:
        super().__init__()
        self.counter = counter
        self.increments = increments

    def run(self) -> None:
        for _ in range(self.increments):
            COUNT_LOCK.acquire()
            try:
                self.counter.value += 1
            finally:
                COUNT_LOCK.release()


def count_with_lock(workers: int, increments: int) -> int:
    counter = multiprocessing.Value("i", 0, lock=False)  # COUNT_LOCK guards it
    adders = [Adder(counter, increments) for _ in range(workers)]
    for adder in adders:
        adder.start()
        _busy_for(BETWEEN_STARTS_S)
    for adder in adders:
        adder.join()
    return int(counter.value)


# A caller on a busy machine can be kept from the CPU between two starts for longer than this
# fast worker's whole job; this one works for that long. Its first worker is then done (and
# reaped by the next start()) before the last starts: the spec must still see them all
# started before any join (it holds each child from birth until the caller waits).
BETWEEN_STARTS_S = 0.05


def _busy_for(seconds: float) -> None:
    """Compute, and keep a progress log on disk (fsync), for ``seconds``: while the disk
    writes, the caller sleeps uninterruptibly (state D), which is not waiting for a worker."""
    end = time.monotonic() + seconds
    with tempfile.TemporaryFile() as log:
        while time.monotonic() < end:
            sum(range(2000))
            log.write(b"still starting workers\n")
            log.flush()
            os.fsync(log.fileno())


# -- Part 2 -------------------------------------------------------------------------------------

total = 0
BUMP_LOCK = threading.Lock()


def bump() -> None:
    global total
    value = total
    time.sleep(0)
    total = value + 1


def _bump_many(increments: int) -> None:
    for _ in range(increments):
        BUMP_LOCK.acquire()
        try:
            bump()
        finally:
            BUMP_LOCK.release()


def count_with_threads(workers: int, increments: int) -> int:
    global total
    total = 0
    threads = [Thread(target=_bump_many, args=(increments,)) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total


# -- Part 3 -------------------------------------------------------------------------------------


def _transfer(src: Synchronized[int], dst: Synchronized[int], lock: Any, transfers: int) -> None:
    for _ in range(transfers):
        with lock:
            src.value -= 1
            dst.value += 1


def _audit(
    a: Synchronized[int], b: Synchronized[int], lock: Any, stop: Any, out: Connection
) -> None:
    totals: set[int] = set()
    audits = 0
    while True:
        last = bool(stop.value)
        with lock:
            totals.add(a.value + b.value)
        audits += 1
        if last:
            break
    out.send([sorted(totals), audits])
    out.close()


def audited_transfers(workers: int, transfers: int) -> dict[str, object]:
    ctx = multiprocessing.get_context("fork")
    a: Synchronized[int] = ctx.Value("i", 1000)
    b: Synchronized[int] = ctx.Value("i", 1000)
    lock = a.get_lock()  # one lock for both accounts; it is an RLock, so a.value may retake it
    stop = ctx.Value("b", 0)
    mine, theirs = ctx.Pipe()
    auditor = ctx.Process(target=_audit, args=(a, b, lock, stop, theirs))
    movers = [
        ctx.Process(target=_transfer, args=((a, b) if i % 2 == 0 else (b, a)) + (lock, transfers))
        for i in range(workers)
    ]
    auditor.start()
    for p in movers:
        p.start()
    for p in movers:
        p.join()
    stop.value = 1
    totals, audits = mine.recv()
    auditor.join()
    return {"a": a.value, "b": b.value, "totals": totals, "audits": audits}
