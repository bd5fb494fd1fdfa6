"""Exercise 16 — subprocess: run programs, capture their output, time out, pipelines.

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check subprocesses

Pass every command as a list of strings and never use ``shell=True``: each element is one
argument, exactly as given. When a function returns, every child it started has ended and
has been waited for.
"""

from __future__ import annotations

import subprocess  # noqa: F401 - you will need it

# -- Part 1: run a program and capture its output ---------------------------------------------


def run_captured(args: list[str], timeout: float) -> tuple[int, str, str]:
    """Run the program ``args`` and return ``(returncode, stdout, stderr)``.

    ``args`` is a list (``args[0]`` the program); run it without a shell. Capture stdout and
    stderr separately, as text (str), however much the program writes. ``returncode`` is the
    exit code, or ``-N`` when signal N killed the program.

    If the program is still running after ``timeout`` seconds, kill it, wait for it, and raise
    ``subprocess.TimeoutExpired``: no child may be left running, nor as a zombie.
    """
    # TODO: one call of subprocess.run does all of this.
    raise NotImplementedError


# -- Part 2: arguments without a shell --------------------------------------------------------


def count_matches(pattern: str, path: str) -> int:
    """Return how many lines of the file ``path`` contain ``pattern`` (a fixed string).

    Run exactly ``grep -c -F -- PATTERN PATH``: the list
    ``["grep", "-c", "-F", "--", pattern, path]``, without a shell, and return the number grep
    prints, as an int. ``pattern`` and ``path`` may contain spaces, quotes, ``$``, ``;``, ``*``
    and other characters a shell would act on: grep must get them unchanged.

    grep exits with 1 when no line matches: return 0. Any other non-zero exit (2: the file
    cannot be read...) raises ``subprocess.CalledProcessError`` with grep's returncode.
    """
    # TODO: subprocess.run with a list, capture the output, look at returncode yourself.
    raise NotImplementedError


# -- Part 3: a pipeline -----------------------------------------------------------------------


def pipeline(first: list[str], second: list[str]) -> tuple[str, int, int]:
    """Run ``first | second`` with two ``subprocess.Popen``; return
    ``(second's stdout as text, first's returncode, second's returncode)``.

    The first program's stdout is the second's stdin, through a pipe; no shell. The second
    may exit before the first has finished writing: the first must then get SIGPIPE
    (returncode -13). For that, close your own copy of the pipe (``p1.stdout.close()``) right
    after starting the second program. Wait for both before returning.
    """
    # TODO: Popen the first with stdout=PIPE, the second with stdin=p1.stdout, close
    # p1.stdout, communicate() with the second, wait() for the first.
    raise NotImplementedError
