"""The child waits until os.getppid() == 1, as if init always adopted orphans. Here a
subreaper (the judge) adopts it, so the child waits until it gives up, and never reports.

Must fail: test_the_child_outlives_its_parent
"""


def make_orphan(report):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            parent = os.getppid()
            give_up = time.monotonic() + GIVE_UP_S
            while os.getppid() != 1 and time.monotonic() < give_up:
                time.sleep(POLL_S)
            if os.getppid() == 1:
                report(parent, 1)
                code = 0
        finally:
            os._exit(code)
    os._exit(0)
