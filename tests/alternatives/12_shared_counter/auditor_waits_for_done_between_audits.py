"""Exercise 12 — alternative: between audits the auditor waits up to 10 ms for the end
(done.wait(0.01), a futex wait on the Event's own semaphore, not on the lock); it takes the
transfers' lock for every read of a + b.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event, Lock

# -- Part 1: processes ------------------------------------------------------------------------


def _add(counter: Synchronized[int], lock: Lock, increments: int) -> None:
    for _ in range(increments):
        with lock:  # the whole read-add-write happens while we hold the lock
            counter.value += 1


def count_with_lock(workers: int, increments: int) -> int:
    counter: Synchronized[int] = multiprocessing.Value("i", 0)
    lock = multiprocessing.Lock()  # created once, before the fork, so every worker shares it
    procs = [
        multiprocessing.Process(target=_add, args=(counter, lock, increments))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()  # read the total only after every worker is done
    return counter.value


# -- Part 2: threads --------------------------------------------------------------------------

total = 0


def bump() -> None:
    global total
    value = total
    time.sleep(0)  # a switch point: another thread may run here
    total = value + 1


def count_with_threads(workers: int, increments: int) -> int:
    global total
    total = 0
    lock = threading.Lock()

    def work() -> None:
        for _ in range(increments):
            with lock:
                bump()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total


# -- Part 3: a transfer that nobody sees half-done ---------------------------------------------


def _transfer(src: Synchronized[int], dst: Synchronized[int], lock: Lock, transfers: int) -> None:
    for _ in range(transfers):
        with lock:  # both halves of the transfer, or neither, are visible to the auditor
            src.value -= 1
            dst.value += 1


def _audit(
    a: Synchronized[int],
    b: Synchronized[int],
    lock: Lock,
    done: Event,
    findings: multiprocessing.Queue[tuple[list[int], int]],
) -> None:
    totals: set[int] = set()
    audits = 0
    while True:
        # Wait up to 10 ms for the end between audits: the lock is free meanwhile, and the
        # audit after the flag was seen set is the one that follows the last transfer.
        finished = done.wait(0.01)
        with lock:
            totals.add(a.value + b.value)
        audits += 1
        if finished:
            break
    findings.put((sorted(totals), audits))


def audited_transfers(workers: int, transfers: int) -> dict[str, object]:
    a: Synchronized[int] = multiprocessing.Value("i", 1000)
    b: Synchronized[int] = multiprocessing.Value("i", 1000)
    lock = multiprocessing.Lock()
    done = multiprocessing.Event()
    findings: multiprocessing.Queue[tuple[list[int], int]] = multiprocessing.Queue()
    auditor = multiprocessing.Process(target=_audit, args=(a, b, lock, done, findings))
    auditor.start()
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
    totals, audits = findings.get()  # take the findings before joining: a full queue blocks join
    auditor.join()
    return {"a": a.value, "b": b.value, "totals": totals, "audits": audits}
