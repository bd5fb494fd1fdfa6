"""A semaphore created inside each worker: one counter per process, so it limits nothing.

Must fail: test_never_more_than_limit_inside
"""


def run_limited(task, items, limit):
    workers = [Process(target=_own_seats, args=(task, item, limit)) for item in items]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [worker.exitcode for worker in workers]


def _own_seats(task, item, limit):
    seats = BoundedSemaphore(limit)
    with seats:
        task(item)
