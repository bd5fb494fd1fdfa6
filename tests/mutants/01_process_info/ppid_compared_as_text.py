"""children compares the ppid field, a piece of text, with the pid, an int: '4242' == 4242
is never true, so no process is ever anybody's child.

Must fail: test_children_of_a_process
"""


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                after = f.read().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if after[1] == pid:  # str == int
            found.append(int(entry))
    return sorted(found)
