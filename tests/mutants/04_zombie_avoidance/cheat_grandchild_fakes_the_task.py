"""Cheat: the grandchild never calls task(). It does what the judge sees of a task that ran:
it forks a child that exits at once, leaves it a zombie, and keeps running (sleeps). The
double fork itself is right: the middle child is reaped, the grandchild's pid is returned,
and the grandchild is a running orphan with an unreaped child when spawn_detached returns.

Must fail: test_detached_grandchild_does_its_task, test_detached_task_that_raises
"""

import os
import time


def spawn_detached(task):
    read_end, write_end = os.pipe()
    middle = os.fork()
    if middle == 0:
        os.close(read_end)
        grandchild = os.fork()
        if grandchild == 0:
            os.close(write_end)
            try:
                if os.fork() == 0:  # a stand-in for the task's own child: left a zombie
                    os._exit(0)
                time.sleep(10)  # task() is never called
            finally:
                os._exit(0)
        os.write(write_end, str(grandchild).encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(middle, 0)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()
    return int(answer)
