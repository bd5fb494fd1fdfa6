"""Trusts Value's built-in lock: `get_lock()` is taken for the read and for the write
separately (the classic misconception), so `+= 1` is still three steps.

Must fail: test_processes_count_exactly
"""


def _add(counter, lock, increments):
    for _ in range(increments):
        counter.value += 1  # Value("i") wraps each access in its own lock; the sum is not atomic
