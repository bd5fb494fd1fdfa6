"""Cheat: spawn_detached runs the task in a daemon thread of the caller and returns a
made-up pid (the caller's pid plus one): nothing was forked, nothing detached.

Must fail: test_detached_grandchild_is_not_your_child, test_detached_grandchild_does_its_task, test_detached_leaks_nothing
"""


def spawn_detached(task):
    import threading

    threading.Thread(target=task, daemon=True).start()
    return os.getpid() + 1
