"""The bodies of the launcher's two made-up tests (see ``grader.forked.rehearse``).

They live in a module of their own, and it stays this small, because a failing test's
report parses the whole file that holds the failing function to find the statement that
failed: in ``grader/plugin.py``, where they were (over 1,000 lines then), that parse and
its walk took about 85 ms of the rehearsal's 90 ms (3.13, every session); here it takes
well under 1 ms.
"""

from __future__ import annotations


def passes() -> None:
    pass


def fails() -> None:
    raise AssertionError("rehearsed: a failing test's report is made the same way")
