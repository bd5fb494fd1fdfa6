"""Exercise 16 written at a lower level: no run(), no communicate().

Part 1 reads stdout and stderr in two threads of its own while the main thread waits for the
child with a deadline (so neither pipe can fill up), and on timeout sends SIGKILL with os.kill
and reaps with wait(); bytes are decoded at the end. Part 2 reads grep's count from its
stdout pipe directly and decides on wait()'s code. Part 3 gives the second stage the raw
descriptor (p1.stdout.fileno()), reads its output with read(), and waits for the first stage
before the second.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading


def _drain(stream, into: list[bytes]) -> None:
    into.append(stream.read())
    stream.close()


def run_captured(args: list[str], timeout: float) -> tuple[int, str, str]:
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=_drain, args=(proc.stdout, out)),
        threading.Thread(target=_drain, args=(proc.stderr, err)),
    ]
    for reader in readers:
        reader.start()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()  # reap it: no zombie
        for reader in readers:
            reader.join()
        raise
    for reader in readers:
        reader.join()
    return proc.returncode, out[0].decode(), err[0].decode()


def count_matches(pattern: str, path: str) -> int:
    argv = ["grep", "-c", "-F", "--", pattern, path]
    grep = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    text = grep.stdout.read()
    grep.stdout.close()
    code = grep.wait()
    if code == 0:
        return int(text)
    if code == 1:
        return 0
    raise subprocess.CalledProcessError(code, argv, text)


def pipeline(first: list[str], second: list[str]) -> tuple[str, int, int]:
    p1 = subprocess.Popen(first, stdout=subprocess.PIPE)
    p2 = subprocess.Popen(second, stdin=p1.stdout.fileno(), stdout=subprocess.PIPE)
    p1.stdout.close()  # our only copy of the read end: p2 holds its own
    out = p2.stdout.read()
    p2.stdout.close()
    p1.wait()
    p2.wait()
    return out.decode(), p1.returncode, p2.returncode
