"""The child does not wait at all: it reports and ends while its parent still runs, so it
ends before its parent and is never an orphan.

Must fail: test_the_child_outlives_its_parent, test_the_orphan_waits_for_the_change
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            report(parent, os.getppid())
        finally:
            os._exit(0)
    os._exit(0)
