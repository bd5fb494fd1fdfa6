"""Correct, written another way than the reference: name, state and ppid come from
/proc/<pid>/status (one "Key:<tab>value" per line, so a name with spaces and ')' is no
trouble), the meaning from the words in its State: line, the nice value from
os.getpriority(); children() scans /proc with os.scandir, and pstree() calls children()
for each process, walking with an explicit stack instead of recursion.
"""

from __future__ import annotations

import os

_LETTERS = ["R", "S", "D", "T", "t", "Z", "X", "I", "P"]


def state_meaning(letter: str) -> str:
    words = ["running", "sleeping", "disk sleep", "stopped", "tracing stop", "zombie",
             "dead", "idle", "parked"]  # fmt: skip
    if letter not in _LETTERS:
        raise ValueError(f"{letter!r} is not a process state")
    return words[_LETTERS.index(letter)]


def _status(pid: int) -> dict[str, str] | None:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
            text = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":\t")
        if sep:
            fields[key] = value
    return fields


def process_info(pid: int) -> dict[str, object] | None:
    fields = _status(pid)
    if fields is None:
        return None
    try:
        nice = os.getpriority(os.PRIO_PROCESS, pid)
    except (ProcessLookupError, OSError):
        return None  # it ended between the two reads
    letter, _, words = fields["State"].partition(" ")
    return {
        "pid": pid,
        # status escapes only "\n" and "\\" in a name
        "name": fields["Name"].replace("\\n", "\n").replace("\\\\", "\\"),
        "state": letter,
        "meaning": words.strip("()") or "unknown",
        "ppid": int(fields["PPid"]),
        "nice": nice,
    }


def children(pid: int) -> list[int]:
    found = []
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            fields = _status(int(entry.name))
            if fields is not None and int(fields["PPid"]) == pid:
                found.append(int(entry.name))
    found.sort()
    return found


def pstree(pid: int) -> str:
    top = process_info(pid)
    if top is None:
        return ""
    lines = []
    # (pid, info, prefix of its own line, prefix of the lines below it)
    stack = [(pid, top, "", "")]
    while stack:
        p, info, mine, below = stack.pop()
        lines.append(f"{mine}{p} {info['state']} {info['name']}")
        kids = [(k, process_info(k)) for k in children(p)]
        kids = [(k, i) for k, i in kids if i is not None]
        for n, (kid, kinfo) in reversed(list(enumerate(kids))):  # pushed last first
            last = n == len(kids) - 1
            mine, more = ("└── ", "    ") if last else ("├── ", "│   ")
            stack.append((kid, kinfo, below + mine, below + more))
    return "\n".join(lines) + "\n"
