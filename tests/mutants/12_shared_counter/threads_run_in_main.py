"""No threads at all: the main thread calls bump() itself. Exact, but not the exercise.

Must fail: test_threads_count_exactly, test_threads_are_real
"""


def count_with_threads(workers, increments):
    global total
    total = 0
    for _ in range(workers * increments):
        bump()
    return total
