"""Plain lists instead of shared arrays: each child fills its own copy of them, and the parent
still sees its zeros.

Must fail: test_readings_keep_every_digit
"""


def collect_readings(read, n):
    counts = [0] * n
    values = [0.0] * n
    workers = [Process(target=_read_into, args=(read, i, counts, values)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(counts[i], values[i]) for i in range(n)]
