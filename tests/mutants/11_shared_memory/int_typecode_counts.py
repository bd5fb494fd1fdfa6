"""The counts live in an Array('i'): a 4-byte C int, which silently keeps only the low 32 bits
of a count beyond 2**31.

Must fail: test_readings_keep_every_digit
"""


def collect_readings(read, n):
    counts = Array("i", n)
    values = Array("d", n)
    workers = [Process(target=_read_into, args=(read, i, counts, values)) for i in range(n)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return [(counts[i], values[i]) for i in range(n)]
