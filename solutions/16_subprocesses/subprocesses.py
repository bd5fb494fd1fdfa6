"""Exercise 16 — subprocess: run programs, capture, time out, exit codes, a pipeline.

Reference solution. The ideas live in the comments.
"""

from __future__ import annotations

import subprocess

# -- Part 1: run a program and capture what it says -------------------------------------------


def run_captured(args: list[str], timeout: float) -> tuple[int, str, str]:
    """Run ``args`` (no shell), capture stdout and stderr as text, at most ``timeout`` seconds.

    Return ``(returncode, stdout, stderr)``; ``returncode`` is ``-N`` for a child killed by
    signal N. Past the timeout the child is killed and reaped, and TimeoutExpired is raised.
    """
    # A list of arguments: the program gets exactly these strings, no shell parses them.
    # capture_output reads stdout and stderr at the same time (communicate() underneath), so a
    # child that writes more than a pipe holds (64 KiB) to either of them never blocks forever.
    # timeout=: run() kills the child (SIGKILL) AND waits for it before it raises
    # TimeoutExpired, so nothing is left running and no zombie stays behind.
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout)
    # returncode is already what we want: the exit code, or -N for signal N.
    return done.returncode, done.stdout, done.stderr


# -- Part 2: arguments are data, not shell text -----------------------------------------------


def count_matches(pattern: str, path: str) -> int:
    """Count the lines of ``path`` that contain ``pattern``: ``grep -c -F -- PATTERN PATH``.

    Spaces, quotes, ``$``, ``;``, ``*`` ... in ``pattern`` or ``path`` reach grep unchanged.
    grep exits 1 when no line matches (the count is then 0); any other non-zero exit raises
    subprocess.CalledProcessError.
    """
    # Each piece is one element of the list: no shell, so no quoting and no splitting.
    done = subprocess.run(["grep", "-c", "-F", "--", pattern, path], capture_output=True, text=True)
    # grep's own convention: 0 = some lines matched, 1 = none matched, 2 = trouble.
    if done.returncode not in (0, 1):
        raise subprocess.CalledProcessError(done.returncode, done.args, done.stdout, done.stderr)
    return int(done.stdout)


# -- Part 3: a pipeline ------------------------------------------------------------------------


def pipeline(first: list[str], second: list[str]) -> tuple[str, int, int]:
    """Run ``first | second`` with two Popen objects; return (second's stdout, both codes).

    ``second`` may stop reading and exit before ``first`` is done: ``first`` then gets SIGPIPE
    and its returncode is ``-13``.
    """
    p1 = subprocess.Popen(first, stdout=subprocess.PIPE)
    try:
        p2 = subprocess.Popen(second, stdin=p1.stdout, stdout=subprocess.PIPE, text=True)
    except BaseException:
        p1.kill()  # the second never started: do not leave the first behind
        p1.wait()
        raise
    # The idea: close OUR copy of the pipe's read end at once. Now p2 is its only reader, and
    # when p2 exits the pipe has no reader left: p1's next write gets SIGPIPE and p1 ends.
    # Kept open here, p1 would fill the pipe and block for ever, and p1.wait() with it.
    assert p1.stdout is not None
    p1.stdout.close()
    out, _ = p2.communicate()  # reads p2's output to its end, then waits for p2
    p1.wait()  # p1 ends by SIGPIPE (or by itself): wait for it so it leaves no zombie
    return out, p1.returncode, p2.returncode
