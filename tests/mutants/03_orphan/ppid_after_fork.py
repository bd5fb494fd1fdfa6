"""The child learns its parent's pid with os.getppid() after the fork. When the parent is
quick to leave, that is already the new parent: the child waits for a change that has
happened, and gives up.

Must fail: test_a_parent_that_leaves_at_once
"""


def make_orphan(report):
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            parent = os.getppid()  # too late: the parent may be gone already
            give_up = time.monotonic() + GIVE_UP_S
            while os.getppid() == parent and time.monotonic() < give_up:
                time.sleep(POLL_S)
            if os.getppid() != parent:
                report(parent, os.getppid())
                code = 0
        finally:
            os._exit(code)
    os._exit(0)
