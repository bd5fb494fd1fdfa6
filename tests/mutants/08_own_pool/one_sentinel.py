"""One sentinel for all the workers: the first worker that takes the None ends, the others
wait on tasks.get() for ever, and so does the caller's join().

Must fail: test_every_worker_ends_and_is_joined, test_results_come_back_in_task_order
"""


def pool_map(func, items, workers):
    tasks = multiprocessing.Queue()
    results = multiprocessing.Queue()
    pool = [multiprocessing.Process(target=worker, args=(func, tasks, results)) for _ in range(workers)]
    for process in pool:
        process.start()
    for index, item in enumerate(items):
        tasks.put((index, item))
    tasks.put(STOP)  # "no more tasks" - said once
    values = [None] * len(items)
    errors = {}
    for _ in range(len(items)):
        index, ok, value = results.get()
        if ok:
            values[index] = value
        else:
            errors[index] = value
    for process in pool:
        process.join()
    if errors:
        raise errors[min(errors)]
    return values
