"""Reads the total before the workers have finished.

Must fail: test_processes_count_exactly, test_processes_are_real_and_joined
"""


def count_with_lock(workers, increments):
    counter = multiprocessing.Value("i", 0)
    lock = multiprocessing.Lock()
    procs = [
        multiprocessing.Process(target=_add, args=(counter, lock, increments))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    return counter.value
