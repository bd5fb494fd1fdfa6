"""The worker sends the error back as a string and the caller raises a RuntimeError of its
own: the caller cannot tell a ValueError from any other failure any more.

Must fail: test_a_task_error_reaches_the_caller
"""


def worker(func, tasks, results):
    while True:
        task = tasks.get()
        if task is STOP:
            return
        index, item = task
        try:
            results.put((index, True, func(item)))
        except Exception as exc:
            results.put((index, False, RuntimeError(f"task {index} failed: {exc}")))
