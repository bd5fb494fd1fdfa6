"""The orphan reports, then keeps running like a forgotten daemon instead of ending.

Must fail: test_the_orphan_ends_cleanly
"""


def make_orphan(report):
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            while os.getppid() == parent:
                time.sleep(POLL_S)
            report(parent, os.getppid())
            while True:  # "keep it around, just in case"
                time.sleep(0.05)
        finally:
            os._exit(0)
    os._exit(0)
