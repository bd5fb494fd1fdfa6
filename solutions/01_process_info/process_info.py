"""Exercise 01 — process info: read /proc yourself (reference solution).

Everything ``ps`` and ``pstree`` show comes from ``/proc``: one folder per process, named by
its pid. Here every answer comes from one file, ``/proc/<pid>/stat``, a single line::

    4242 (my worker) S 4200 4200 4200 0 -1 4194368 ... 25 5 1 ...
    pid  (name)      state ppid pgrp ...               priority nice threads

The two ideas that matter: the name is cut out between the first ``(`` and the **last**
``)`` (the name itself may hold spaces and parentheses), and a process may end at any moment
between the moment you list ``/proc`` and the moment you read its file.
"""

from __future__ import annotations

import os

# The words the kernel itself prints in the "State:" line of /proc/<pid>/status.
STATE_MEANINGS = {
    "R": "running",  # on a CPU, or ready and waiting for one
    "S": "sleeping",  # waiting for something, wakes up for a signal too
    "D": "disk sleep",  # waiting inside the kernel, cannot be interrupted (usually I/O)
    "T": "stopped",  # stopped by a signal (SIGSTOP, Ctrl-Z), until SIGCONT
    "t": "tracing stop",  # stopped by a debugger
    "Z": "zombie",  # ended, waiting for its parent to collect its exit status
    "X": "dead",  # being removed right now: almost never seen
    "I": "idle",  # an idle kernel thread
    "P": "parked",  # a parked kernel thread
}

# Fields of /proc/<pid>/stat after the name, counted from 0: proc(5) numbers the whole line
# from 1, so field N of the manual is AFTER_NAME[N - 3].
STATE, PPID, NICE = 3 - 3, 4 - 3, 19 - 3  # field 18 is the priority (20 + nice): not it


def state_meaning(letter: str) -> str:
    """The meaning of a state letter, in the kernel's words; ValueError for an unknown one."""
    try:
        return STATE_MEANINGS[letter]
    except KeyError:
        raise ValueError(f"unknown process state letter {letter!r}") from None


def process_info(pid: int) -> dict[str, object] | None:
    """pid, name, state, meaning, ppid and nice of one process; None if there is none."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            line = f.read()
    except (FileNotFoundError, ProcessLookupError):
        # No such process, or it ended between open() and read(): both mean "gone".
        return None
    # The idea: cut at the LAST ')'. A name may be "a) R 1 (b": split() would read "R" as
    # the state and "1" as the ppid, and so would a cut at the first ')'.
    left, _, right = line.rpartition(b")")
    name = left.partition(b"(")[2].decode(errors="replace")
    after = right.split()
    state = after[STATE].decode()
    return {
        "pid": pid,
        "name": name,
        "state": state,
        "meaning": STATE_MEANINGS.get(state, "unknown"),
        "ppid": int(after[PPID]),
        "nice": int(after[NICE]),
    }


def _table() -> dict[int, dict[str, object]]:
    """Every process there is now, by pid: one pass over /proc."""
    rows: dict[int, dict[str, object]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = process_info(int(entry))
            if info is not None:  # listed a moment ago, gone now: skip it
                rows[int(entry)] = info
    return rows


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid``, in ascending order."""
    # The children of a process are the processes whose ppid is its pid: whichever of its
    # threads forked them, and zombies included (they are children until collected).
    return sorted(p for p, info in _table().items() if info["ppid"] == pid)


def pstree(pid: int) -> str:
    """The tree of ``pid`` and all its descendants, one line per process."""
    rows = _table()  # one snapshot: every line of the tree comes from the same look
    if pid not in rows:
        return ""
    below: dict[int, list[int]] = {}
    for p in sorted(rows):
        below.setdefault(int(rows[p]["ppid"]), []).append(p)  # children in pid order

    def line(p: int) -> str:
        return f"{p} {rows[p]['state']} {rows[p]['name']}"

    lines = [line(pid)]
    seen = {pid}

    def walk(p: int, prefix: str) -> None:
        kids = [k for k in below.get(p, []) if k not in seen]
        for i, kid in enumerate(kids):
            seen.add(kid)
            last = i == len(kids) - 1
            lines.append(prefix + ("└── " if last else "├── ") + line(kid))
            # Depth first: the kid's own subtree comes right under it. Below a last child
            # the column is blank; below the others the vertical line goes on.
            walk(kid, prefix + ("    " if last else "│   "))

    walk(pid, "")
    return "\n".join(lines)
