"""Cheat: no child at all; the caller reports the pids an orphan would report, then ends.

Must fail: test_the_child_outlives_its_parent
"""


def make_orphan(report):
    report(os.getpid(), os.getppid())
    os._exit(0)
