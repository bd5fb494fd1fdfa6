"""The values live in an Array('f'): a C float keeps about 7 digits of a Python float.

Must fail: test_readings_keep_every_digit
"""


def collect_readings(read, n):
    counts = Array("q", n)
    values = Array("f", n)
    workers = [Process(target=_read_into, args=(read, i, counts, values)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(counts[i], values[i]) for i in range(n)]
