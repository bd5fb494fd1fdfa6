"""Correct, written another way than the reference: Part 1 holds the Value's own lock
(``counter.get_lock()``) around the whole ``+= 1``, Part 2 uses a Thread subclass and an
RLock, Part 3 a Pipe instead of a Queue for the auditor's findings.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event, Lock


def _add(counter: Synchronized[int], increments: int) -> None:
    for _ in range(increments):
        with counter.get_lock():  # the same lock every access takes: one step for all
            counter.value += 1


def count_with_lock(workers: int, increments: int) -> int:
    counter: Synchronized[int] = multiprocessing.Value("i", 0)
    procs = [
        multiprocessing.Process(target=_add, args=(counter, increments)) for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return counter.value


total = 0


def bump() -> None:
    global total
    value = total
    time.sleep(0)
    total = value + 1


class Bumper(threading.Thread):
    def __init__(self, lock: threading.RLock, increments: int) -> None:
        super().__init__()
        self.lock = lock
        self.increments = increments

    def run(self) -> None:
        for _ in range(self.increments):
            with self.lock:
                bump()


def count_with_threads(workers: int, increments: int) -> int:
    global total
    total = 0
    lock = threading.RLock()
    threads = [Bumper(lock, increments) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total


def _transfer(src: Synchronized[int], dst: Synchronized[int], lock: Lock, transfers: int) -> None:
    for _ in range(transfers):
        with lock:
            src.value -= 1
            dst.value += 1


def _audit(
    a: Synchronized[int], b: Synchronized[int], lock: Lock, done: Event, out: Connection
) -> None:
    totals: set[int] = set()
    audits = 0
    finished = False
    while not finished:
        finished = done.is_set()
        with lock:
            totals.add(a.value + b.value)
        audits += 1
    out.send((sorted(totals), audits))
    out.close()


def audited_transfers(workers: int, transfers: int) -> dict[str, object]:
    a: Synchronized[int] = multiprocessing.Value("i", 1000)
    b: Synchronized[int] = multiprocessing.Value("i", 1000)
    lock = multiprocessing.Lock()
    done = multiprocessing.Event()
    receiver, sender = multiprocessing.Pipe(duplex=False)
    auditor = multiprocessing.Process(target=_audit, args=(a, b, lock, done, sender))
    auditor.start()
    sender.close()
    procs = [
        multiprocessing.Process(
            target=_transfer, args=((a, b) if i % 2 == 0 else (b, a)) + (lock, transfers)
        )
        for i in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    done.set()
    totals, audits = receiver.recv()  # before join(): a full pipe would block the auditor
    auditor.join()
    return {"a": a.value, "b": b.value, "totals": totals, "audits": audits}
