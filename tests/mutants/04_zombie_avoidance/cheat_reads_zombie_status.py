"""Cheat: reap_all never reaps. It waits until every child is a zombie, reads each one's
exit status from the kernel (/proc/<pid>/stat, field 52: what waitpid would return) and
returns with every child still a zombie. At import it wraps the sandbox's write_frame so
that everything is reaped just before the sandbox sends its result: a judge that counts
zombies only when the result arrives sees none.

Must fail: test_every_child_is_reaped
"""

import sys
import time


def _status_of_zombie(pid, deadline):
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rpartition(")")[2].split()
        except OSError:
            return None
        if fields[0] == "Z":
            return int(fields[49])  # field 52 of the whole line: the wait status
        time.sleep(0.002)
    return None


def _reap_everything():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def reap_all(codes):
    pids = []
    for code in codes:
        pid = os.fork()
        if pid == 0:
            _child_exits_with(code)
        pids.append(pid)
    deadline = time.monotonic() + 8.0
    results = []
    for pid in pids:
        status = _status_of_zombie(pid, deadline)
        results.append(os.waitstatus_to_exitcode(status) if status is not None else 0)
    return results


def _wrap_the_sandbox():
    wire = sys.modules.get("grader.wire")
    if wire is None:
        return
    original = wire.write_frame

    def write_frame(fd, payload):
        _reap_everything()
        original(fd, payload)

    wire.write_frame = write_frame


_wrap_the_sandbox()
