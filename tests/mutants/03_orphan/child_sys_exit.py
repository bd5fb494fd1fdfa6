"""The orphan ends with sys.exit(0): that raises SystemExit, which climbs back through the
caller's code instead of ending the process there.

Must fail: test_the_orphan_ends_cleanly
"""

import sys


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        while os.getppid() == parent:
            time.sleep(POLL_S)
        report(parent, os.getppid())
        sys.exit(0)
    os._exit(0)
