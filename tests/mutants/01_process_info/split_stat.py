"""process_info splits the whole stat line with split(): fine for "(bash)", wrong as soon as
the name holds a space or a ')'. A name like "a) R 7 1 (w" gives state "R" and ppid 7, and
every field after it is shifted.

Must fail: test_a_name_with_spaces_and_parentheses, test_children_of_a_process
"""


def process_info(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state = fields[2]
    try:
        ppid, nice = int(fields[3]), int(fields[18])
    except ValueError:  # "42)" where a number should be: give up on this one
        return None
    return {
        "pid": pid,
        "name": fields[1].strip("()"),
        "state": state,
        "meaning": STATE_MEANINGS.get(state, "unknown"),
        "ppid": ppid,
        "nice": nice,
    }
