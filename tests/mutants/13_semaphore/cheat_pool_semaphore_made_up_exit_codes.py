"""Cheat: one pool worker per item, all started first, sharing one semaphore (so the limit is
real), but the exit codes are made up from the results: the worker whose task raised catches
the exception, reports it, and ends with 0.

Must fail: test_exit_codes_come_from_the_workers
"""

import multiprocessing

_seats = None


def _init(seats):
    global _seats
    _seats = seats


def _limited(task, item):
    with _seats:
        task(item)


def run_limited(task, items, limit):
    seats = multiprocessing.BoundedSemaphore(limit)
    pool = multiprocessing.Pool(len(items), _init, (seats,), maxtasksperchild=1)
    results = [pool.apply_async(_limited, (task, item)) for item in items]
    codes = []
    for result in results:
        try:
            result.get()
            codes.append(0)
        except Exception:
            codes.append(1)
    pool.close()
    pool.join()
    return codes
