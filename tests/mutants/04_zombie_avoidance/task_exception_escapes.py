"""The child runs the task and then os._exit(0), with no try/finally: a task that raises
takes the child out of the student's function, into the caller's code.

Must fail: test_poller_survives_a_task_that_raises, test_detached_task_that_raises
"""


def _run_in_child(task):
    task()
    os._exit(0)
