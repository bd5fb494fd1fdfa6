"""The parent returns the child's pid from make_orphan instead of ending its process.

Must fail: test_the_child_outlives_its_parent
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            while os.getppid() == parent:
                time.sleep(POLL_S)
            report(parent, os.getppid())
            code = 0
        finally:
            os._exit(code)
    return pid
