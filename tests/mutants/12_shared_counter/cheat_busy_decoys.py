"""Cheat: `workers` processes run at the same time and burn CPU like real workers, but never
touch a counter; the total is arithmetic. Only the run with the locks switched off, where
real workers lose updates, tells it apart.

Must fail: test_processes_really_share_the_counter
"""


def _burn(increments):
    x = 0
    for i in range(increments * 20):
        x += i


def count_with_lock(workers, increments):
    procs = [multiprocessing.Process(target=_burn, args=(increments,)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return workers * increments
