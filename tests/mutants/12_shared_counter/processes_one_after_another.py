"""Each worker is started and joined before the next one starts: the total is exact, but
the workers never share the counter at the same time, so the lock is never tested.

Must fail: test_processes_really_share_the_counter, test_processes_are_real_and_joined
"""


def count_with_lock(workers, increments):
    counter = multiprocessing.Value("i", 0)
    lock = multiprocessing.Lock()
    for _ in range(workers):
        p = multiprocessing.Process(target=_add, args=(counter, lock, increments))
        p.start()
        p.join()
    return counter.value
