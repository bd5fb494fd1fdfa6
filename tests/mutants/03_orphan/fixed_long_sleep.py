"""The child sleeps a fixed 2.3 s instead of waiting for its parent pid to change: longer than
the judge's usual hold of the parent, but in the test of waiting the judge holds the parent
longer still, for a time drawn at random, and the child reports while its parent runs.

Must fail: test_the_orphan_waits_for_the_change
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            time.sleep(2.3)  # "the parent has surely ended by now"
            report(parent, os.getppid())
            code = 0
        finally:
            os._exit(code)
    os._exit(0)
