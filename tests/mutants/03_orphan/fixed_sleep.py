"""The child sleeps a fixed time, as the course's example does, instead of waiting for its
parent pid to change: it reports while its parent, kept alive a little longer, still runs.

Must fail: test_the_orphan_waits_for_the_change
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            time.sleep(0.05)  # "the parent has surely ended by now"
            report(parent, os.getppid())
            code = 0
        finally:
            os._exit(code)
    os._exit(0)
