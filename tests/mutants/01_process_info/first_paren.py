"""process_info cuts the stat line at the FIRST ')': a name that holds ')' leaves part of
itself in front of the fields, which are then read shifted (state and ppid from the name).

Must fail: test_a_name_with_spaces_and_parentheses
"""


def process_info(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            line = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    start, end = line.index("("), line.index(")")
    name, after = line[start + 1 : end], line[end + 1 :].split()
    state = after[0]
    return {
        "pid": pid,
        "name": name,
        "state": state,
        "meaning": STATE_MEANINGS.get(state, "unknown"),
        "ppid": int(after[1]),
        "nice": int(after[16]),
    }
