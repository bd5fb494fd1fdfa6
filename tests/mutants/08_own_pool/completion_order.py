"""Results are kept in the order they arrive on the result queue - the order the tasks
finish - instead of being put back at their item's index.

Must fail: test_results_come_back_in_task_order
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
    values = []
    error = None
    for _ in range(len(items)):
        index, ok, value = results.get()
        if ok:
            values.append(value)
        elif error is None:
            error = value
    for process in pool:
        process.join()
    if error is not None:
        raise error
    return values
