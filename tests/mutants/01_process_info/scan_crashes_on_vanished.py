"""The /proc scan reads every listed pid's stat without expecting it to be gone: a process
that ends between os.listdir('/proc') and open() raises FileNotFoundError (process_info of
one pid that is gone is handled).

Must fail: test_processes_that_vanish_while_you_look
"""


def _table():
    rows = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with open(f"/proc/{entry}/stat", "rb") as f:
                line = f.read()
            left, _, right = line.rpartition(b")")
            after = right.split()
            state = after[STATE].decode()
            rows[int(entry)] = {
                "pid": int(entry),
                "name": left.partition(b"(")[2].decode(errors="replace"),
                "state": state,
                "meaning": STATE_MEANINGS.get(state, "unknown"),
                "ppid": int(after[PPID]),
                "nice": int(after[NICE]),
            }
    return rows
