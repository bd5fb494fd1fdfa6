"""Cheat: fork through libc (ctypes) instead of os.fork, so no fork hook of the judge's runs
and the caller is never held after its fork; the child only sleeps a fixed time, as the
course's example does, and its guess is never put to the test.

Must fail: test_the_child_outlives_its_parent, test_the_orphan_waits_for_the_change
"""

import ctypes


def make_orphan(report):
    parent = os.getpid()
    pid = ctypes.CDLL(None, use_errno=True).fork()  # os.fork without its hooks
    if pid == 0:
        code = 1
        try:
            time.sleep(0.05)  # "the parent has surely ended by now"
            report(parent, os.getppid())
            code = 0
        finally:
            os._exit(code)
    os._exit(0)
