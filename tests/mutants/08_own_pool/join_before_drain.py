"""The workers are joined before the results are read. With small results it works; once a
result is bigger than the pipe can hold, the worker cannot end until someone reads it, and
the caller will not read until the worker has ended: a deadlock.

Must fail: test_big_results_do_not_deadlock
"""


def pool_map(func, items, workers):
    tasks = multiprocessing.Queue()
    results = multiprocessing.Queue()
    pool = [multiprocessing.Process(target=worker, args=(func, tasks, results)) for _ in range(workers)]
    for process in pool:
        process.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    for _ in pool:
        tasks.put(STOP)
    for process in pool:  # "wait until the work is done" - too early
        process.join()
    values = [None] * len(items)
    errors = {}
    for _ in range(len(items)):
        index, ok, value = results.get()
        if ok:
            values[index] = value
        else:
            errors[index] = value
    if errors:
        raise errors[min(errors)]
    return values
