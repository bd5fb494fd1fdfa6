"""Exercise 02 written another way: print(..., flush=True) everywhere, the file read
line by line, and Part 3 polling with os.waitpid(-1, os.WNOHANG) (with a short nap between
polls) instead of blocking in wait: the caller never sleeps in wait().
"""

import os
import sys
import time


def fork_and_greet():
    print(f"parent {os.getpid()}: forking", flush=True)
    pid = os.fork()
    if not pid:
        try:
            print(
                f"child {os.getpid()}: fork returned {pid}, my parent is {os.getppid()}", flush=True
            )
        finally:
            os._exit(0)
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        time.sleep(0.001)
    print(f"parent {os.getpid()}: fork returned {pid}")
    sys.stdout.flush()
    return pid


def change_in_child(items, change, path):
    pid = os.fork()
    if not pid:
        try:
            change(items)
            with open(path, "w") as f:
                for n in items:
                    print(n, file=f)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    numbers = []
    with open(path) as f:
        for line in f:
            numbers.append(int(line))
    return items, numbers


def fork_children(codes):
    pids = [0] * len(codes)
    for i, code in enumerate(codes):
        pids[i] = os.fork()
        if pids[i] == 0:
            os._exit(code)
    codes_by_pid = {}
    while len(codes_by_pid) < len(pids):
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            time.sleep(0.001)
            continue
        codes_by_pid[pid] = os.waitstatus_to_exitcode(status)
    return [(pid, codes_by_pid[pid]) for pid in pids]
