"""The orphan reports, then returns from make_orphan instead of ending with os._exit: it
climbs back into the caller's code.

Must fail: test_the_orphan_ends_cleanly
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        report(parent, os.getppid())
        return  # the child falls back into the caller's code
    os._exit(0)
