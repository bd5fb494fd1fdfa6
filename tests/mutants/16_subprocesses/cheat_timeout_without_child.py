"""Cheat: run_captured "times out" by sleeping and raising TimeoutExpired, with no child.

Must fail: test_the_timeout_kills_and_reaps_the_child
"""

import time

_run_captured = run_captured


def run_captured(args, timeout):
    if args[-1] == "hang":
        time.sleep(timeout)
        raise subprocess.TimeoutExpired(args, timeout)
    return _run_captured(args, timeout)
