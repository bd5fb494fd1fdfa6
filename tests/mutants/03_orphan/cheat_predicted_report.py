"""Cheat: the child reports at once what it predicts (its parent, and its grandparent from
/proc, which will adopt it), then waits for its parent to leave and ends cleanly.

Must fail: test_the_orphan_waits_for_the_change
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            with open(f"/proc/{parent}/stat") as f:
                grandparent = int(f.read().rpartition(")")[2].split()[1])
            report(parent, grandparent)  # before it is true
            while os.getppid() == parent:
                time.sleep(POLL_S)
            code = 0
        finally:
            os._exit(code)
    os._exit(0)
