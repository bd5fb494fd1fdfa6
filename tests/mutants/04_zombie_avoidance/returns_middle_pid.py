"""The double fork is right, but it returns the middle child's pid, not the grandchild's.

Must fail: test_detached_grandchild_is_not_your_child, test_detached_grandchild_does_its_task
"""


def spawn_detached(task):
    middle = os.fork()
    if middle == 0:
        if os.fork() == 0:
            _run_in_child(task)
        os._exit(0)
    os.waitpid(middle, 0)
    return middle
