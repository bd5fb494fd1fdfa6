"""The child sleeps a fixed 3.3 s instead of waiting for its parent pid to change: longer than
the judge waits for a report once the parent has ended (REPORT_S), yet shorter than the
shortest long hold of the parent (LONG_HOLD_S). No fixed time passes both tests.

Must fail: test_the_orphan_waits_for_the_change, test_a_parent_that_leaves_at_once
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            time.sleep(3.3)  # "long enough for any parent"
            report(parent, os.getppid())
            code = 0
        finally:
            os._exit(code)
    os._exit(0)
