"""No processes: the counting happens in the caller. Exact, but not the exercise.

Must fail: test_processes_are_real_and_joined
"""


def count_with_lock(workers, increments):
    counter = multiprocessing.Value("i", 0)
    _add(counter, multiprocessing.Lock(), workers * increments)
    return counter.value
