"""Each worker creates its own Lock: nothing is shared, nothing is excluded.

Must fail: test_processes_count_exactly
"""


def _add(counter, lock, increments):
    own_lock = multiprocessing.Lock()
    for _ in range(increments):
        with own_lock:
            counter.value += 1
