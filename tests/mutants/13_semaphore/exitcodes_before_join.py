"""The exit codes read before join(): None for every process still running, and the
processes are never joined.

Must fail: test_exit_codes_come_from_the_workers
"""


def run_limited(task, items, limit):
    seats = BoundedSemaphore(limit)
    workers = [Process(target=_worker, args=(seats, task, item)) for item in items]
    for worker in workers:
        worker.start()
    return [worker.exitcode for worker in workers]
