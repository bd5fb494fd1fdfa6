"""acquire(); task(item); release() without try/finally: the task that raises never gives
its permit back, and the section holds one fewer from then on.

Must fail: test_a_failing_task_gives_back_its_permit
"""


def _worker(seats, task, item):
    seats.acquire()
    task(item)
    seats.release()
