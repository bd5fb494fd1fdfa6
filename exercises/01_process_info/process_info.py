"""Exercise 01 — process info: read /proc yourself, as ps and pstree do (Linux only).

Read README.md (or README.zh-CN.md) first. Replace each ``raise NotImplementedError`` with
your code; keep the function names and parameters. Check your work with::

    grader check process_info

Use only the standard library (no psutil): ``open``, ``os.listdir``. Every answer comes from
``/proc/<pid>/stat``. Remember: a process name may hold spaces and ``)``, and a process may
end at any moment, even between the moment you list ``/proc`` and the moment you read it.
"""

from __future__ import annotations

import os  # noqa: F401 - you will need it


def state_meaning(letter: str) -> str:
    """The meaning of a state letter, in the words of the kernel.

    ``state_meaning("S")`` is ``"sleeping"``; the README's table gives every letter (R, S,
    D, T, t, Z, X, I, P). Raise ``ValueError`` for a letter that is not in the table.
    """
    # TODO: a dict from letter to meaning.
    raise NotImplementedError


def process_info(pid: int) -> dict[str, object] | None:
    """What ``/proc/<pid>/stat`` says about one process, or None if there is no such process.

    Return a dict with the keys ``pid`` (int), ``name`` (str, without the parentheses),
    ``state`` (the one-letter state), ``meaning`` (``state_meaning`` of it; ``"unknown"`` for
    a letter not in the table), ``ppid`` (int) and ``nice`` (int), e.g.::

        {"pid": 4242, "name": "my worker", "state": "S", "meaning": "sleeping",
         "ppid": 4200, "nice": 5}
    """
    # TODO: read the line; the name is between the first "(" and the LAST ")"; split the rest.
    raise NotImplementedError


def children(pid: int) -> list[int]:
    """The pids of the processes whose parent is ``pid``, in ascending order.

    Zombies count (they are children until collected), and so do children forked by any
    thread of ``pid``. ``[]`` for a process without children, or with no such process.
    """
    # TODO: scan every numeric folder of /proc; keep the pids whose ppid is pid.
    raise NotImplementedError


def pstree(pid: int) -> str:
    """The tree of ``pid`` and all its descendants, as text (README: "The tree").

    One line per process, ``"<pid> <state> <name>"``, depth first, children in ascending pid
    order, drawn with ``├── ``, ``└── ``, ``│   `` and four spaces, for example::

        100 S family
        ├── 101 S sleeper
        │   └── 103 Z done
        └── 102 T stopped

    ``""`` if there is no such process.
    """
    # TODO: one scan of /proc -> {ppid: [children]}, then walk it depth first.
    raise NotImplementedError
