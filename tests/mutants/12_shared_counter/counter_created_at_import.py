"""The counter and the lock are made once, when the module is imported: every call counts
on top of the previous ones. A fresh import for every call would hide it.

Must fail: test_processes_respect_the_arguments
"""

COUNTER = multiprocessing.Value("i", 0)
LOCK = multiprocessing.Lock()


def count_with_lock(workers, increments):
    procs = [
        multiprocessing.Process(target=_add, args=(COUNTER, LOCK, increments))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return COUNTER.value
