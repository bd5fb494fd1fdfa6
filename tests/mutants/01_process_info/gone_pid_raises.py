"""process_info does not expect the process to be gone: FileNotFoundError for a pid that
has ended, and every scan of /proc (which uses it) crashes when a listed process vanishes.

Must fail: test_a_process_that_is_gone, test_processes_that_vanish_while_you_look
"""


def process_info(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        line = f.read()
    left, _, right = line.rpartition(b")")
    after = right.split()
    state = after[STATE].decode()
    return {
        "pid": pid,
        "name": left.partition(b"(")[2].decode(errors="replace"),
        "state": state,
        "meaning": STATE_MEANINGS.get(state, "unknown"),
        "ppid": int(after[PPID]),
        "nice": int(after[NICE]),
    }
