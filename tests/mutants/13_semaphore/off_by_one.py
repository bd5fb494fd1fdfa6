"""Semaphore(limit + 1): "limit workers besides the one that is running" — one too many.

Must fail: test_never_more_than_limit_inside
"""


def run_limited(task, items, limit):
    seats = BoundedSemaphore(limit + 1)
    workers = [Process(target=_worker, args=(seats, task, item)) for item in items]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [worker.exitcode for worker in workers]
