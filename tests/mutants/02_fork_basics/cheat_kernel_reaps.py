"""Cheat: no function ever waits. SIGCHLD is ignored in the caller, so the kernel removes
each child as it ends (no zombie is ever left); the parent polls with os.kill(pid, 0) until
the child is gone, and fork_children returns the codes it was asked for.

Must fail: test_greeting_child_is_reaped, test_parent_reads_what_the_child_wrote, test_every_child_is_reaped
"""

import signal
import time


def _gone(pid):
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.001)


def fork_and_greet():
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    me = os.getpid()
    print(f"parent {me}: forking")
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            print(f"child {os.getpid()}: fork returned 0, my parent is {os.getppid()}")
            sys.stdout.flush()
        finally:
            os._exit(0)
    _gone(pid)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    print(f"parent {me}: fork returned {pid}")
    return pid


def change_in_child(items, change, path):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            change(items)
            with open(path, "w") as f:
                f.write("".join(f"{n}\n" for n in items))
            code = 0
        finally:
            os._exit(code)
    _gone(pid)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    with open(path) as f:
        return items, [int(line) for line in f if line.strip()]


def fork_children(codes):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        pids.append(pid)
    for pid in pids:
        _gone(pid)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    return list(zip(pids, codes))
