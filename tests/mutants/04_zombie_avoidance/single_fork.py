"""A single fork called a double fork: the task runs in the caller's own child.

Must fail: test_detached_grandchild_is_not_your_child, test_detached_leaves_no_child_behind
"""


def spawn_detached(task):
    pid = os.fork()
    if pid == 0:
        _run_in_child(task)
    return pid
