"""Cheat: a decoy child that does nothing; the parent applies change() to a copy of the
list and writes the file itself (a single process doing the work).

Must fail: test_child_change_stays_in_the_child, test_parent_reads_what_the_child_wrote
"""


def change_in_child(items, change, path):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    copy = list(items)
    change(copy)
    with open(path, "w") as f:
        f.write("".join(f"{n}\n" for n in copy))
    return items, copy
