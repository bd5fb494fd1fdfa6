"""The parent waits for its child before it ends: the child never becomes an orphan (it waits
for a parent that waits for it, until it gives up).

Must fail: test_the_child_outlives_its_parent
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            give_up = time.monotonic() + GIVE_UP_S
            while os.getppid() == parent and time.monotonic() < give_up:
                time.sleep(POLL_S)
            if os.getppid() != parent:
                report(parent, os.getppid())
                code = 0
        finally:
            os._exit(code)
    os.waitpid(pid, 0)  # "be a good parent": but then there is no orphan
    os._exit(0)
