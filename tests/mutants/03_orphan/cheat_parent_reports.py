"""Cheat: the parent calls report() itself with the pids the judge expects (its own, and its
parent's, which will adopt the child), and the child ends at once.

Must fail: test_the_child_outlives_its_parent
"""


def make_orphan(report):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    report(os.getpid(), os.getppid())
    os._exit(0)
