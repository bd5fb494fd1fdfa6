"""The worker calls func without try/except: the task's exception ends the worker, its result
is never put, and the caller waits for it for ever.

Must fail: test_a_task_error_reaches_the_caller
"""


def worker(func, tasks, results):
    while True:
        task = tasks.get()
        if task is STOP:
            return
        index, item = task
        results.put((index, True, func(item)))
