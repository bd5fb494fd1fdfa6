"""No processes: the counting happens in the caller. Exact, but not the exercise.

Must fail: test_processes_count_exactly, test_processes_really_share_the_counter,
test_processes_are_real_and_joined
"""


def count_with_lock(workers, increments):
    counter = multiprocessing.Value("i", 0)
    _add(counter, multiprocessing.Lock(), workers * increments)
    return counter.value
