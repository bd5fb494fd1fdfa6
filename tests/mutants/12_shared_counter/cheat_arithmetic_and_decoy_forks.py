"""Cheat: the total is arithmetic; `workers` processes are started and joined, but they do
nothing (a decoy for a spec that counts forks from inside the sandbox).

Must fail: test_processes_count_exactly, test_processes_really_share_the_counter
"""


def _nothing():
    pass


def count_with_lock(workers, increments):
    procs = [multiprocessing.Process(target=_nothing) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return workers * increments
