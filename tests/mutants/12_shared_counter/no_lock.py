"""No lock at all (a raw shared int): updates from different processes are lost.

Must fail: test_processes_count_exactly
"""


def count_with_lock(workers, increments):
    counter = multiprocessing.RawValue("i", 0)
    procs = [
        multiprocessing.Process(target=_add_unlocked, args=(counter, increments))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return counter.value


def _add_unlocked(counter, increments):
    for _ in range(increments):
        counter.value += 1
