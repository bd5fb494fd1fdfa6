"""join() right after each start(): the children run one after another, never at once.

Must fail: test_each_reading_comes_from_a_child_of_its_own
"""


def collect_readings(read, n):
    counts = Array("q", n, lock=False)
    values = Array("d", n, lock=False)
    for i in range(n):
        worker = Process(target=_read_into, args=(read, i, counts, values))
        worker.start()
        worker.join()
    return [(counts[i], values[i]) for i in range(n)]
