"""The ``grader`` command (and ``python -m grader``): the CLI, with its zygote started first.

A command that grades needs the zygote (:mod:`grader.zygote`), whose start imports pytest
and the grader's plugin: about 0.27 s before the first session can start. The command's own
imports and work before that session (rich, the catalog, the submission staged: about
0.2 s) do not need it, so the zygote is started here, before them, and the two run side by
side. The supervisor (:mod:`grader.session`) takes it when the first session is due, or
ends it if the sessions need another command line; if no session runs at all it is ended
on the way out, at once.

This module imports only what starting the zygote needs: keep it so.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from grader import zygote

# The commands that run grading sessions (and `list --run`): only these start a zygote.
SESSION_COMMANDS = ("check", "watch", "grade", "batch", "verify")
# The sessions' interpreter flags, as grader.session.isolation_flags() finds them unless the
# grader is installed in the user's site-packages (then the supervisor starts another).
EARLY_FLAGS = ("-I",)


def main() -> None:
    argv = sys.argv[1:]
    if runs_sessions(argv):
        zygote.start_early([sys.executable, *EARLY_FLAGS])
    try:
        from grader import cli  # what the zygote's start overlaps: imported only now

        code = cli.main(argv)
    finally:
        zygote.end_early()
    sys.exit(code)


def runs_sessions(argv: Sequence[str]) -> bool:
    """Whether a command line names a command that runs grading sessions (a guess made
    before parsing it: a wrong one costs a zygote that is ended unused)."""
    return any(word in SESSION_COMMANDS for word in argv) or ("list" in argv and "--run" in argv)
