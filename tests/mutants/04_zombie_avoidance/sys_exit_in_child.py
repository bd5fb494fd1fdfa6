"""reap_all's children end with sys.exit(code) instead of os._exit(code): the exit code is
the same, but SystemExit climbs out of reap_all in the child, into the caller's code.

Must fail: test_every_child_is_reaped
"""


def _child_exits_with(code):
    import sys

    if code < 0:
        os.kill(os.getpid(), -code)
    sys.exit(code)  # raises SystemExit: unwinds through the caller's frames in the child
