"""serve_until_stopped's SIGTERM handler calls sys.exit() instead of setting a flag: the
SystemExit comes out of the middle of step(), and serve_until_stopped never returns its
count.

Must fail: test_sigterm_ends_the_loop_and_the_handlers_are_put_back
"""

import sys


def serve_until_stopped(step, report):
    flags = {"report": False}

    def on_usr1(signum, frame):
        flags["report"] = True

    def on_term(signum, frame):
        sys.exit(0)

    old_usr1 = signal.signal(signal.SIGUSR1, on_usr1)
    old_term = signal.signal(signal.SIGTERM, on_term)
    steps = 0
    try:
        while True:
            step()
            steps += 1
            if flags["report"]:
                flags["report"] = False
                report()
    finally:
        signal.signal(signal.SIGUSR1, old_usr1)
        signal.signal(signal.SIGTERM, old_term)
    return steps
