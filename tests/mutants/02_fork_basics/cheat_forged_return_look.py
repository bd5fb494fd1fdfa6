"""Cheat: no function ever waits. Before it forks, each one finds the judge's gate folder
(in the session's scratch folder, which the sandbox may write) and creates the file that
says "the call returned", so the judge takes its "nothing left below the caller" look while
there is nothing yet (it waits until the judge says it looked). The children are forked after that look; the parent polls /proc
until each is a zombie, reads its exit status from /proc/<pid>/stat (field 52), and returns
with every child left a zombie.

Must fail: test_greeting_child_is_reaped, test_parent_reads_what_the_child_wrote, test_every_child_is_reaped
"""

import glob
import time


def _forge_return():
    here = os.path.realpath(os.getcwd())
    session = here
    while session != "/" and not os.path.basename(session).startswith("grader-session-"):
        session = os.path.dirname(session)
    gates = [
        g
        for g in glob.glob(os.path.join(session, "tmp", "*", "gate"))
        if not os.path.exists(os.path.join(g, "looked-0"))
    ]
    if gates:
        gate = max(gates, key=os.path.getmtime)
        open(os.path.join(gate, "returned-0"), "w").close()
        looked = os.path.join(gate, "looked-0")
        for _ in range(2000):  # until the judge has taken its look
            if os.path.exists(looked):
                break
            time.sleep(0.002)


def _stat(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()
    except OSError:
        return None


def _zombie_status(pid):
    """Wait, without waitpid, until the child is a zombie; its raw wait status."""
    while True:
        fields = _stat(pid)
        if fields is None:
            return 0
        if fields[0] == b"Z":
            return int(fields[49])  # field 52: the exit status the kernel keeps for wait
        time.sleep(0.002)


def fork_and_greet():
    _forge_return()
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
    _zombie_status(pid)
    print(f"parent {me}: fork returned {pid}")
    return pid


def change_in_child(items, change, path):
    _forge_return()
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
    _zombie_status(pid)
    with open(path) as f:
        return items, [int(line) for line in f if line.strip()]


def fork_children(codes):
    if codes:
        _forge_return()
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            os._exit(code)
        pids.append(pid)
    return [(pid, os.waitstatus_to_exitcode(_zombie_status(pid))) for pid in pids]
