"""No semaphore at all: every process walks straight into the critical section.

Must fail: test_never_more_than_limit_inside
"""


def _worker(seats, task, item):
    task(item)
