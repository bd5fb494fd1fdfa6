"""The caller raises the task's exception as soon as it arrives: the other results are never
read and the workers are never joined.

Must fail: test_a_task_error_reaches_the_caller
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
    values = [None] * len(items)
    for _ in range(len(items)):
        index, ok, value = results.get()
        if not ok:
            raise value  # at once: nobody reads the rest, nobody joins
        values[index] = value
    for process in pool:
        process.join()
    return values
