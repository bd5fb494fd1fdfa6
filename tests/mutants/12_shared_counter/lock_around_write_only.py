"""The lock covers the write but not the read: two workers still read the same value.

Must fail: test_processes_count_exactly
"""


def _add(counter, lock, increments):
    for _ in range(increments):
        new = counter.value + 1
        with lock:
            counter.value = new
